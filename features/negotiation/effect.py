"""Whether the case has an effective agreement, and what follows from it for performance.

An accepted offer is not an agreement: the payment schedule it sets up waits (``pending``, no
timers) until an agreement takes effect — a written one signed by every party and the mediator
and sealed (人民调解法 第二十九条), or an oral one every party confirmed (第三十条; see
``features.agreements.oral``). The agreements feature calls :func:`on_agreement_effective` in
the transaction that makes it effective; only then do reminders start, and only then may a
reminder say that the agreement binds (第三十一条).

What a payee is told after a missed payment is chosen here from the case's real state
(``mediation.performance.remedies``): the 司法确认 offer's status and last day, the dispute type,
and whether the agreement is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from features.agreements.common import AGREEMENT, ORAL
from features.negotiation.common import mediator_members, money, side_label
from features.negotiation.models import PaymentInstalment, PaymentSchedule
from mediation.agreed_amount import agreed_fen
from mediation.agreement import confirmation_stage
from mediation.performance import CONFIRMED, INVALID, remedies, timeline
from mediation.replies import Msg, Reply
from services.cases import add_event
from services.delivery import Outgoing
from services.room import Room
from services.timers import schedule
from storage.document_models import Document, JudicialConfirmation

TIMER_KIND = "negotiation.pay"
#: Schedule statuses: waiting for an effective agreement, tracked, all paid, replaced.
PENDING, ACTIVE = "pending", "active"


def timer_key(instalment_id: int, step: str, days: int) -> str:
    return f"pay:{instalment_id}:{step}:{days}"


async def effective_agreement(session: AsyncSession, case_id: int) -> Document | None:
    """The case's effective agreement (written and sealed, or oral and confirmed), if any."""
    return (
        await session.execute(
            select(Document)
            .where(
                Document.case_id == case_id,
                Document.kind.in_((AGREEMENT, ORAL)),
                Document.status == "effective",
            )
            .order_by(Document.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def schedule_timers(
    session: AsyncSession, inst: PaymentInstalment, tz: ZoneInfo, now: datetime
) -> None:
    for step in timeline(inst.due_on, tz, now):
        await schedule(
            session,
            timer_key(inst.id, step.step.value, step.days_before),
            TIMER_KIND,
            step.at,
            {
                "instalment": inst.id,
                "step": step.step.value,
                "days": step.days_before,
                "tz": tz.key,  # the handler's "today" is the parties' date, not UTC's
            },
        )


async def on_agreement_effective(
    session: AsyncSession, room: Room, now: datetime, tz: ZoneInfo, out: Outgoing
) -> None:
    """The case's agreement just took effect: the waiting schedule and undertakings (if the
    parties agreed them by offer) are tracked from now — their timers are set, and the parties
    are told."""
    from features.negotiation import obligations

    await obligations.activate(session, room, now, tz, out)
    sched = (
        await session.execute(
            select(PaymentSchedule)
            .where(PaymentSchedule.case_id == room.case.id, PaymentSchedule.status == PENDING)
            .order_by(PaymentSchedule.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if sched is None:
        return
    agreed = await _agreed_amount(session, room.case.id)
    if agreed and agreed != sched.total_fen:
        # The agreement says another sum than the accepted offer: tracking the offer's plan
        # would hold the payer to terms nobody signed. The mediator sets it right.
        notice = Msg(
            "negotiation.tracking_mismatch",
            {
                "number": room.case.number,
                "agreed": money(agreed),
                "offered": money(sched.total_fen),
            },
        )
        for member in mediator_members(room):
            address = room.addresses.get(member.id)
            if address is not None:
                out.send(address, Reply(notice))
        return
    sched.status = ACTIVE
    rows = list(
        (
            await session.execute(
                select(PaymentInstalment)
                .where(PaymentInstalment.schedule_id == sched.id)
                .order_by(PaymentInstalment.seq)
            )
        ).scalars()
    )
    for inst in rows:
        await schedule_timers(session, inst, tz, now)
    add_event(
        session,
        room.case.id,
        now,
        "system",
        kind="payment_tracking_started",
        data={"amount": money(sched.total_fen), "n": len(rows)},
    )
    lines = schedule_lines(rows)
    notice = Msg(
        "negotiation.tracking_started",
        {
            "number": room.case.number,
            "payer": side_label(sched.payer_side),
            "total": money(sched.total_fen),
            "lines": lines,
        },
    )
    for member in room.present():
        address = room.addresses.get(member.id)
        if address is not None:
            out.send(address, Reply(notice))


async def _agreed_amount(session: AsyncSession, case_id: int) -> int:
    """The payments the effective agreement's own terms oblige (0: none read from them)."""
    doc = await effective_agreement(session, case_id)
    if doc is None:
        return 0
    if doc.agreed_fen is not None:
        return doc.agreed_fen
    return agreed_fen([str(t) for t in doc.content.get("terms", [])])


async def remedy_lines(session: AsyncSession, room: Room, today: date, until: str) -> list[Msg]:
    """The payee's options after a missed payment, numbered, each with its article; ``today``
    is the parties' local date (whether the 司法确认 window is still open)."""
    jc = (
        await session.execute(
            select(JudicialConfirmation).where(JudicialConfirmation.case_id == room.case.id)
        )
    ).scalar_one_or_none()
    if jc is not None and jc.status in (CONFIRMED, INVALID):
        stage = jc.status  # the court has ruled (features.agreements.confirmation.record_ruling)
    else:
        stage = confirmation_stage(jc.status if jc else None, jc.deadline if jc else None, today)
    agreement = await effective_agreement(session, room.case.id)
    written = agreement is not None and agreement.kind == AGREEMENT
    params = {
        "deadline": jc.deadline.isoformat() if jc else "",
        "court": (jc.court or jc.default_court) if jc else "",
        "until": until,
    }
    lines = [
        Msg("negotiation.remedy_line", {"n": n, "text": Msg(f"negotiation.remedy_{r}", params)})
        for n, r in enumerate(remedies(str(stage), room.case.dispute_type, written=written), 1)
    ]
    if stage == "closed":
        lines.append(Msg("negotiation.remedy_note_closed"))
    return lines


def schedule_lines(instalments: Iterable[PaymentInstalment]) -> list[Msg]:
    """One line per instalment: its number, due date, amount and where it stands."""
    return [
        Msg(
            "negotiation.schedule_line",
            {
                "n": i.seq,
                "date": i.due_on.isoformat(),
                "amount": money(i.amount_fen),
                "status": Msg(f"negotiation.inst_{i.status}"),
            },
        )
        for i in instalments
    ]
