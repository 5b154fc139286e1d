"""Transfer records (转账记录) of instalments: asked for with a button, kept as evidence,
shown to the payee and the mediator when the payer sends one; from the payee it confirms
receipt."""

from __future__ import annotations

from features.negotiation.common import (
    PENDING,
    AwaitReceipt,
    mediator_members,
    member_side,
    send_to,
    side_members,
)
from features.negotiation.performance import (
    _inst_params,
    _load,
    confirm,
    mark_paid,
    receipt_buttons,
)
from features.negotiation.trail import payment_step, show_receipt
from mediation.offers import Side
from mediation.performance import InstalmentStatus, after_mark_paid
from mediation.replies import Msg, Reply, button, reply
from services.turn import Turn
from storage.models import Evidence


def ask_receipt(turn: Turn, instalment_id: int) -> Reply:
    turn.put(PENDING, AwaitReceipt(instalment_id))
    return Reply(
        Msg("negotiation.ask_receipt"),
        buttons=((button("negotiation.btn_input_cancel", "ng:ic"),),),
    )


async def on_receipt(turn: Turn, user_id: int, pending: AwaitReceipt) -> list[Reply]:
    """A photo or file sent after "upload transfer record": kept as evidence of the payment.
    From the payee it confirms receipt; from the payer it backs "I paid"."""
    from mediation import intake

    payload = turn.event.payload
    if not isinstance(payload, intake.FileInput):
        return [reply("negotiation.receipt_need_file")]
    loaded = await _load(turn.session, pending.inst)
    turn.put(PENDING, None)
    if loaded is None:
        return [reply("bot.stale_button")]
    inst, sched, room = loaded
    member = room.of_user(user_id)
    side = member_side(member) if member is not None else None
    if member is None or side is None:
        return [reply("room.refused_not_member")]
    evidence = Evidence(
        case_id=room.case.id,
        party_id=member.party_id,
        kind=payload.kind,
        channel=turn.event.channel,
        file_ref=payload.ref,
        created_at=turn.now,
    )
    turn.session.add(evidence)
    await turn.session.flush()
    payment_step(
        turn.session,
        inst,
        kind="payment_receipt",
        actor=f"member:{member.id}",
        at=turn.now,
        evidence_id=evidence.id,
    )
    if side is Side(sched.payer_side).other:
        return await confirm(turn, user_id, inst.id, evidence_id=evidence.id)
    # The payer's transfer record: the payee sees it when asked to confirm, the mediator too.
    payee = side_members(room, Side(sched.payer_side).other)
    show_receipt(
        turn.out,
        room,
        [*payee, *mediator_members(room)],
        inst,
        turn.event.chat_id,
        turn.event.message_id,
    )
    replies = [reply("negotiation.receipt_saved")]
    if after_mark_paid(InstalmentStatus(inst.status)) is not None:
        replies += await mark_paid(turn, user_id, inst.id)
    elif inst.status == InstalmentStatus.MARKED_PAID.value:
        params = _inst_params(room, inst, sched)
        send_to(
            turn,
            room,
            payee,
            Reply(Msg("negotiation.payee_confirm", params), buttons=receipt_buttons(inst)),
        )
    return replies
