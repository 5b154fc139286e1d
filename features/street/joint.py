"""Joint handling (多跨协同, issue 24 item 3): one case, several desks and centres, each seeing
what its role allows (``mediation.street_joint``), a shared timeline, joint sessions on site or
in the room (scheduled, who attended, what happened) and one outcome.

Why the roles come from the tasks: whoever the rules or the centre dispatched the case to is on
it, and nobody else (a post's member who has no task on the case gets nothing); the centre is
the admins of the units above the case, who answer for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from features.street import queries
from features.street.escalation import Holder, holder_of, record
from features.street.held import routine
from features.street.models import StreetReport, StreetSession, StreetTask
from features.street.tasks import TaskError, desk_staff, local_time, locked_report, timer_key
from mediation.replies import Msg, Reply
from mediation.staff_permissions import subtree
from mediation.street import (
    OPEN_TASKS,
    DeskKind,
    StreetDirectory,
    TaskEvent,
    TaskStatus,
    task_transition,
)
from mediation.street_joint import Access, Do, JointRole, Outcome, task_role
from mediation.units import UnitDirectory
from services.cases import add_event
from services.delivery import Outgoing
from services.staff_alerts import Policy
from services.staff_notices import Hold, tell
from services.timers import cancel_timers
from storage.models import Case, StaffAccount

SESSION_KINDS = ("site", "room")
SESSION_RESULTS = ("agreed", "no_agreement")


async def access_of(
    session: AsyncSession,
    street: StreetDirectory,
    units: UnitDirectory,
    staff: StaffAccount,
    case: Case,
) -> Access:
    """The person's roles on the case: from their desks' tasks (a returned task gives none; a
    lead task handed over leaves them helping), and the centre's for admins above the case."""
    mine = {d.code for d in street.desks_of(staff.username)}
    roles: set[JointRole] = set()
    for task in await queries.tasks_of_case(session, case.id):
        if task.desk_code not in mine or task.status == TaskStatus.RETURNED.value:
            continue
        desk = street.by_code.get(task.desk_code)
        is_department = desk is not None and desk.kind is DeskKind.DEPARTMENT
        role = task.role if task.status != TaskStatus.HANDED.value else "assist"
        roles.add(task_role(role, is_department))
    if staff.role == "admin" and case.unit_code in subtree(units, staff.unit_code):
        roles.add(JointRole.CENTRE)
    return Access(frozenset(roles))


async def load(
    session: AsyncSession,
    street: StreetDirectory,
    units: UnitDirectory,
    staff: StaffAccount,
    case_id: int,
    *,
    need: Do | None = None,
    lock: bool = False,
) -> tuple[Case, Access]:
    """The case if the person has a role on it (and may do ``need``), else TaskError."""
    case = await session.get(Case, case_id, with_for_update=lock)
    if case is None:
        raise TaskError("street.joint.not_on_case")
    access = await access_of(session, street, units, staff, case)
    if not access.roles or (need is not None and not access.may(need)):
        raise TaskError("street.joint.not_on_case" if not access.roles else "street.joint.not_role")
    if need in (Do.SESSION, Do.ROSTER, Do.RAISE):
        # After the one outcome the case is closed to new steps (the outcome's own check says
        # why a second one is refused).
        outcome = (
            await session.execute(
                select(StreetReport.outcome).where(StreetReport.case_id == case.id)
            )
        ).scalar_one_or_none()
        if outcome is not None:
            raise TaskError("street.joint.concluded")
    return case, access


@dataclass(frozen=True)
class Open:
    case: Case
    holder: Holder
    report: StreetReport | None
    tasks: list[StreetTask]
    sessions: list[StreetSession]


async def case_page(session: AsyncSession, case: Case) -> Open:
    report = (
        await session.execute(select(StreetReport).where(StreetReport.case_id == case.id))
    ).scalar_one_or_none()
    sessions = await session.execute(
        select(StreetSession)
        .where(StreetSession.case_id == case.id)
        .order_by(StreetSession.scheduled_at, StreetSession.id)
    )
    return Open(
        case=case,
        holder=await holder_of(session, case),
        report=report,
        tasks=await queries.tasks_of_case(session, case.id),
        sessions=list(sessions.scalars()),
    )


