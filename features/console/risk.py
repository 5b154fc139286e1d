"""Risk assessment of cases, the rules behind it, and alerts to the responsible staff.

Rules live in ``console_risk_rules`` (edited in the console) and are seeded from
``mediation.risk.DEFAULT_RULES``; a default that an admin changed or disabled stays as edited.
New cases are assessed in the intake's own transaction and every party's message in the room
by ``features.console.safety`` (issue 20); :meth:`RiskService.sweep`, which the console runs every few
seconds, catches any case that path did not assess (filed before, or by another route).

An assessment only raises a case's level. When the level reaches 较大 or 重大, an alert row is
written for each responsible unit (``mediation.risk.alert_units``) and for the assigned
mediator in the same transaction, and after the commit the optional ``AlertHook`` is called
(the Telegram bot sends the messages); a failing hook is logged and never undoes the alert.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from features.console import audit
from features.console.alerts import AlertNotice, AlertRecipient, write_alerts
from features.console.context import Forbidden, NotFound, StaffContext
from features.console.models import Alert, CaseRiskAssessment, RiskRuleRow
from i18n import translate
from mediation import risk as domain
from mediation.risk import RiskAssessment, RiskLevel, RiskRule
from mediation.staff_permissions import Action
from mediation.units import UnitDirectory
from services import case_watch
from services.cases import add_event
from storage.db import Database, insert_for, session_dialect
from storage.models import Case

log = logging.getLogger(__name__)
__all__ = ["AlertHook", "AlertNotice", "AlertRecipient", "RiskService", "row_to_rule"]

SWEEP_WINDOW = timedelta(days=7)


AlertHook = Callable[[AlertNotice], Awaitable[None]]


def row_to_rule(row: RiskRuleRow) -> RiskRule:
    return RiskRule(
        code=row.code,
        level=domain.parse_level(row.level),
        keywords=tuple(str(k) for k in row.keywords),
        also=tuple(str(k) for k in row.also),
        dispute_types=tuple(str(t) for t in row.dispute_types),
        min_people=row.min_people,
        name=row.name,
        enabled=row.enabled,
        notice=row.notice,
    )


class RiskService:
    def __init__(
        self, db: Database, units: UnitDirectory, clock: Clock, hook: AlertHook | None = None
    ) -> None:
        self.db = db
        self.units = units
        self.clock = clock
        self.hook = hook

    # ------------------------------------------------------------------ rules

    async def ensure_defaults(self) -> None:
        """Insert each default rule whose code is not in the table yet, and bring the defaults
        nobody edited (``updated_by`` still ``system``) up to the code's phrase families, so a
        deployment gets the new wordings (issue 20) while an admin's edits stay as they are."""
        async with self.db.write() as session:
            have = {row.code: row for row in (await session.execute(select(RiskRuleRow))).scalars()}
            rows = []
            for rule in domain.DEFAULT_RULES:
                fields = {
                    "name": rule.name,
                    "level": rule.level.value,
                    "keywords": list(rule.keywords),
                    "also": list(rule.also),
                    "dispute_types": list(rule.dispute_types),
                    "min_people": rule.min_people,
                    "enabled": rule.enabled,
                    "notice": rule.notice,
                }
                row = have.get(rule.code)
                if row is None:
                    rows.append(
                        {
                            "code": rule.code,
                            **fields,
                            "is_default": True,
                            "updated_at": self.clock.now(),
                        }
                    )
                elif row.is_default and row.updated_by == "system":
                    for k, v in fields.items():
                        if getattr(row, k) != v:
                            setattr(row, k, v)
            if rows:
                # Replicas start together: whichever inserts a rule first wins, quietly.
                stmt = insert_for(session_dialect(session))(RiskRuleRow)
                await session.execute(stmt.on_conflict_do_nothing(index_elements=["code"]), rows)

    @staticmethod
    async def rules(session: AsyncSession) -> list[RiskRule]:
        rows = (await session.execute(select(RiskRuleRow).order_by(RiskRuleRow.id))).scalars()
        loaded = [row_to_rule(r) for r in rows]
        return loaded or list(domain.DEFAULT_RULES)

    async def rule_labels(self, lang: str) -> dict[str, str]:
        """Display names of rules by code: an admin's name, else the catalog's for a default."""
        async with self.db.read() as session:
            rows = list(await session.execute(select(RiskRuleRow.code, RiskRuleRow.name)))
        out = {code: name or translate(lang, f"console.rule.{code}") for code, name in rows}
        for code in [r.code for r in domain.DEFAULT_RULES] + ["manual"]:
            out.setdefault(code, translate(lang, f"console.rule.{code}"))
        return out

    async def rule_rows(self, staff: StaffContext) -> list[RiskRuleRow]:
        staff.require(Action.MANAGE_RULES)
        async with self.db.read() as session:
            return list(
                (await session.execute(select(RiskRuleRow).order_by(RiskRuleRow.id))).scalars()
            )

    async def save_rule(
        self, staff: StaffContext, rule_id: int | None, rule: RiskRule, ip: str
    ) -> list[str]:
        """Create (``rule_id`` None) or update a rule; the problems as catalog-key suffixes.

        Rules are assessed on every unit's cases, so only an admin of a top unit (one that
        sees every unit below it) changes them: a committee's admin disabled the city's
        self-harm rule (issue 21).
        """
        staff.require(Action.MANAGE_RULES)
        if not staff.is_root:
            raise Forbidden(Action.MANAGE_RULES.value)
        now = self.clock.now()
        async with self.db.write() as session:
            if rule_id is None:
                row = RiskRuleRow(code=f"custom_{secrets.token_hex(3)}", is_default=False)
                if not rule.name.strip():
                    return ["name"]
            else:
                found = await session.get(RiskRuleRow, rule_id, with_for_update=True)
                if found is None:
                    raise NotFound()
                row = found
            candidate = RiskRule(
                code=row.code,
                level=rule.level,
                keywords=rule.keywords,
                also=rule.also,
                dispute_types=rule.dispute_types,
                min_people=rule.min_people,
                name=rule.name.strip()[:200],
                enabled=rule.enabled,
                notice=rule.notice,
            )
            problems = candidate.problems()
            if problems:
                return problems
            before = {"level": row.level, "enabled": row.enabled} if rule_id else None
            row.name, row.level = candidate.name, candidate.level.value
            row.keywords, row.also = list(candidate.keywords), list(candidate.also)
            row.dispute_types, row.min_people = list(candidate.dispute_types), candidate.min_people
            row.enabled, row.updated_at, row.updated_by = candidate.enabled, now, staff.username
            row.notice = candidate.notice
            if rule_id is None:
                session.add(row)
            audit.record(
                session,
                at=now,
                action="rule_change",
                staff=staff,
                ip=ip,
                target=row.code,
                data={"before": before, "level": row.level, "enabled": row.enabled},
            )
        return []

    # ------------------------------------------------------------------ assessment

    async def assess_case(
        self, case_id: int, extra_texts: Sequence[str] = ()
    ) -> RiskAssessment | None:
        """Assess a case's facts and claims (and any extra text); raise its level if needed."""
        notices: list[AlertNotice] = []
        async with self.db.write() as session:
            result = await self._assess_in(session, case_id, extra_texts, notices)
        await self._notify(notices)
        return result

    async def assess_text(self, case_id: int, text: str) -> RiskAssessment | None:
        """For what parties write later (room messages): the same rules, one more text."""
        return await self.assess_case(case_id, (text,))

    async def _assess_in(
        self,
        session: AsyncSession,
        case_id: int,
        extra_texts: Sequence[str],
        notices: list[AlertNotice],
    ) -> RiskAssessment | None:
        case = (
            await session.execute(select(Case).where(Case.id == case_id).with_for_update())
        ).scalar_one_or_none()
        if case is None:
            return None
        now = self.clock.now()
        result = domain.assess(
            case.dispute_type, [case.facts, case.claims, *extra_texts], await self.rules(session)
        )
        record = await session.get(CaseRiskAssessment, case_id)
        codes = [m.code for m in result.matches]
        known = set(record.rules) if record is not None else set()
        # Only signals not seen before count: a level staff lowered stays lowered until a
        # rule that had not matched this case matches it.
        fresh = RiskLevel.NORMAL
        for m in result.matches:
            if m.code not in known:
                fresh = domain.higher(fresh, m.level)
        if record is None:
            session.add(
                CaseRiskAssessment(
                    case_id=case_id, assessed_at=now, level=result.level.value, rules=codes
                )
            )
        else:
            record.assessed_at, record.rules = now, list(dict.fromkeys([*record.rules, *codes]))
            record.level = domain.higher(domain.parse_level(record.level), result.level).value
        current = domain.parse_level(case.risk)
        if domain.RANK[fresh] > domain.RANK[current]:
            case.risk = fresh.value
            add_event(
                session,
                case.id,
                now,
                "system",
                kind="risk",
                data={
                    "from": current.value,
                    "to": fresh.value,
                    "rules": codes,
                    "evidence": [list(m.evidence) for m in result.matches],
                },
            )
            await case_watch.risk_raised(session, case, current, now)
            if domain.needs_alert(fresh):
                notices.append(await self.raise_alerts(session, case, fresh, "risk", tuple(codes)))
        return result

    async def sweep(self, limit: int = 200) -> int:
        """Assess recent cases not assessed yet; returns how many were assessed."""
        since = self.clock.now() - SWEEP_WINDOW
        async with self.db.read() as session:
            ids = list(
                (
                    await session.execute(
                        select(Case.id)
                        .where(
                            Case.created_at >= since,
                            ~select(CaseRiskAssessment.case_id)
                            .where(CaseRiskAssessment.case_id == Case.id)
                            .exists(),
                        )
                        .order_by(Case.id)
                        .limit(limit)
                    )
                ).scalars()
            )
        for case_id in ids:
            await self.assess_case(case_id)
        return len(ids)

    async def run_sweeper(self, interval: float) -> None:
        """Sweep forever (a background task of the console app); errors are logged, not fatal."""
        while True:
            try:
                await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("risk sweep failed")
            await asyncio.sleep(interval)

    # ------------------------------------------------------------------ alerts

    async def raise_alerts(
        self,
        session: AsyncSession,
        case: Case,
        level: RiskLevel,
        kind: str,
        reasons: tuple[str, ...],
        units: Sequence[str] | None = None,
        data: dict[str, Any] | None = None,
    ) -> AlertNotice:
        """Write the alert rows (in the caller's transaction) and return what to send."""
        return await write_alerts(
            session, self.units, case, level, kind, reasons, self.clock.now(), units, data
        )

    async def _notify(self, notices: Sequence[AlertNotice]) -> None:
        if self.hook is None:
            return
        for notice in notices:
            try:
                await self.hook(notice)
            except Exception:
                log.exception("alert hook failed for case %s", notice.case_id)

    async def notify(self, notices: Sequence[AlertNotice]) -> None:
        """Call the hook after the caller's commit (used by staff case actions too)."""
        await self._notify(notices)

    @staticmethod
    def _mine(staff: StaffContext) -> Any:
        return or_(
            Alert.staff_id == staff.id,
            and_(Alert.staff_id.is_(None), Alert.unit_code == staff.unit_code),
        )

    async def open_count(self, staff: StaffContext) -> int:
        if not staff.can(Action.VIEW_ALERTS):
            return 0
        async with self.db.read() as session:
            return int(
                (
                    await session.execute(
                        select(func.count()).where(
                            self._mine(staff), Alert.acknowledged_at.is_(None)
                        )
                    )
                ).scalar_one()
            )

    async def alerts(
        self, staff: StaffContext, *, include_done: bool = False, limit: int = 100
    ) -> list[tuple[Alert, str]]:
        staff.require(Action.VIEW_ALERTS)
        query = (
            select(Alert, Case.number).join(Case, Case.id == Alert.case_id).where(self._mine(staff))
        )
        if not include_done:
            query = query.where(Alert.acknowledged_at.is_(None))
        query = query.order_by(Alert.id.desc()).limit(limit)
        async with self.db.read() as session:
            return [(a, n) for a, n in (await session.execute(query))]

    async def acknowledge(self, staff: StaffContext, alert_id: int) -> None:
        staff.require(Action.VIEW_ALERTS)
        async with self.db.write() as session:
            alert = (
                await session.execute(
                    select(Alert).where(Alert.id == alert_id, self._mine(staff)).with_for_update()
                )
            ).scalar_one_or_none()
            if alert is None:
                raise NotFound()
            if alert.acknowledged_at is None:
                alert.acknowledged_at, alert.acknowledged_by = self.clock.now(), staff.username
