"""Tasks dispatched to posts and departments: created by a rule, accepted or returned with a
reason, worked (what the desk did is recorded), finished; overdue ones alert upward
(``features.street.alerts``; what pages read is ``features.street.queries``).

Why durable timers: a task's deadline must fire once even if the service restarts in between
(``services.timers``, claimed in the same transaction as the alert). The timer's payload
carries what the alert needs (the desk's name, the units above it), so firing it needs no
configuration at hand.

"Upward" is the nearest unit above the desk's unit with staff who run cases (admins,
mediators, police) that the chat reaches: for a street's post, the district's operations centre.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from features.street.alerts import alert_upward
from features.street.held import routine
from features.street.models import StreetHandover, StreetReport, StreetTask, StreetTaskNote
from mediation.disputes import DisputeType
from mediation.replies import Button, Msg, Reply, button
from mediation.risk import parse_level
from mediation.street import (
    Desk,
    Dispatch,
    StreetDirectory,
    TaskEvent,
    TaskRefused,
    TaskRole,
    TaskStatus,
    task_transition,
)
from mediation.units import UnitDirectory
from mediation.validation import as_clause
from services.cases import add_event
from services.delivery import Outgoing
from services.staff_alerts import Policy
from services.staff_notices import policy_payload, tell
from services.timers import cancel_timers, schedule
from storage.models import Case, StaffAccount, Timer

TIMER_KIND = "street.task_due"


def timer_key(task_id: int) -> str:
    return f"street-task:{task_id}"


async def desk_staff(session: AsyncSession, desk: Desk) -> list[StaffAccount]:
    """The desk's active members (by username, as configured)."""
    if not desk.members:
        return []
    rows = await session.execute(
        select(StaffAccount)
        .where(StaffAccount.username.in_(desk.members), StaffAccount.active.is_(True))
        .order_by(StaffAccount.id)
    )
    return list(rows.scalars())


def desk_name(street: StreetDirectory, code: str) -> str:
    desk = street.by_code.get(code)
    return desk.name if desk is not None else code