async def _tell_desks(
    session: AsyncSession,
    street: StreetDirectory,
    case: Case,
    notice: Msg,
    out: Outgoing,
    *,
    skip: int | None = None,
    hold: Hold | None = None,
) -> None:
    """Every member of every desk on the case (one that returned its task is off it; a lead
    that handed it over still hears), not the one who acted; a routine notice (``hold``)
    waits for each one's morning during their quiet hours."""
    told: dict[int, StaffAccount] = {}
    for task in await queries.tasks_of_case(session, case.id):
        if task.status == TaskStatus.RETURNED.value:
            continue
        desk = street.by_code.get(task.desk_code)
        if desk is None:
            continue
        for member in await desk_staff(session, desk):
            if member.id != skip:
                told.setdefault(member.id, member)
    await tell(session, told.values(), Reply(notice), out, hold)


async def schedule_session(
    session: AsyncSession,
    street: StreetDirectory,
    case: Case,
    staff: StaffAccount,
    *,
    kind: str,
    at: datetime,
    place: str,
    out: Outgoing,
    now: datetime,
    tz: ZoneInfo,
    quiet: Policy | None = None,
) -> StreetSession:
    if kind not in SESSION_KINDS:
        raise TaskError("street.joint.bad_kind")
    row = StreetSession(
        case_id=case.id, kind=kind, scheduled_at=at, place=place, created_by=staff.id
    )
    session.add(row)
    await session.flush()
    add_event(
        session,
        case.id,
        now,
        f"staff:{staff.id}",
        kind="street_session_scheduled",
        data={"session": row.id, "kind": kind, "at": at.isoformat()},
    )
    await _tell_desks(
        session,
        street,
        case,
        Msg(
            "street.alert_session",
            {
                "number": case.number,
                "kind": Msg(f"street.joint.kind_{kind}"),
                "at": local_time(at, tz),
                "place": place,
            },
        ),
        out,
        skip=staff.id,
        hold=routine(quiet, case, "session", now, ref=row.id, by=at),
    )
    return row


async def record_session(
    session: AsyncSession,
    case: Case,
    staff: StaffAccount,
    session_id: int,
    *,
    desks: Sequence[str],
    others: str | None,
    summary: str,
    result: str,
    now: datetime,
) -> StreetSession:
    """Who attended (the case's desks ticked, others as typed) and what happened."""
    row = await session.get(StreetSession, session_id, with_for_update=True)
    if row is None or row.case_id != case.id:
        raise TaskError("street.joint.no_session")
    if row.held_at is not None:
        raise TaskError("street.joint.session_recorded")
    if result not in SESSION_RESULTS:
        raise TaskError("street.joint.bad_result")
    on_case = {t.desk_code for t in await queries.tasks_of_case(session, case.id)}
    present = [d for d in dict.fromkeys(desks) if d in on_case]
    row.held_at, row.recorded_by = now, staff.id
    row.desks, row.others, row.summary, row.result = ",".join(present), others, summary, result
    add_event(
        session,
        case.id,
        now,
        f"staff:{staff.id}",
        kind="street_session_held",
        data={"session": row.id, "kind": row.kind, "desks": present, "result": result},
    )
    return row


async def record_outcome(
    session: AsyncSession,
    street: StreetDirectory,
    case: Case,
    staff: StaffAccount,
    *,
    outcome: Outcome,
    text: str,
    out: Outgoing,
    now: datetime,
    quiet: Policy | None = None,
) -> None:
    """The case's one outcome: every open task ends (its timer too), the desks are told, the
    流转记录 closes."""
    report = await locked_report(session, case)
    if report.outcome is not None:
        raise TaskError("street.joint.outcome_exists")
    report.outcome, report.outcome_at, report.outcome_by, report.outcome_text = (
        outcome.value,
        now,
        staff.id,
        text,
    )
    ended = []
    for task in await queries.tasks_of_case(session, case.id):
        if TaskStatus(task.status) in OPEN_TASKS:
            task.status = task_transition(TaskStatus(task.status), TaskEvent.CLOSE).value
            task.done_at = now
            ended.append(timer_key(task.id))
    await cancel_timers(session, ended)
    held = await holder_of(session, case)
    record(session, case, "concluded", held.unit_code, now, desk=held.desk_code, by=staff.id)
    case.updated_at = now
    add_event(
        session,
        case.id,
        now,
        f"staff:{staff.id}",
        kind="street_outcome",
        data={"outcome": outcome.value, "tasks_closed": len(ended)},
    )
    await _tell_desks(
        session,
        street,
        case,
        Msg(
            "street.alert_outcome",
            {"number": case.number, "outcome": Msg(f"street.joint.outcome_{outcome.value}")},
        ),
        out,
        skip=staff.id,
        hold=routine(quiet, case, "outcome", now),
    )
