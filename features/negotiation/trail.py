"""What follow-up leaves for staff: an event on the case's timeline for every payment step (the
console labels each kind, ``console.timeline.payment_*``), a console alert to the case's unit
and mediator when a payment is overdue or a payee stays silent, and the payer's transfer record
shown to the payee and the mediator.

Why here and not only in chat: the mediator linked on Telegram is one person; the unit's
console is where a case that needs attention is seen by whoever is on duty (人民调解法
第三十一条: the committee supervises performance).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from features.console.alerts import add_alerts
from features.negotiation.common import money
from features.negotiation.models import PaymentEvent, PaymentInstalment
from mediation.replies import Msg, Reply
from mediation.risk import RiskLevel
from services.cases import add_event
from services.delivery import Outgoing
from services.outbox import render
from services.outgoing import RelayedFile
from services.room import Room
from storage.models import Case, CaseMember


def payment_data(inst: PaymentInstalment, **extra: Any) -> dict[str, Any]:
    """What the timeline shows of an instalment (amounts of a payment plan are no secret)."""
    return {
        "n": inst.seq,
        "amount": money(inst.amount_fen),
        "date": inst.due_on.isoformat(),
        **extra,
    }


def payment_event(
    session: AsyncSession,
    case_id: int,
    inst: PaymentInstalment,
    *,
    kind: str,
    actor: str,
    at: datetime,
    **extra: Any,
) -> None:
    add_event(session, case_id, at, actor, kind=kind, data=payment_data(inst, **extra))


def payment_step(
    session: AsyncSession,
    inst: PaymentInstalment,
    *,
    kind: str,
    actor: str,
    at: datetime,
    evidence_id: int | None = None,
    **extra: Any,
) -> None:
    """A step a person takes on an instalment, in both its histories: the instalment's own
    (``PaymentEvent``, which the 回访记录 reads: the step, ``kind`` without ``payment_``) and
    the case's timeline (``kind``, with ``extra`` in its data)."""
    session.add(
        PaymentEvent(
            instalment_id=inst.id,
            kind=kind.removeprefix("payment_"),
            evidence_id=evidence_id,
            actor=actor,
            at=at,
        )
    )
    payment_event(session, inst.case_id, inst, kind=kind, actor=actor, at=at, **extra)


def alert_unit(
    session: AsyncSession, case: Case, inst: PaymentInstalment, *, kind: str, at: datetime
) -> None:
    """An alert about an instalment in the console, for the case's unit and its mediator."""
    # Shown by the alerts page as a label (free text there is scrubbed of digit runs).
    data = {
        "instalment": inst.seq,
        "amount": money(inst.amount_fen),
        "date": inst.due_on.isoformat(),
    }
    _alerts(session, case, kind, data, at)


def alert_obligation(
    session: AsyncSession, case: Case, data: dict[str, Any], *, at: datetime
) -> None:
    """An overdue undertaking (``kind``, ``detail``, ``date``) as a console alert."""
    _alerts(session, case, "obligation", {"obligation": data.get("kind", "other"), **data}, at)


def _alerts(
    session: AsyncSession, case: Case, kind: str, data: dict[str, Any], at: datetime
) -> None:
    """One alert for the unit's staff on duty and one for the case's mediator (acknowledged
    in the console's alerts page)."""
    add_alerts(
        session, case, (case.unit_code,), kind=kind, level=RiskLevel.NORMAL.value, data=data, at=at
    )


def show_receipt(
    out: Outgoing,
    room: Room,
    members: list[CaseMember],
    inst: PaymentInstalment,
    from_chat: str,
    message_id: int | None,
) -> None:
    """The payer's transfer record, copied to the payee and the mediator; a chat on another
    channel (files cannot be copied across) is told it is in the case file."""
    caption = Msg("negotiation.receipt_caption", {"n": inst.seq, "amount": money(inst.amount_fen)})
    for m in members:
        address = room.addresses.get(m.id)
        if address is None:
            continue
        if address.channel == "telegram" and out.sender.channel == "telegram" and message_id:
            text = render(Reply(caption), address.language).text
            out.send_message(address, RelayedFile(from_chat, message_id, caption=text))
        else:
            out.send(address, Reply(Msg("negotiation.receipt_in_file", {"n": inst.seq})))