def local_time(value: datetime, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%m-%d %H:%M")


def task_card(
    task: StreetTask, case: Case, desk_name: str, *, lead_name: str, tz: ZoneInfo
) -> Reply:
    """What a desk's member sees of a task: the case, their role, the deadline, the buttons."""
    status = TaskStatus(task.status)
    buttons: tuple[tuple[Button, ...], ...] = ()
    if status is TaskStatus.ASSIGNED:
        buttons = (
            (
                button("street.btn_accept", f"tk:acc:{task.id}"),
                button("street.btn_return", f"tk:ret:{task.id}"),
            ),
        )
    elif status is TaskStatus.ACCEPTED:
        buttons = (
            (
                button("street.btn_note", f"tk:note:{task.id}"),
                button("street.btn_done", f"tk:done:{task.id}"),
            ),
            (button("street.btn_return", f"tk:ret:{task.id}"),),
        )
    return Reply(
        Msg(
            "street.task_card",
            {
                "desk": desk_name,
                "role": Msg(f"street.role_line_{task.role}", {"lead": lead_name}),
                "number": case.number,
                "type": Msg(f"dispute.{case.dispute_type}"),
                "place": case.place,
                "facts": case.facts,
                "deadline": local_time(task.deadline_at, tz),
                "status": Msg(f"street.status_{task.status}"),
            },
        ),
        buttons=buttons,
    )


@dataclass(frozen=True)
class DispatchResult:
    rule: str | None
    tasks: tuple[StreetTask, ...]


def dispatch_rule(street: StreetDirectory, units: UnitDirectory, case: Case) -> Dispatch | None:
    """The most specific dispatch rule for the case as it now stands (its unit, place, type and
    risk), if any."""
    return street.dispatch(
        units,
        case_unit=case.unit_code,
        place=case.place,
        dispute_type=DisputeType(case.dispute_type),
        risk=parse_level(case.risk),
    )


async def locked_report(session: AsyncSession, case: Case) -> StreetReport:
    """The case's street record, locked for this transaction's change (PostgreSQL); a case not
    registered from the street has none."""
    report = (
        await session.execute(
            select(StreetReport).where(StreetReport.case_id == case.id).with_for_update()
        )
    ).scalar_one_or_none()
    if report is None:
        raise TaskError("street.joint.not_on_case")
    return report


async def dispatch_case(
    session: AsyncSession,
    case: Case,
    *,
    units: UnitDirectory,
    street: StreetDirectory,
    out: Outgoing,
    now: datetime,
    actor: str,
    tz: ZoneInfo,
    quiet: Policy | None = None,
) -> DispatchResult:
    """Apply the most specific rule: a lead task and helper tasks, each with its deadline timer;
    each desk's members the chat reaches are alerted at once (with ``quiet``, the service's
    quiet hours, a routine task waits for their morning: ``features.street.held``). No rule:
    nothing is dispatched and the case waits in its unit's queue as any other."""
    found = dispatch_rule(street, units, case)
    if found is None:
        add_event(session, case.id, now, actor, kind="dispatch_none", data={})
        return DispatchResult(None, ())
    report = (
        await session.execute(select(StreetReport).where(StreetReport.case_id == case.id))
    ).scalar_one_or_none()
    if report is not None:
        report.rule = found.rule
    created = await _create_tasks(session, case, found, now)
    add_event(
        session,
        case.id,
        now,
        actor,
        kind="dispatched",
        data={
            "rule": found.rule,
            "lead": found.lead.code,
            "assist": [d.code for d in found.assist],
            "tasks": [t.id for t, _ in created],
            # Names as they were then, for the timeline (a renamed post keeps its history).
            "lead_name": found.lead.name,
            "assist_names": [d.name for d in found.assist],
        },
    )
    for task, desk in created:
        await _schedule_and_alert(session, task, desk, case, found, units, out, tz, quiet, now)
    session.add(
        StreetHandover(
            case_id=case.id,
            at=now,
            kind="dispatched",
            unit_code=found.lead.unit_code,
            desk_code=found.lead.code,
            risk=parse_level(case.risk).value,
        )
    )
    return DispatchResult(found.rule, tuple(t for t, _ in created))


async def create_and_alert(
    session: AsyncSession,
    case: Case,
    found: Dispatch,
    units: UnitDirectory,
    out: Outgoing,
    now: datetime,
    tz: ZoneInfo,
    quiet: Policy | None = None,
) -> list[StreetTask]:
    """Tasks for a dispatch decided by hand (the centre's hand-over), as a rule's are."""
    created = await _create_tasks(session, case, found, now)
    for task, desk in created:
        await _schedule_and_alert(session, task, desk, case, found, units, out, tz, quiet, now)
    return [t for t, _ in created]


async def _create_tasks(
    session: AsyncSession, case: Case, found: Dispatch, now: datetime
) -> list[tuple[StreetTask, Desk]]:
    deadline = now + found.deadline
    created: list[tuple[StreetTask, Desk]] = []
    for desk, role in ((found.lead, TaskRole.LEAD), *((d, TaskRole.ASSIST) for d in found.assist)):
        task = StreetTask(
            case_id=case.id,
            desk_code=desk.code,
            role=role.value,
            status=TaskStatus.ASSIGNED.value,
            created_at=now,
            deadline_at=deadline,
        )
        session.add(task)
        created.append((task, desk))
    await session.flush()
    return created


async def _schedule_and_alert(
    session: AsyncSession,
    task: StreetTask,
    desk: Desk,
    case: Case,
    found: Dispatch,
    units: UnitDirectory,
    out: Outgoing,
    tz: ZoneInfo,
    quiet: Policy | None,
    now: datetime,
) -> None:
    """The task's deadline timer (its payload names the desk and the units above it, and the
    quiet hours, for the alert), and the task card to each of the desk's members the chat
    reaches (Telegram, else the browser chat: ``services.delivery.staff_addresses``) — held
    for their morning when routine and the deadline allows (``features.street.held``)."""
    up = [u.code for u in units.ancestors(desk.unit_code)]
    await schedule(
        session,
        timer_key(task.id),
        TIMER_KIND,
        task.deadline_at,
        {
            "task": task.id,
            "desk": desk.name,
            "deadline": local_time(task.deadline_at, tz),
            "up": up,
            **policy_payload(quiet),
        },
    )
    card = task_card(task, case, desk.name, lead_name=found.lead.name, tz=tz)
    wait = routine(quiet, case, "task", now, ref=task.id, by=task.deadline_at)
    await tell(session, await desk_staff(session, desk), card, out, wait)


# ---------------------------------------------------------------------- a desk's answers


class TaskError(Exception):
    """Refused (catalogue key): not this person's task, or not from where it stands."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


async def my_task(
    session: AsyncSession, street: StreetDirectory, staff: StaffAccount, task_id: int
) -> StreetTask:
    """The task, locked, if it belongs to one of the staff member's desks."""
    task = await session.get(StreetTask, task_id, with_for_update=True)
    if task is None or task.desk_code not in {d.code for d in street.desks_of(staff.username)}:
        raise TaskError("street.task_not_yours")
    return task


async def respond(
    session: AsyncSession,
    street: StreetDirectory,
    staff: StaffAccount,
    task_id: int,
    event: TaskEvent,
    *,
    now: datetime,
    out: Outgoing,
    reason: str | None = None,
    quiet: Policy | None = None,
) -> StreetTask:
    """Accept, return (with a reason) or finish a task; a return alerts upward at once (the
    case needs someone else), and any answer ends the deadline's timer when the task is no
    longer owed."""
    task = await my_task(session, street, staff, task_id)
    try:
        new = task_transition(TaskStatus(task.status), event)
    except TaskRefused as exc:
        raise TaskError(exc.key) from exc
    old, task.status = task.status, new.value
    if event is TaskEvent.FINISH:
        task.done_at = now
    else:
        task.responded_at, task.responded_by = now, staff.id
    if event is TaskEvent.RETURN:
        task.reason = reason
    add_event(
        session,
        task.case_id,
        now,
        f"staff:{staff.id}",
        kind="task_accepted"
        if new is TaskStatus.ACCEPTED
        else "task_returned"
        if new is TaskStatus.RETURNED
        else "task_done",
        data={
            "task": task.id,
            "desk": task.desk_code,
            "desk_name": desk_name(street, task.desk_code),
            "role": task.role,
            "from": old,
        },
    )
    if new in (TaskStatus.RETURNED, TaskStatus.DONE):
        await cancel_timers(session, [timer_key(task.id)])
    if new is TaskStatus.RETURNED:
        timer = (
            await session.execute(select(Timer).where(Timer.key == timer_key(task.id)))
        ).scalar_one_or_none()
        up = list(timer.payload.get("up", [])) if timer is not None else []
        case = await session.get_one(Case, task.case_id)
        await alert_upward(
            session,
            up,
            Reply(
                Msg(
                    "street.alert_returned",
                    {
                        "desk": desk_name(street, task.desk_code),
                        "role": Msg(f"street.role_{task.role}"),
                        "number": case.number,
                        "reason": as_clause(reason) if reason else Msg("street.no_reason"),
                    },
                )
            ),
            out,
            routine(quiet, case, "returned", now, ref=task.id),
        )
    return task


async def add_note(
    session: AsyncSession,
    street: StreetDirectory,
    staff: StaffAccount,
    task_id: int,
    text: str,
    now: datetime,
) -> StreetTaskNote:
    task = await my_task(session, street, staff, task_id)
    if task.status != TaskStatus.ACCEPTED.value:
        raise TaskError(f"street.task_not_{task.status}")
    note = StreetTaskNote(task_id=task.id, staff_id=staff.id, at=now, text=text)
    session.add(note)
    add_event(
        session,
        task.case_id,
        now,
        f"staff:{staff.id}",
        kind="task_note",
        data={
            "task": task.id,
            "desk": task.desk_code,
            "desk_name": desk_name(street, task.desk_code),
        },
    )
    await session.flush()
    return note
