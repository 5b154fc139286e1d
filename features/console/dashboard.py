"""Dashboard statistics: counts by status, type, unit and month; 化解率; time to resolution;
amounts; consultations.

Definitions (shown on the page too, so nobody has to guess):

* 化解率 (resolution rate) = cases where an agreement was reached (``agreed`` or ``closed``)
  ÷ cases whose mediation is over (``agreed`` plus every terminal status).
* Time to resolution: from registration (``created_at``) to ``closed_at``, for cases that
  have one.
* Amount agreed: the payments the terms of the cases' *effective* (signed and sealed)
  agreements oblige (``Document.agreed_fen``, read from the terms by
  ``mediation.agreed_amount``); not the amount claimed, which is what the page showed before
  (issue 20: ¥8,600 of claims where the agreement said ¥1,500). Oral agreements carry no
  figure and add nothing.
* Amount recovered: instalments of the payment schedules (``features.negotiation``) whose
  payee confirmed receipt (or uploaded a transfer record), for the cases in scope.
* Consultations: the assistant's answers plus requests for a lawyer, from their logs, and
  lawyers' response times (``features.console.lawyer_stats``) when the tables exist. A figure
  without a source is ``None`` and the page says "not tracked yet" instead of showing a 0 that
  would read as a measurement.

Each figure's definition (口径) is printed under it on the page (``console.dashboard.def.*``).

Every figure is limited to the staff member's units and the chosen period (by registration
date, in the service's time zone) and unit. Figures are cached for a minute per scope (the
page shows when they were computed): at 100,000 cases a computation takes a few hundred
milliseconds on SQLite, and the dashboard is everybody's landing page.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from features.console.context import StaffContext
from features.console.lawyer_stats import CountSource, WaitSource
from features.console.ledger import local_day_start
from features.negotiation.models import PaymentInstalment
from mediation.agreed_amount import agreed_fen
from mediation.case_state import TERMINAL, CaseStatus
from mediation.staff_permissions import Action, subtree
from mediation.units import UnitDirectory
from storage.db import Database
from storage.document_models import Document
from storage.models import Case

#: ``Document.kind`` of a mediation agreement (features.agreements.common.AGREEMENT).
AGREEMENT = "mediation_agreement"

SUCCESS = (CaseStatus.AGREED.value, CaseStatus.CLOSED.value)
#: Figures are reused this long for the same scope and period (the page says when they were
#: computed): at 100,000 cases one computation reads the table several times.
CACHE_SECONDS = 60.0
CACHE_SIZE = 256
CONCLUDED = tuple(sorted({CaseStatus.AGREED.value, *(s.value for s in TERMINAL)}))


@dataclass(frozen=True)
class DashboardQuery:
    date_from: date | None = None
    date_to: date | None = None
    unit: str | None = None


@dataclass
class Dashboard:
    total: int
    by_status: list[tuple[str, int]]
    by_type: list[tuple[str, int]]
    by_unit: list[tuple[str, int]]
    by_month: list[tuple[str, int]]
    by_risk: list[tuple[str, int]]
    successful: int
    concluded: int
    avg_days: float | None
    median_days: float | None
    amount_agreed: Decimal
    amount_recovered: Decimal | None
    consultations: int | None
    computed_at: datetime
    assistant_answers: int | None = None
    lawyer_asked: int | None = None
    lawyer_requests: int | None = None
    lawyer_wait_seconds: float | None = None

    @property
    def resolution_rate(self) -> float | None:
        return self.successful / self.concluded if self.concluded else None


class DashboardService:
    def __init__(
        self,
        db: Database,
        units: UnitDirectory,
        tz: ZoneInfo,
        consultations: CountSource | None = None,
        lawyer_wait: WaitSource | None = None,
    ) -> None:
        self.db = db
        self.units = units
        self.tz = tz
        self.consultations = consultations
        self.lawyer_wait = lawyer_wait
        self._cache: dict[
            tuple[frozenset[str], date | None, date | None], tuple[float, Dashboard]
        ] = {}

    def _month_expr(self, dialect: str) -> Any:
        if dialect == "postgresql":
            return func.to_char(func.timezone(self.tz.key, Case.created_at), "YYYY-MM")
        # SQLite stores UTC text; shift by the zone's current offset (no DST in Asia/Shanghai).
        offset = datetime.now(self.tz).utcoffset() or timedelta(0)
        minutes = int(offset.total_seconds() // 60)
        return func.strftime("%Y-%m", Case.created_at, f"{minutes:+d} minutes")

    def _days_expr(self, dialect: str) -> Any:
        if dialect == "postgresql":
            return func.extract("epoch", Case.closed_at - Case.created_at) / 86400.0
        return func.julianday(Case.closed_at) - func.julianday(Case.created_at)

    @staticmethod
    def _recovered_query(conds: list[Any]) -> Any:
        """Instalments the payee confirmed receiving (features.negotiation), for the cases in
        scope: a payer's "I paid" alone is not counted."""
        return (
            select(func.coalesce(func.sum(PaymentInstalment.amount_fen), 0))
            .join(Case, Case.id == PaymentInstalment.case_id)
            .where(*conds, PaymentInstalment.status == "confirmed")
        )

    async def _read_old_agreements(self) -> None:
        """Effective agreements drafted before ``agreed_fen`` existed: read their terms once
        and keep the figure (only those rows are decrypted, and only the first time)."""
        async with self.db.read() as session:
            ids = list(
                (
                    await session.execute(
                        select(Document.id).where(
                            Document.kind == AGREEMENT,
                            Document.status == "effective",
                            Document.agreed_fen.is_(None),
                        )
                    )
                ).scalars()
            )
        if not ids:
            return
        async with self.db.write() as session:
            for doc in (
                await session.execute(select(Document).where(Document.id.in_(ids)))
            ).scalars():
                terms = doc.content.get("terms", []) if isinstance(doc.content, dict) else []
                doc.agreed_fen = agreed_fen([str(t) for t in terms])

    async def build(self, staff: StaffContext, q: DashboardQuery) -> Dashboard:
        """The figures, computed at most once per ``CACHE_SECONDS`` for the same scope."""
        staff.require(Action.VIEW_DASHBOARD)
        units = staff.visible_units & subtree(self.units, q.unit) if q.unit else staff.visible_units
        key = (units, q.date_from, q.date_to)
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        result = await self._compute(units, q)
        if len(self._cache) >= CACHE_SIZE:
            self._cache.clear()
        self._cache[key] = (now + CACHE_SECONDS, result)
        return result

    async def _compute(self, units: frozenset[str], q: DashboardQuery) -> Dashboard:
        start = local_day_start(q.date_from, self.tz) if q.date_from else None
        end = local_day_start(q.date_to + timedelta(days=1), self.tz) if q.date_to else None
        conds: list[Any] = []
        if units != frozenset(self.units.by_code):  # everything visible: no unit condition
            conds.append(Case.unit_code.in_(sorted(units)) if units else Case.id < 0)
        if start is not None:
            conds.append(Case.created_at >= start)
        if end is not None:
            conds.append(Case.created_at < end)
        dialect = self.db.dialect
        days = self._days_expr(dialect)
        closed = [*conds, Case.closed_at.is_not(None)]

        async def rows(query: Any) -> list[Any]:
            # Each figure in its own read session, all at once: SQLite runs them on separate
            # connections (threads), PostgreSQL on separate backends.
            async with self.db.read() as session:
                return list(await session.execute(query))

        def grouped(column: Any) -> Any:
            return select(column, func.count()).where(*conds).group_by(column).order_by(column)

        await self._read_old_agreements()
        amount_q = (
            select(func.coalesce(func.sum(Document.agreed_fen), 0))
            .join(Case, Case.id == Document.case_id)
            .where(*conds, Document.kind == AGREEMENT, Document.status == "effective")
        )
        results = await asyncio.gather(
            rows(grouped(Case.status)),
            rows(grouped(Case.dispute_type)),
            rows(grouped(Case.unit_code)),
            rows(grouped(Case.risk)),
            rows(grouped(self._month_expr(dialect))),
            rows(amount_q),
            rows(select(func.count(), func.avg(days)).where(*closed)),
            rows(self._recovered_query(conds)),
        )
        by_status, by_type, by_unit, by_risk, by_month = (
            [(str(k), int(n)) for k, n in r] for r in results[:5]
        )
        amount = results[5][0][0]
        n_closed, avg_days = results[6][0]
        recovered = Decimal(int(results[7][0][0] or 0)) / 100
        median = None
        if n_closed:
            median = (
                await rows(
                    select(days).where(*closed).order_by(days).offset(n_closed // 2).limit(1)
                )
            )[0][0]
        asked: tuple[int, int] | None = None
        lawyer: tuple[int | None, float | None] = (None, None)
        async with self.db.read() as session:
            if self.consultations is not None:
                asked = await self.consultations(
                    session, start, end, units, self.units.default.code
                )
            if self.lawyer_wait is not None:
                lawyer = await self.lawyer_wait(session, start, end, units)
        counts = dict(by_status)
        by_unit.sort(key=lambda kv: (-kv[1], kv[0]))
        return Dashboard(
            total=sum(counts.values()),
            by_status=by_status,
            by_type=sorted(by_type, key=lambda kv: (-kv[1], kv[0])),
            by_unit=by_unit,
            by_month=by_month,
            by_risk=by_risk,
            successful=sum(counts.get(s, 0) for s in SUCCESS),
            concluded=sum(counts.get(s, 0) for s in CONCLUDED),
            avg_days=float(avg_days) if avg_days is not None else None,
            median_days=float(median) if median is not None else None,
            amount_agreed=Decimal(int(amount or 0)) / 100,
            amount_recovered=recovered,
            consultations=sum(asked) if asked is not None else None,
            computed_at=datetime.now(UTC),
            assistant_answers=asked[0] if asked is not None else None,
            lawyer_asked=asked[1] if asked is not None else None,
            lawyer_requests=lawyer[0],
            lawyer_wait_seconds=lawyer[1],
        )
