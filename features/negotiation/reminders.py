"""The payment timers of ``features.negotiation.performance``: a reminder before each due date,
the missed-payment notice the morning after, and the escalation three days later (人民调解法
第三十一条: the committee supervises performance and urges the parties to perform). They run
only while an agreement is in effect; what the payee is told is chosen from the case's state
(``features.negotiation.effect.remedy_lines``).

Each runs inside the transaction that claims its timer row (``services.timers``), re-reads the
instalment, and says nothing when the payment was confirmed in the meantime.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from features.negotiation.common import mediator_members, side_members
from features.negotiation.effect import ACTIVE, effective_agreement, remedy_lines
from features.negotiation.models import PaymentEvent, PaymentInstalment
from features.negotiation.performance import (
    LIVE_STATUSES,
    _inst_params,
    _load,
    paid_button,
    receipt_buttons,
)
from features.negotiation.trail import alert_unit, payment_event
from mediation.offers import Side
from mediation.performance import (
    InstalmentStatus,
    TimerStep,
    enforcement_deadline,
    needs_escalation,
    on_missed,
)
from mediation.replies import Msg, Reply
from services.delivery import Outgoing
from services.outbox import QueuedMessage
from services.room import Room
from storage.models import Timer


async def on_timer(session: AsyncSession, timer: Timer, now: datetime) -> list[QueuedMessage]:
    """One reminder, missed-payment notice or escalation; nothing when it no longer applies."""
    loaded = await _load(session, int(timer.payload["instalment"]))
    if loaded is None:
        return []
    inst, sched, room = loaded
    if sched.status != ACTIVE or room.case.status not in LIVE_STATUSES:
        return []
    if await effective_agreement(session, room.case.id) is None:
        return []  # nothing binds anyone to pay (人民调解法 第二十九条、第三十条)
    status = InstalmentStatus(inst.status)
    step = TimerStep(timer.payload["step"])
    out = Outgoing(sender=_nobody())
    params = _inst_params(room, inst, sched)
    payer = side_members(room, Side(sched.payer_side))
    payee = side_members(room, Side(sched.payer_side).other)
    kind = ""
    late = now.date() > inst.due_on  # a reminder found after the due date says nothing useful
    if (
        step is TimerStep.REMIND
        and not late
        and status in (InstalmentStatus.DUE, InstalmentStatus.DISPUTED)
    ):
        days = int(timer.payload.get("days", 0))
        _send(
            out,
            room,
            payer,
            Reply(
                Msg("negotiation.remind", {**params, "days": days}), buttons=(paid_button(inst),)
            ),
        )
        kind = "reminded"
        payment_event(session, room.case.id, inst, kind="payment_reminded", actor="system", at=now)
    elif step is TimerStep.MISSED:
        new = on_missed(status)
        if new is not None:
            inst.status = new.value
            _send(
                out,
                room,
                payer,
                Reply(Msg("negotiation.missed_payer", params), buttons=(paid_button(inst),)),
            )
            _send(
                out,
                room,
                payee,
                Reply(Msg("negotiation.missed_payee", params), buttons=receipt_buttons(inst)),
            )
            kind = "missed"
            payment_event(
                session, room.case.id, inst, kind="payment_missed", actor="system", at=now
            )
        elif status is InstalmentStatus.MARKED_PAID:
            _send(
                out,
                room,
                payee,
                Reply(Msg("negotiation.confirm_again", params), buttons=receipt_buttons(inst)),
            )
            kind = "asked_payee"
            payment_event(
                session, room.case.id, inst, kind="payment_asked_payee", actor="system", at=now
            )
    elif step is TimerStep.SILENCE and status is InstalmentStatus.MARKED_PAID:
        _send(out, room, payer, Reply(Msg("negotiation.silence_payer", params)))
        _send(
            out,
            room,
            payee,
            Reply(Msg("negotiation.confirm_again", params), buttons=receipt_buttons(inst)),
        )
        _send(out, room, mediator_members(room), Reply(Msg("negotiation.silence_mediator", params)))
        alert_unit(session, room.case, inst, kind="payment_check", at=now)
        kind = "unanswered"
        payment_event(
            session, room.case.id, inst, kind="payment_unanswered", actor="system", at=now
        )
    elif step is TimerStep.ESCALATE and needs_escalation(status):
        last = max(
            i.due_on
            for i in (
                await session.execute(
                    select(PaymentInstalment).where(PaymentInstalment.schedule_id == sched.id)
                )
            ).scalars()
        )
        _send(
            out,
            room,
            mediator_members(room),
            Reply(
                Msg(
                    "negotiation.escalate_mediator",
                    {**params, "status": Msg(f"negotiation.inst_{inst.status}")},
                )
            ),
        )
        alert_unit(session, room.case, inst, kind="payment", at=now)
        route = await remedy_lines(session, room, now, enforcement_deadline(last).isoformat())
        _send(
            out, room, payee, Reply(Msg("negotiation.escalate_payee", {**params, "route": route}))
        )
        kind = "escalated"
        payment_event(session, room.case.id, inst, kind="payment_escalated", actor="system", at=now)
    if not kind:
        return []
    session.add(PaymentEvent(instalment_id=inst.id, kind=kind, actor="timer", at=now))
    return await out.flush(session)


def _nobody() -> Any:
    from services.delivery import Address

    return Address("none", "", "zh-CN")


def _send(out: Outgoing, room: Room, members: list[Any], *replies: Reply) -> None:
    for m in members:
        address = room.addresses.get(m.id)
        if address is not None:
            out.send(address, *replies)
