"""The payment timers of ``features.negotiation.performance``: a reminder before each due date,
the missed-payment notice the morning after, and the escalation three days later (人民调解法
第三十一条: the committee supervises performance and urges the parties to perform). They run
only while an agreement is in effect; what the payee is told is chosen from the case's state
(``features.negotiation.effect.remedy_lines``).

Each runs inside the transaction that claims its timer row (``services.timers``), re-reads the
instalment, and says nothing when the payment was confirmed in the meantime.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from features.negotiation.common import mediator_members, side_members
from features.negotiation.effect import ACTIVE, effective_agreement, remedy_lines
from features.negotiation.models import PaymentEvent, PaymentInstalment, PaymentSchedule
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


@dataclass
class _Step:
    """One timer's moment: the instalment, its room, and who is who."""

    session: AsyncSession
    inst: PaymentInstalment
    sched: PaymentSchedule
    room: Room
    now: datetime
    #: The parties' date at ``now`` (the timer's zone; UTC for timers set before it was kept).
    today: date
    out: Outgoing
    params: dict[str, Any]
    payer: list[Any]
    payee: list[Any]

    def send(self, members: list[Any], reply_: Reply) -> None:
        _send(self.out, self.room, members, reply_)

    def event(self, *, kind: str) -> None:
        """The step in both histories: the payment's own (``PaymentEvent`` by the timer, the
        step ``kind`` names without ``payment_``: the 回访记录 reads it) and the case's timeline
        (``kind``, by the system)."""
        self.session.add(
            PaymentEvent(
                instalment_id=self.inst.id,
                kind=kind.removeprefix("payment_"),
                actor="timer",
                at=self.now,
            )
        )
        payment_event(
            self.session, self.room.case.id, self.inst, kind=kind, actor="system", at=self.now
        )


async def on_timer(session: AsyncSession, timer: Timer, now: datetime) -> list[QueuedMessage]:
    """One reminder, missed-payment notice, silence check or escalation; nothing when it no
    longer applies."""
    loaded = await _load(session, int(timer.payload["instalment"]))
    if loaded is None:
        return []
    inst, sched, room = loaded
    if sched.status != ACTIVE or room.case.status not in LIVE_STATUSES:
        return []
    if await effective_agreement(session, room.case.id) is None:
        return []  # nothing binds anyone to pay (人民调解法 第二十九条、第三十条)
    step = _Step(
        session,
        inst,
        sched,
        room,
        now,
        now.astimezone(ZoneInfo(str(timer.payload.get("tz") or "UTC"))).date(),
        Outgoing(sender=_nobody()),
        _inst_params(room, inst, sched),
        side_members(room, Side(sched.payer_side)),
        side_members(room, Side(sched.payer_side).other),
    )
    status = InstalmentStatus(inst.status)
    kind = TimerStep(timer.payload["step"])
    if kind is TimerStep.REMIND:
        done = _remind(step, status, int(timer.payload.get("days", 0)))
    elif kind is TimerStep.MISSED:
        done = _missed(step, status)
    elif kind is TimerStep.SILENCE:
        done = _silence(step, status)
    else:
        done = await _escalate(step, status)
    return await step.out.flush(session) if done else []


def _remind(step: _Step, status: InstalmentStatus, days: int) -> bool:
    late = step.today > step.inst.due_on  # after the due date a reminder says nothing
    if late or status not in (InstalmentStatus.DUE, InstalmentStatus.DISPUTED):
        return False
    params = {**step.params, "days": days}
    step.send(
        step.payer, Reply(Msg("negotiation.remind", params), buttons=(paid_button(step.inst),))
    )
    step.event(kind="payment_reminded")
    return True


def _missed(step: _Step, status: InstalmentStatus) -> bool:
    """The morning after: an unconfirmed payment is missed; one the payer marked as paid
    makes the payee be asked again."""
    inst, params = step.inst, step.params
    new = on_missed(status)
    if new is not None:
        inst.status = new.value
        step.send(
            step.payer,
            Reply(Msg("negotiation.missed_payer", params), buttons=(paid_button(inst),)),
        )
        step.send(
            step.payee,
            Reply(Msg("negotiation.missed_payee", params), buttons=receipt_buttons(inst)),
        )
        step.event(kind="payment_missed")
        return True
    if status is InstalmentStatus.MARKED_PAID:
        step.send(
            step.payee,
            Reply(Msg("negotiation.confirm_again", params), buttons=receipt_buttons(inst)),
        )
        step.event(kind="payment_asked_payee")
        return True
    return False


def _silence(step: _Step, status: InstalmentStatus) -> bool:
    """The payee has not answered "paid" for days: the payer is told, the payee asked
    again, the mediator (and the unit's console) asked to check."""
    if status is not InstalmentStatus.MARKED_PAID:
        return False
    inst, params = step.inst, step.params
    step.send(step.payer, Reply(Msg("negotiation.silence_payer", params)))
    step.send(
        step.payee,
        Reply(Msg("negotiation.confirm_again", params), buttons=receipt_buttons(inst)),
    )
    step.send(mediator_members(step.room), Reply(Msg("negotiation.silence_mediator", params)))
    alert_unit(step.session, step.room.case, inst, kind="payment_check", at=step.now)
    step.event(kind="payment_unanswered")
    return True


async def _escalate(step: _Step, status: InstalmentStatus) -> bool:
    """Still not confirmed days after the due date: the mediator and the unit are alerted;
    the payee is told what they can do, from the case's state."""
    if not needs_escalation(status):
        return False
    inst, params, session = step.inst, step.params, step.session
    last = max(
        i.due_on
        for i in (
            await session.execute(
                select(PaymentInstalment).where(PaymentInstalment.schedule_id == step.sched.id)
            )
        ).scalars()
    )
    state = {**params, "status": Msg(f"negotiation.inst_{inst.status}")}
    step.send(mediator_members(step.room), Reply(Msg("negotiation.escalate_mediator", state)))
    alert_unit(session, step.room.case, inst, kind="payment", at=step.now)
    until = enforcement_deadline(last).isoformat()
    route = await remedy_lines(session, step.room, step.today, until)
    step.send(step.payee, Reply(Msg("negotiation.escalate_payee", {**params, "route": route})))
    step.event(kind="payment_escalated")
    return True


def _nobody() -> Any:
    from services.delivery import Address

    return Address("none", "", "zh-CN")


def _send(out: Outgoing, room: Room, members: list[Any], *replies: Reply) -> None:
    for m in members:
        address = room.addresses.get(m.id)
        if address is not None:
            out.send(address, *replies)
