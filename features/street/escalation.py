"""Escalation that hands over (issue 24, item 4) and the 流转记录.

Raising a street case's risk to 较大 or 重大 — by staff on the joint page, or by the group
rules when a roster is recorded — moves it to the centre of the unit above its holder (the
street's case goes to the district's operations centre, from the units file's hierarchy). That
centre's staff are alerted and hand it to a department from their dispatch page: the old lead's
task ends as 已移交, the department gets a lead task with its deadline (and helpers theirs).
Every change of holder is a ``street_handovers`` row, so the case page shows who held it when.

Why the case's unit stays: the unit is where the case was registered and numbered (its ledger,
its 化解率); the holder is who works it now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from features.console.alerts import write_alerts
from features.street import queries
from features.street.alerts import alert_upward
from features.street.held import routine
from features.street.models import StreetHandover, StreetTask
from features.street.tasks import (
    TaskError,
    create_and_alert,
    desk_name,
    desk_staff,
    dispatch_rule,
    timer_key,
)
from i18n import DEFAULT_LANGUAGE, translate
from mediation.replies import Msg, Reply
from mediation.risk import RiskLevel, parse_level
from mediation.street import (
    OPEN_TASKS,
    Desk,
    Dispatch,
    StreetDirectory,
    TaskEvent,
    TaskStatus,
    task_transition,
)
from mediation.street_joint import escalates, escalation_centre
from mediation.units import UnitDirectory
from services import case_watch
from services.cases import add_event
from services.delivery import Outgoing
from services.staff_alerts import Policy
from services.staff_notices import tell
from services.timers import cancel_timers
from storage.models import Case, StaffAccount


@dataclass(frozen=True)
class Holder:
    unit_code: str
    desk_code: str | None
    kind: str
    since: datetime | None


async def holder_of(session: AsyncSession, case: Case) -> Holder:
    """Who holds the case now: the newest 流转记录 row (a case from before it: its unit)."""
    row = (
        await session.execute(
            select(StreetHandover)
            .where(StreetHandover.case_id == case.id)
            .order_by(StreetHandover.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if row is None:
        return Holder(case.unit_code, None, "reported", None)
    return Holder(row.unit_code, row.desk_code, row.kind, row.at)


async def handovers(session: AsyncSession, case_id: int) -> list[StreetHandover]:
    rows = await session.execute(
        select(StreetHandover)
        .where(StreetHandover.case_id == case_id)
        .order_by(StreetHandover.at, StreetHandover.id)
    )
    return list(rows.scalars())


def record(
    session: AsyncSession,
    case: Case,
    kind: str,
    unit_code: str,
    now: datetime,
    *,
    desk: str | None = None,
    by: int | None = None,
    reason: str | None = None,
) -> None:
    session.add(
        StreetHandover(
            case_id=case.id,
            at=now,
            kind=kind,
            unit_code=unit_code,
            desk_code=desk,
            risk=parse_level(case.risk).value,
            by_staff=by,
            reason=reason,
        )
    )


@dataclass(frozen=True)
class RiskRaise:
    """Who raises a case's risk, to what and why: staff on the joint page (``by`` their id) or
    the group rules (``rule``, and ``shown_reason`` the catalogue's words for the centre's
    alert, where the recorded ``reason`` is a code)."""

    level: RiskLevel
    actor: str
    reason: str
    by: int | None
    rule: str | None = None
    shown_reason: Msg | None = None

    @property
    def shown(self) -> Msg | str:
        return self.shown_reason or self.reason


async def raise_risk(
    session: AsyncSession,
    case: Case,
    change: RiskRaise,
    *,
    units: UnitDirectory,
    out: Outgoing,
    now: datetime,
) -> str | None:
    """Set the level; 较大/重大 escalates to the next centre (its code is returned; None when
    only the level changed, or there is no unit above).

    A case already at 较大 (the risk rules' sweep raised it on the words of the report) that is
    still held where it was dispatched escalates when staff confirm the level: the rules warn,
    the street's centre decides to hand it up.
    """
    before, level = parse_level(case.risk), change.level
    held = await holder_of(session, case)
    unescalated = held.kind in ("reported", "dispatched")
    if level == before and not (unescalated and escalates(RiskLevel.NORMAL, level)):
        return None
    if level != before:
        case.risk = level.value
        add_event(
            session,
            case.id,
            now,
            change.actor,
            kind="risk",
            data={
                "from": before.value,
                "to": level.value,
                "reason": change.reason,
                "rule": change.rule or "",
            },
        )
        await case_watch.risk_raised(session, case, before, now)
    case.updated_at = now
    if not (escalates(before, level) or (level == before and unescalated)):
        return None
    target = escalation_centre(units, held.unit_code)
    if target is None:
        return None
    await _escalate(session, case, change, held.unit_code, target, units=units, out=out, now=now)
    return target


async def _escalate(
    session: AsyncSession,
    case: Case,
    change: RiskRaise,
    source: str,
    target: str,
    *,
    units: UnitDirectory,
    out: Outgoing,
    now: datetime,
) -> None:
    """The hand-up itself: the 流转记录 row, the event, the target centre's alert."""
    level, reason, shown = change.level, change.reason, change.shown
    record(session, case, "escalated", target, now, by=change.by, reason=reason)
    add_event(
        session,
        case.id,
        now,
        change.actor,
        kind="street_escalated",
        data={"from": source, "to": target, "level": level.value, "reason": reason},
    )
    unit = units.by_code.get(source)
    notice = {
        "number": case.number,
        "level": Msg(f"console.risk.{level.value}"),
        "from": unit.name if unit is not None else source,
        "reason": shown,
    }
    await alert_upward(session, [target], Reply(Msg("street.alert_escalated", notice)), out)
    # And on the console's alert list of the centre's staff (not every desk uses the chat).
    why = translate(DEFAULT_LANGUAGE, shown) if isinstance(shown, Msg) else shown
    await write_alerts(
        session, units, case, level, "escalated", (), now, units=[target], data={"reason": why}
    )


async def escalated_to(session: AsyncSession, unit_code: str) -> list[Case]:
    """Cases whose holder is now this centre, waiting to be handed to a department (oldest
    escalation first)."""
    rows = await session.execute(
        select(Case)
        .join(StreetHandover, StreetHandover.case_id == Case.id)
        .where(StreetHandover.kind == "escalated", StreetHandover.unit_code == unit_code)
        .order_by(StreetHandover.at, StreetHandover.id)
    )
    found: dict[int, Case] = {}
    for case in rows.scalars():
        if case.id not in found:
            held = await holder_of(session, case)
            if held.kind == "escalated" and held.unit_code == unit_code:
                found[case.id] = case
    return list(found.values())


def suggestion(
    street: StreetDirectory, units: UnitDirectory, case: Case, centre: str
) -> Dispatch | None:
    """The dispatch rule for the case at its level, if it names a desk of the centre's
    subtree (the page pre-selects it; staff decide)."""
    found = dispatch_rule(street, units, case)
    if found is None or found.lead.unit_code != centre:
        return None
    return found


async def hand_over(
    session: AsyncSession,
    case: Case,
    *,
    street: StreetDirectory,
    units: UnitDirectory,
    staff: StaffAccount,
    lead: Desk,
    assist: tuple[Desk, ...],
    hours: int,
    out: Outgoing,
    now: datetime,
    tz: ZoneInfo,
    quiet: Policy | None = None,
) -> list[StreetTask]:
    """The holding centre gives the case to a lead desk (a department) and helpers: the old
    lead's open task ends as 已移交 (its members are told), new tasks are dispatched (with
    ``quiet``, routine notices wait for the morning: ``features.street.held``)."""
    held = await holder_of(session, case)
    if held.kind != "escalated" or held.unit_code != staff.unit_code:
        raise TaskError("street.joint.not_holding")
    if lead in assist:
        raise TaskError("street.joint.lead_assists")
    actor = f"staff:{staff.id}"
    await _end_lead(session, street, case, lead, out, now, quiet)
    found = Dispatch(
        rule="", lead=lead, assist=assist, deadline=timedelta(hours=max(1, min(hours, 720)))
    )
    created = await create_and_alert(session, case, found, units, out, now, tz, quiet)
    record(session, case, "handed", lead.unit_code, now, desk=lead.code, by=staff.id)
    add_event(
        session,
        case.id,
        now,
        actor,
        kind="street_handed",
        data={
            "lead": lead.code,
            "lead_name": lead.name,
            "assist": [d.code for d in assist],
            "assist_names": [d.name for d in assist],
            "tasks": [t.id for t in created],
            "centre": staff.unit_code,
        },
    )
    return created


async def _end_lead(
    session: AsyncSession,
    street: StreetDirectory,
    case: Case,
    lead: Desk,
    out: Outgoing,
    now: datetime,
    quiet: Policy | None = None,
) -> None:
    """The old lead's open task ends as 已移交, its timer too; its members are told who leads."""
    notice = Reply(Msg("street.alert_handed_over", {"number": case.number, "desk": lead.name}))
    for task in await queries.tasks_of_case(session, case.id):
        if task.role != "lead" or TaskStatus(task.status) not in OPEN_TASKS:
            continue
        task.status = task_transition(TaskStatus(task.status), TaskEvent.HAND_OVER).value
        task.done_at = now
        await cancel_timers(session, [timer_key(task.id)])
        old = street.by_code.get(task.desk_code)
        members = await desk_staff(session, old) if old is not None else []
        await tell(session, members, notice, out, routine(quiet, case, "handed", now))


def holder_name(street: StreetDirectory, units: UnitDirectory, row: StreetHandover) -> str:
    unit = units.by_code.get(row.unit_code)
    unit_name = unit.name if unit is not None else row.unit_code
    if row.desk_code:
        return f"{desk_name(street, row.desk_code)}（{unit_name}）"
    return unit_name
