"""The durable timers of a 司法确认 offer: reminders before the last day, and the close of the
offer when the 30 days are over (民事诉讼法 第二百零五条). Each re-reads the offer in the
transaction that claims its timer, so a reminder never promises a window that has closed or
asks for an application already handed in (issue 18)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from features.agreements.common import send
from features.agreements.confirmation import SYSTEM, buttons, consents_of, submitted_button
from mediation.replies import Msg
from services import features
from services.delivery import Outgoing
from services.outbox import QueuedMessage
from services.room import load_room
from storage.document_models import JudicialConfirmation
from storage.models import Timer


@features.timer("jc_reminder")
async def reminder(session: AsyncSession, timer: Timer, now: datetime) -> list[QueuedMessage]:
    """7 and 2 days before the last day: remind every applicant (joint application)."""
    jc = await session.get(JudicialConfirmation, int(timer.payload["jc"]))
    out = Outgoing(SYSTEM)
    if jc is None or jc.status not in ("offered", "applied"):
        return []
    room = await load_room(session, jc.case_id)
    if room is None:
        return []
    days = int(timer.payload.get("days", 0))
    for consent in await consents_of(session, jc.id):
        member = room.by_id(consent.member_id)
        address = room.addresses.get(member.id) if member else None
        if address is None:
            continue
        if jc.status == "offered":
            msg = Msg(
                "agreements.jc_remind_offer", {"days": days, "deadline": jc.deadline.isoformat()}
            )
            send(out, address, msg, buttons(jc))
        else:
            msg = Msg(
                "agreements.jc_remind_submit",
                {"days": days, "deadline": jc.deadline.isoformat(), "court": jc.court or ""},
            )
            send(out, address, msg, submitted_button(jc.id))
    return await out.flush(session)


@features.timer("jc_deadline")
async def deadline(session: AsyncSession, timer: Timer, now: datetime) -> list[QueuedMessage]:
    """The 30 days are over: an offer nobody completed closes (第二百零五条)."""
    jc = await session.get(JudicialConfirmation, int(timer.payload["jc"]), with_for_update=True)
    if jc is None or jc.status != "offered":
        return []
    jc.status, jc.updated_at = "expired", now
    room = await load_room(session, jc.case_id)
    out = Outgoing(SYSTEM)
    if room is not None:
        for consent in await consents_of(session, jc.id):
            member = room.by_id(consent.member_id)
            address = room.addresses.get(member.id) if member else None
            if address is not None:
                send(
                    out,
                    address,
                    Msg("agreements.jc_status_expired", {"deadline": jc.deadline.isoformat()}),
                )
    return await out.flush(session)
