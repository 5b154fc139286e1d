"""Staff correct a payment confirmation (a payee's mistaken "已收到"), with a reason.

Why a staff act and not the payee's own button: a confirmation counts as money recovered (the
dashboard), completes the schedule and starts the 回访记录; undoing it changes the record of
performance (人民调解法 第三十一条), so it is done by staff in the console, with a reason, on the
case's timeline and in the audit log (the console writes the audit entry in this transaction).

After the correction the instalment is where it would be without the confirmation: waiting
for the payee's answer if the payer had said it was paid, else due (or missed once its day has
passed); its timers are set again; a completed schedule is active again and the 回访记录 that
claimed full performance is withdrawn; everyone in the room is told why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from features.negotiation.common import money, side_members
from features.negotiation.effect import ACTIVE, schedule_timers
from features.negotiation.models import FollowUp, PaymentInstalment, PaymentSchedule
from features.negotiation.performance import receipt_buttons
from features.negotiation.trail import payment_step
from mediation.offers import Side
from mediation.performance import InstalmentStatus
from mediation.replies import Msg, Reply
from services.delivery import Outgoing
from services.room import Room


@dataclass(frozen=True)
class InstalmentLine:
    """One instalment as the console lists it."""

    id: int
    seq: int
    due_on: date
    amount: str
    status: str


async def instalments_of(session: AsyncSession, case_id: int) -> list[InstalmentLine]:
    """The case's current payment plan (waiting, tracked or completed), oldest due first."""
    sched = await session.scalar(
        select(PaymentSchedule.id)
        .where(
            PaymentSchedule.case_id == case_id,
            PaymentSchedule.status.in_(("pending", ACTIVE, "completed")),
        )
        .order_by(PaymentSchedule.id.desc())
        .limit(1)
    )
    if sched is None:
        return []
    rows = await session.execute(
        select(PaymentInstalment)
        .where(PaymentInstalment.schedule_id == sched)
        .order_by(PaymentInstalment.seq)
    )
    return [
        InstalmentLine(i.id, i.seq, i.due_on, money(i.amount_fen), i.status) for i in rows.scalars()
    ]


class NotCorrectable(Exception):
    """The instalment is not a confirmed one of this case."""


async def undo_confirmation(
    session: AsyncSession,
    room: Room,
    instalment_id: int,
    *,
    reason: str,
    actor: str,
    now: datetime,
    tz: ZoneInfo,
    out: Outgoing,
) -> PaymentInstalment:
    inst = await session.get(PaymentInstalment, instalment_id, with_for_update=True)
    if (
        inst is None
        or inst.case_id != room.case.id
        or inst.status != InstalmentStatus.CONFIRMED.value
    ):
        raise NotCorrectable
    sched = await session.get_one(PaymentSchedule, inst.schedule_id, with_for_update=True)
    if inst.marked_paid_at is not None:
        inst.status = InstalmentStatus.MARKED_PAID.value
    elif inst.due_on < now.astimezone(tz).date():
        inst.status = InstalmentStatus.MISSED.value
    else:
        inst.status = InstalmentStatus.DUE.value
    inst.confirmed_at = None
    if sched.status == "completed":
        sched.status, sched.completed_at = ACTIVE, None
        await session.execute(delete(FollowUp).where(FollowUp.schedule_id == sched.id))
    payment_step(session, inst, kind="payment_corrected", actor=actor, at=now, reason=reason)
    await schedule_timers(session, inst, tz, now)
    params = {
        "number": room.case.number,
        "n": inst.seq,
        "amount": money(inst.amount_fen),
        "reason": reason,
    }
    notice = Reply(Msg("negotiation.corrected_notice", params))
    payee = side_members(room, Side(sched.payer_side).other)
    for m in room.present():
        address = room.addresses.get(m.id)
        if address is None:
            continue
        if m in payee and inst.status == InstalmentStatus.MARKED_PAID.value:
            out.send(address, Reply(notice.text, buttons=receipt_buttons(inst)))
        else:
            out.send(address, notice)
    return inst
