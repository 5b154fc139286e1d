"""The dispute ledger (电子台账): filtered, searched, sorted and paged lists of cases.

Why keyset pagination: ``OFFSET 99,950`` makes the database walk 99,950 rows; a cursor of the
last row's (sort value, id) lets an index jump straight to the next page, so page 2,000 costs
what page 1 costs. The cursor is opaque to the browser (base64 of JSON) and validated here.

Search takes one box and works out what was typed: a phone number is looked up through the
blind index (``CaseParty.phone_hash``; phones are encrypted and cannot be searched otherwise),
a full case number exactly, a bare serial like ``12`` as ``…第0012号``, anything else as a
case-number fragment or the beginning of a party's name.

Every query is limited to the staff member's units (their unit and those below it) before any
filter the browser sent is applied.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from core import crypto
from features.console import search_index
from features.console.context import StaffContext
from mediation.numbering import format_case_number, parse_case_number
from mediation.staff_permissions import Action, Role, subtree
from mediation.units import UnitDirectory
from mediation.validation import InvalidInput, normalise_phone
from storage.db import Database
from storage.models import Case, CaseParty, StaffAccount

PAGE_SIZE = 50
#: A partial case number: ``12``, ``第12号``, ``杨调字第12号``, ``（2026）杨调字第0012号``.
_PARTIAL_NUMBER = re.compile(r"(?:（(\d{4})）)?(?:(.+?)字)?第?(\d{1,6})号?")
SORTS = ("created", "updated", "number")
_SORT_COLUMNS: dict[str, Any] = {
    "created": Case.created_at,
    "updated": Case.updated_at,
    "number": Case.number,
}


@dataclass(frozen=True)
class LedgerQuery:
    statuses: tuple[str, ...] = ()
    dispute_types: tuple[str, ...] = ()
    risks: tuple[str, ...] = ()
    unit: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    mediator: str | None = None  # a staff id, or "none" for unassigned cases
    q: str = ""
    sort: str = "created"
    descending: bool = True
    after: str | None = None
    before: str | None = None

    def without_cursor(self) -> LedgerQuery:
        return replace(self, after=None, before=None)


@dataclass
class LedgerRow:
    id: int
    number: str
    unit_code: str
    dispute_type: str
    status: str
    risk: str
    created_at: datetime
    updated_at: datetime
    amount: Decimal | None
    amount_stated: str | None  # Case.amount_stated: approximate (约), unknown (不详)
    mediator_id: int | None
    mediator_name: str = ""
    applicants: list[tuple[str, str | None]] = field(default_factory=list)
    respondents: list[tuple[str, str | None]] = field(default_factory=list)


@dataclass
class LedgerPage:
    rows: list[LedgerRow]
    total: int
    next_cursor: str | None
    prev_cursor: str | None


class BadCursor(ValueError):
    """A cursor that was not made by us (or for another sort): start from the first page."""


def encode_cursor(sort: str, value: Any, case_id: int) -> str:
    raw = value.isoformat() if isinstance(value, datetime) else value
    data = json.dumps([sort, raw, case_id], ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def decode_cursor(sort: str, cursor: str) -> tuple[Any, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        kind, raw, case_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if kind != sort or not isinstance(case_id, int) or not isinstance(raw, str):
            raise BadCursor(cursor)
        value: Any = datetime.fromisoformat(raw) if sort != "number" else raw
        if isinstance(value, datetime) and value.tzinfo is None:
            raise BadCursor(cursor)
        return value, case_id
    except (ValueError, TypeError, binascii.Error) as exc:
        raise BadCursor(cursor) from exc


def local_day_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


class LedgerService:
    def __init__(self, db: Database, units: UnitDirectory, tz: ZoneInfo) -> None:
        self.db = db
        self.units = units
        self.tz = tz

    # ------------------------------------------------------------------ conditions

    def unit_scope(self, staff: StaffContext, unit: str | None) -> frozenset[str] | None:
        """Units to filter on; ``None`` means no unit condition is needed (sees everything)."""
        if unit:
            return staff.visible_units & subtree(self.units, unit)
        if staff.visible_units >= frozenset(self.units.by_code):
            return None
        return staff.visible_units

    def conditions(
        self, staff: StaffContext, q: LedgerQuery, dialect: str, years: range = range(0)
    ) -> list[Any]:
        conds: list[Any] = []
        scope = self.unit_scope(staff, q.unit)
        if scope is not None:
            conds.append(Case.unit_code.in_(sorted(scope)) if scope else Case.id < 0)
        if staff.role is Role.LAWYER:
            from features.console.case_view import assigned_cases

            conds.append(Case.id.in_(assigned_cases(staff)))
        if q.statuses:
            conds.append(Case.status.in_(q.statuses))
        if q.dispute_types:
            conds.append(Case.dispute_type.in_(q.dispute_types))
        if q.risks:
            conds.append(Case.risk.in_(q.risks))
        if q.date_from:
            conds.append(Case.created_at >= local_day_start(q.date_from, self.tz))
        if q.date_to:
            end = local_day_start(q.date_to + timedelta(days=1), self.tz)
            conds.append(Case.created_at < end)
        if q.mediator == "none":
            conds.append(Case.mediator_id.is_(None))
        elif q.mediator and q.mediator.isdigit():
            conds.append(Case.mediator_id == int(q.mediator))
        if q.q.strip():
            conds.append(self.search_condition(q.q.strip(), dialect, years))
        return conds

    def search_condition(self, text: str, dialect: str, years: range) -> ColumnElement[bool]:
        """One indexed look-up per kind of search; never a scan of every case number."""
        text = text[:100]
        try:
            phone = normalise_phone(text)
        except InvalidInput:
            phone = None
        if phone is not None:
            digest = crypto.blind_index(phone)
            return Case.id.in_(select(CaseParty.case_id).where(CaseParty.phone_hash == digest))
        parsed = parse_case_number(text)
        if parsed is not None:  # normalised: 第2号 and 第0002号 are the same case
            return Case.number == format_case_number(parsed[0], parsed[1], parsed[2])
        numbers = self.candidate_numbers(text, years)
        if numbers is not None:
            return Case.number.in_(numbers) if numbers else Case.id < 0
        if dialect == "sqlite":  # BINARY collation: a range is an exact, indexed prefix test
            name_prefix = and_(CaseParty.name >= text, CaseParty.name < text + "\U0010ffff")
        else:  # any collation; indexed with varchar_pattern_ops
            escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            name_prefix = CaseParty.name.like(escaped + "%", escape="\\")
        by_name = Case.id.in_(select(CaseParty.case_id).where(name_prefix))
        # Facts and claims are encrypted: searched through their keyed tokens (issue 20).
        by_text = search_index.matching(text)
        return by_name if by_text is None else or_(by_name, by_text)

    def candidate_numbers(self, text: str, years: range) -> list[str] | None:
        """Case numbers a partial number can stand for, or ``None`` if it is not one.

        ``12`` or ``第0012号`` (a serial: every unit, every year), ``杨调字第12号`` (a unit's
        serial, every year) and ``（2026）杨调字第12号`` are expanded into the exact numbers
        :func:`format_case_number` would have made, which the unique index finds at once.
        """
        m = _PARTIAL_NUMBER.fullmatch(text.replace(" ", ""))
        if m is None:
            return None
        year, prefix, serial = m.group(1), m.group(2), int(m.group(3))
        if serial < 1:
            return []
        prefixes = [prefix] if prefix else sorted({u.case_prefix for u in self.units.units})
        in_years = [int(year)] if year else list(years)
        return [format_case_number(y, p, serial) for y in in_years for p in prefixes]

    async def years(self, session: AsyncSession, q: LedgerQuery) -> range:
        """Local years in which cases were registered (for expanding partial case numbers)."""
        if not q.q.strip() or _PARTIAL_NUMBER.fullmatch(q.q.strip().replace(" ", "")) is None:
            return range(0)
        # Two statements: SQLite answers a lone min() or max() from the index, not both at once.
        low = (await session.execute(select(func.min(Case.created_at)))).scalar()
        high = (await session.execute(select(func.max(Case.created_at)))).scalar()
        if low is None or high is None:
            return range(0)
        return range(low.astimezone(self.tz).year, high.astimezone(self.tz).year + 1)

    # ------------------------------------------------------------------ queries

    def _base(self, staff: StaffContext, q: LedgerQuery, dialect: str, years: range) -> Any:
        staff.require(Action.VIEW_LEDGER)
        return select(
            Case.id,
            Case.number,
            Case.unit_code,
            Case.dispute_type,
            Case.status,
            Case.risk,
            Case.created_at,
            Case.updated_at,
            Case.amount,
            Case.amount_stated,
            Case.mediator_id,
        ).where(*self.conditions(staff, q, dialect, years))

    @staticmethod
    def _keyset(query: Any, q: LedgerQuery, value: Any, case_id: int, forward: bool) -> Any:
        col = _SORT_COLUMNS[q.sort]
        newer = forward != q.descending  # moving towards larger values
        key = tuple_(col, Case.id)
        return query.where(key > tuple_(value, case_id) if newer else key < tuple_(value, case_id))

    @staticmethod
    def _ordered(query: Any, q: LedgerQuery, reverse: bool) -> Any:
        col = _SORT_COLUMNS[q.sort]
        desc = q.descending != reverse
        return query.order_by(*(c.desc() if desc else c.asc() for c in (col, Case.id)))

    async def page(self, staff: StaffContext, q: LedgerQuery) -> LedgerPage:
        if q.sort not in SORTS:
            q = replace(q, sort="created")
        staff.require(Action.VIEW_LEDGER)
        async with self.db.read() as session:
            base = self._base(staff, q, self.db.dialect, await self.years(session, q))
            query = base
            backwards = False
            if q.after:
                value, case_id = decode_cursor(q.sort, q.after)
                query = self._keyset(query, q, value, case_id, forward=True)
            elif q.before:
                value, case_id = decode_cursor(q.sort, q.before)
                query = self._keyset(query, q, value, case_id, forward=False)
                backwards = True
            query = self._ordered(query, q, reverse=backwards).limit(PAGE_SIZE + 1)
            records = list((await session.execute(query)).all())
            total = int(
                (
                    await session.execute(
                        select(func.count()).select_from(base.with_only_columns(Case.id).subquery())
                    )
                ).scalar_one()
            )
            more = len(records) > PAGE_SIZE
            records = records[:PAGE_SIZE]
            if backwards:
                records.reverse()
            rows = [LedgerRow(*r) for r in records]
            await self._decorate(session, rows)
        col_of = {"created": "created_at", "updated": "updated_at", "number": "number"}[q.sort]

        def cursor(row: LedgerRow) -> str:
            return encode_cursor(q.sort, getattr(row, col_of), row.id)

        if backwards:
            has_next, has_prev = True, more
        else:
            has_next, has_prev = more, q.after is not None
        return LedgerPage(
            rows=rows,
            total=total,
            next_cursor=cursor(rows[-1]) if rows and has_next else None,
            prev_cursor=cursor(rows[0]) if rows and has_prev else None,
        )

    async def _decorate(self, session: AsyncSession, rows: Sequence[LedgerRow]) -> None:
        """Parties' names and phones, mediators' names: two indexed look-ups for the page."""
        if not rows:
            return
        by_id = {r.id: r for r in rows}
        parties = await session.execute(
            select(CaseParty.case_id, CaseParty.side, CaseParty.name, CaseParty.phone)
            .where(CaseParty.case_id.in_(list(by_id)))
            .order_by(CaseParty.case_id, CaseParty.id)
        )
        for case_id, side, name, phone in parties:
            target = (
                by_id[case_id].applicants if side == "applicant" else by_id[case_id].respondents
            )
            target.append((name, phone))
        mediator_ids = {r.mediator_id for r in rows if r.mediator_id is not None}
        if mediator_ids:
            found = await session.execute(
                select(StaffAccount.id, StaffAccount.display_name).where(
                    StaffAccount.id.in_(mediator_ids)
                )
            )
            names = {i: n for i, n in found}
            for r in rows:
                if r.mediator_id is not None:
                    r.mediator_name = names.get(r.mediator_id, "")

    async def iter_rows(
        self, staff: StaffContext, q: LedgerQuery, *, limit: int, batch: int = 1000
    ) -> AsyncIterator[LedgerRow]:
        """Every matching row in order, fetched in keyset batches (for exports)."""
        staff.require(Action.EXPORT)
        q = q.without_cursor()
        if q.sort not in SORTS:
            q = replace(q, sort="created")
        dialect = self.db.dialect
        async with self.db.read() as session:
            years = await self.years(session, q)
        col_of = {"created": "created_at", "updated": "updated_at", "number": "number"}[q.sort]
        last: tuple[Any, int] | None = None
        sent = 0
        while sent < limit:
            query = self._base(staff, q, dialect, years)
            if last is not None:
                query = self._keyset(query, q, last[0], last[1], forward=True)
            query = self._ordered(query, q, reverse=False).limit(min(batch, limit - sent))
            async with self.db.read() as session:
                rows = [LedgerRow(*r) for r in (await session.execute(query)).all()]
                await self._decorate(session, rows)
            if not rows:
                return
            for row in rows:
                yield row
            sent += len(rows)
            last = (getattr(rows[-1], col_of), rows[-1].id)

    async def mediators(self, staff: StaffContext) -> list[tuple[int, str]]:
        """Mediators of the staff member's units, for the filter's drop-down."""
        async with self.db.read() as session:
            result = await session.execute(
                select(StaffAccount.id, StaffAccount.display_name)
                .where(
                    StaffAccount.role == "mediator",
                    StaffAccount.unit_code.in_(sorted(staff.visible_units)),
                )
                .order_by(StaffAccount.display_name)
            )
            return [(i, n) for i, n in result]


def query_params(q: LedgerQuery) -> dict[str, Any]:
    """The query as URL parameters (for links that keep the filters: pages, exports)."""
    out: dict[str, Any] = {}
    for name, values in (("status", q.statuses), ("type", q.dispute_types), ("risk", q.risks)):
        if values:
            out[name] = list(values)
    for name, value in (
        ("unit", q.unit),
        ("from", q.date_from.isoformat() if q.date_from else None),
        ("to", q.date_to.isoformat() if q.date_to else None),
        ("mediator", q.mediator),
        ("q", q.q or None),
    ):
        if value:
            out[name] = value
    if q.sort != "created":
        out["sort"] = q.sort
    if not q.descending:
        out["order"] = "asc"
    return out
