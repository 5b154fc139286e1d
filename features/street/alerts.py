"""Alerts upward: a returned task, and a task still owed at its deadline (the durable timer's
handler), reach the nearest unit above the desk with staff who run cases (admins, mediators,
police) that the chat reaches — linked in Telegram or logged in to the browser chat with their
account's phone (``services.delivery.staff_addresses``) — for a street's post, the district's
operations centre. An overdue task is
recorded and reported once: the timer is claimed in the same transaction as the alert."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from features.street.held import routine
from features.street.models import StreetTask
from mediation.replies import Msg, Reply
from mediation.street import TaskStatus, is_overdue
from services.cases import add_event
from services.delivery import Address, Outgoing, staff_addresses
from services.mediators import MEDIATING_ROLES
from services.outbox import QueuedMessage
from services.staff_notices import Hold, policy_of, tell
from storage.models import Case, StaffAccount, Timer

_SYSTEM = Address("system", "-", "zh-CN")


async def alert_upward(
    session: AsyncSession,
    up: Sequence[str],
    notice: Reply,
    out: Outgoing,
    hold: Hold | None = None,
) -> list[StaffAccount]:
    """Tell the nearest unit above that has case-running staff the chat reaches (none: nobody
    is told, and the console's task list still shows it); a routine notice (``hold``) waits
    for each one's morning during their quiet hours (``services.staff_notices``)."""
    if not up:
        return []
    rows = await session.execute(
        select(StaffAccount)
        .where(
            StaffAccount.active.is_(True),
            or_(StaffAccount.telegram_id.is_not(None), StaffAccount.phone_hash.is_not(None)),
            StaffAccount.role.in_(sorted(MEDIATING_ROLES)),
            StaffAccount.unit_code.in_(list(up)),
        )
        .order_by(StaffAccount.id)
    )
    staff = list(rows.scalars())
    addresses = await staff_addresses(session, staff)
    for code in up:
        here = [s for s in staff if s.unit_code == code and s.id in addresses]
        if here:
            return await tell(session, here, notice, out, hold)
    return []


async def on_due(session: AsyncSession, timer: Timer, now: datetime) -> list[QueuedMessage]:
    """The deadline came: a task still owed is overdue, recorded once and reported upward."""
    task = await session.get(StreetTask, int(timer.payload["task"]), with_for_update=True)
    if task is None or not is_overdue(TaskStatus(task.status), task.deadline_at, now):
        return []
    if task.overdue_at is not None:
        return []
    task.overdue_at = now
    case = await session.get_one(Case, task.case_id)
    add_event(
        session,
        case.id,
        now,
        "system",
        kind="task_overdue",
        data={
            "task": task.id,
            "desk": task.desk_code,
            "desk_name": str(timer.payload.get("desk", task.desk_code)),
            "role": task.role,
            "status": task.status,
        },
    )
    out = Outgoing(_SYSTEM)
    await alert_upward(
        session,
        list(timer.payload.get("up", [])),
        Reply(
            Msg(
                "street.alert_overdue",
                {
                    "desk": str(timer.payload.get("desk", task.desk_code)),
                    "role": Msg(f"street.role_{task.role}"),
                    "number": case.number,
                    "status": Msg(f"street.status_{task.status}"),
                    "deadline": str(timer.payload.get("deadline", "")),
                },
            )
        ),
        out,
        routine(policy_of(timer.payload), case, "overdue", now, ref=task.id),
    )
    return await out.flush(session)
