"""Which of the street's notices to staff wait for the morning, and what the morning's digest
says of them (the hold and the digest are ``services.staff_notices`` and
``services.staff_alerts``: the same batch as the new-case alerts).

What a city's night desk does: a dispute at 较大 or 重大 (a dangerous one, or one escalated
for that) reaches people at once, day or night — its task cards, a returned or overdue task, the
hand-over, the escalation itself (``features.street.escalation`` never holds it). Everything
else is routine and, during the recipient's quiet hours, waits for the window's end: a task
dispatched (unless its deadline comes first: then the desk hears now), an overdue or returned
task, the end of a lead's task, a joint session (unless it starts first), an outcome. When the
batch fires each line is checked again: a task a colleague accepted overnight is not shown.

A case whose risk rises to 较大 or above after its notices were held (a party's words trip the
risk watch, staff raise the level on the console or the joint page, the group rules) is no
longer routine: what was held of it leaves the morning's batch and goes at once, saying the
level (:func:`release`, ``services.staff_alerts.release``), so its desks do not learn of a
dangerous dispute only in the morning, nor twice.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from features.street import queries
from features.street.config import load_street
from features.street.models import StreetReport, StreetSession, StreetTask
from mediation.replies import Msg, button
from mediation.risk import RANK, RiskLevel, parse_level
from mediation.staff_alerts import Item
from mediation.street import OPEN_TASKS, TaskStatus
from mediation.validation import as_clause
from services import staff_alerts
from services.case_watch import on_risk_raised
from services.room import Room
from services.staff_alerts import Held, Policy, held_line
from services.staff_notices import Hold
from storage.models import Case, StaffAccount

#: At this level and above a notice never waits (the rules' 较大 hands a case upward too).
URGENT = RiskLevel.MAJOR


def urgent(case: Case) -> bool:
    return RANK[parse_level(case.risk)] >= RANK[URGENT]


def routine(
    policy: Policy | None,
    case: Case,
    what: str,
    now: datetime,
    *,
    ref: int = 0,
    by: datetime | None = None,
) -> Hold | None:
    """How a routine notice of ``case`` may wait (``what``: one of this module's kinds, as
    ``street.<what>``); None — send it now — for an urgent case or when no policy is given."""
    if policy is None or urgent(case):
        return None
    return Hold(policy, Item(f"street.{what}", case.id, ref=ref), now, by)


@on_risk_raised
async def release(session: AsyncSession, case: Case, before: RiskLevel, now: datetime) -> None:
    """The case became urgent: its held notices go now (nothing held: nothing happens)."""
    if urgent(case):
        await staff_alerts.release(session, case.id, parse_level(case.risk), now, "street.")


def _when(settings: Settings, at: datetime) -> str:
    return at.astimezone(settings.tz).strftime("%m-%d %H:%M")


async def _task(
    session: AsyncSession, room: Room, item: Item, statuses: Collection[TaskStatus]
) -> StreetTask | None:
    """The item's task while it still stands where the notice said (else None: not news)."""
    task = await session.get(StreetTask, item.ref)
    if task is None or task.case_id != room.case.id or TaskStatus(task.status) not in statuses:
        return None
    return task


def _line(key: str, settings: Settings, task: StreetTask, **more: object) -> Msg:
    """A task's line: its desk, the deadline and what ``key`` adds."""
    desk = load_street(settings.units_file).by_code.get(task.desk_code)
    desk_name = desk.name if desk is not None else task.desk_code
    return Msg(key, {"desk": desk_name, "deadline": _when(settings, task.deadline_at), **more})


@held_line("street.task")
async def _dispatched(
    session: AsyncSession, settings: Settings, room: Room, staff: StaffAccount, item: Item
) -> Held | None:
    """Still waiting for someone of the desk to accept it: the line and its 接单/退回."""
    task = await _task(session, room, item, (TaskStatus.ASSIGNED,))
    if task is None:
        return None
    lead = await queries.lead_desk_name(session, load_street(settings.units_file), room.case.id)
    role = Msg(f"street.role_line_{task.role}", {"lead": lead})
    accept = button("street.btn_accept", f"tk:acc:{task.id}")
    give_back = button("street.btn_return", f"tk:ret:{task.id}")
    return Held(_line("street.held_task", settings, task, role=role), (accept, give_back))


def _told_upward(
    what: str, statuses: Collection[TaskStatus], said: Callable[[StreetTask], dict[str, object]]
) -> None:
    """An overdue or returned task as the unit above reads it in the morning: the desk, its
    role, and what ``said`` adds (its status, the reason it gave)."""

    @held_line(f"street.{what}")
    async def line(
        session: AsyncSession, settings: Settings, room: Room, staff: StaffAccount, item: Item
    ) -> Held | None:
        task = await _task(session, room, item, statuses)
        if task is None:
            return None  # done, accepted or handed on overnight
        role = Msg(f"street.role_{task.role}")
        return Held(_line(f"street.held_{what}", settings, task, role=role, **said(task)))


_told_upward("overdue", OPEN_TASKS, lambda t: {"status": Msg(f"street.status_{t.status}")})
_told_upward(
    "returned",
    (TaskStatus.RETURNED,),
    lambda t: {"reason": as_clause(t.reason) if t.reason else Msg("street.no_reason")},
)


@held_line("street.handed")
async def _handed(
    session: AsyncSession, settings: Settings, room: Room, staff: StaffAccount, item: Item
) -> Held | None:
    lead = await queries.lead_desk_name(session, load_street(settings.units_file), room.case.id)
    return Held(Msg("street.held_handed", {"desk": lead}))


@held_line("street.session")
async def _session(
    session: AsyncSession, settings: Settings, room: Room, staff: StaffAccount, item: Item
) -> Held | None:
    row = await session.get(StreetSession, item.ref)
    if row is None or row.case_id != room.case.id or row.held_at is not None:
        return None
    return Held(
        Msg(
            "street.held_session",
            {
                "kind": Msg(f"street.joint.kind_{row.kind}"),
                "at": _when(settings, row.scheduled_at),
                "place": row.place,
            },
        )
    )


@held_line("street.outcome")
async def _outcome(
    session: AsyncSession, settings: Settings, room: Room, staff: StaffAccount, item: Item
) -> Held | None:
    report = (
        await session.execute(select(StreetReport).where(StreetReport.case_id == room.case.id))
    ).scalar_one_or_none()
    if report is None or report.outcome is None:
        return None
    return Held(
        Msg("street.held_outcome", {"outcome": Msg(f"street.joint.outcome_{report.outcome}")})
    )
