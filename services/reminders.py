"""What each kind of timer does when it fires (registered on :class:`TimerService`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from mediation.case_state import ACTIVE, CaseStatus
from mediation.replies import Msg, Reply
from services import invites, staff_alerts
from services.cases import add_event
from services.delivery import Address, Outgoing
from services.outbox import QueuedMessage
from services.room import load_room
from services.timers import TimerService
from storage.models import Invitation, Timer

_SYSTEM = Address("system", "-", "zh-CN")


async def invite_expiry(session: AsyncSession, timer: Timer, now: datetime) -> list[QueuedMessage]:
    invitation = await session.get(
        Invitation, int(timer.payload["invitation_id"]), with_for_update=True
    )
    out = Outgoing(_SYSTEM)
    if invitation is not None and invitation.status == "pending":
        await invites.decline(session, invitation, None, None, out, now, expired=True)
    return await out.flush(session)


async def party_reminder(session: AsyncSession, timer: Timer, now: datetime) -> list[QueuedMessage]:
    """The mediator asked a party something a while ago and is still waiting."""
    room = await load_room(session, int(timer.payload["case_id"]))
    if room is None or CaseStatus(room.case.status) not in ACTIVE:
        return []
    member = room.by_id(int(timer.payload["member_id"]))
    address = room.addresses.get(member.id) if member is not None else None
    if member is None or member.status == "removed" or address is None:
        return []
    out = Outgoing(_SYSTEM)
    out.send(
        address,
        Reply(
            Msg("room.reply_reminder", {"header": room.header(None), "number": room.case.number})
        ),
    )
    add_event(
        session, room.case.id, now, "system", kind="party_reminded", data={"member": member.id}
    )
    return await out.flush(session)


def register_all(timers: TimerService, settings: Settings) -> None:
    timers.register("invite_expiry", invite_expiry)
    timers.register("party_reminder", party_reminder)
    # The mediation period's marks and the staff alerts they join (batched, quiet hours).
    for kind, handler in staff_alerts.handlers(settings).items():
        timers.register(kind, handler)
