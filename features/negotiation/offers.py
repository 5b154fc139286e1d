"""Offers in the room: preview, propose, pass on (back-to-back), accept, reject, counter,
withdraw, and what an accepted offer sets going (the agreement draft, the payment schedule).

Who sees an offer follows the room's rules (``mediation.room.route_message``): in joint mode a
party's offer reaches the other side at once (the mediator sees a copy); in back-to-back mode,
or while the session is not open, or when a side speaks through its representative, it is held
for the mediator, who passes it on with one button. The mediator's own proposal (第二十二条)
goes to both parties, and both must accept it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from features.negotiation import obligations, schedules
from features.negotiation.common import (
    PENDING,
    Previewing,
    lock_room,
    mediator_may_run,
    mediator_members,
    member_side,
    money,
    party_may_speak,
    room_event,
    send_to,
    side_label,
    side_members,
    staff_members,
    terms_lines,
)
from features.negotiation.models import BlindBidding, Offer, OfferResponse
from features.negotiation.offer_input import ask_terms, problem_replies, today
from mediation.blind_bidding import BiddingStatus
from mediation.case_state import CaseStatus
from mediation.offers import (
    OfferRefusal,
    OfferStatus,
    OfferTerms,
    OfferView,
    Response,
    Side,
    addressees,
    may_withdraw,
    respond,
)
from mediation.replies import Msg, Reply, button, reply
from mediation.room import Relay, RelayRefusal, Role, route_message
from mediation.validation import InvalidInput
from services.room import Room, label_of
from services.turn import Turn
from storage.models import CaseMember, StaffAccount


def view_of(offer: Offer) -> OfferView:
    return OfferView(
        status=OfferStatus(offer.status),
        proposer=Side(offer.proposer_side) if offer.proposer_side else None,
        needs=frozenset(Side(s) for s in offer.needs),
        accepted_by=frozenset(Side(s) for s in offer.accepted_by),
        held=offer.held,
    )


def card(room: Room, offer: Offer, head: str = "negotiation.card") -> Msg:
    terms = OfferTerms.from_json(offer.terms)
    return Msg(
        head,
        {
            "number": room.case.number,
            "ref": f"{offer.thread}-{offer.version}",
            "who": side_label(offer.proposer_side),
            "lines": terms_lines(terms),
        },
    )


def answer_buttons(offer: Offer) -> tuple[tuple[Any, ...], ...]:
    return (
        (
            button("negotiation.btn_accept", f"ng:a:{offer.id}"),
            button("negotiation.btn_reject", f"ng:r:{offer.id}"),
        ),
        (button("negotiation.btn_counter", f"ng:c:{offer.id}"),),
    )


# ---------------------------------------------------------------------------- drafting an offer


def actor_of(
    turn: Turn, room: Room, user_id: int, staff: StaffAccount | None
) -> tuple[CaseMember, Side | None] | Reply:
    """The member acting and their side (None: the mediator), or why they may not."""
    if staff is not None:
        member = room.of_staff(staff.id)
        if member is None or not mediator_may_run(turn, staff, room):
            return reply("staff.not_allowed")
        return member, None
    member = room.of_user(user_id)
    if member is None or member_side(member) is None:
        return reply("room.refused_not_member")
    if not party_may_speak(room, member):
        return reply("room.refused_muted" if member.status == "muted" else "staff.not_allowed")
    return member, member_side(member)


# ---------------------------------------------------------------------------- proposing


async def send_preview(turn: Turn, user_id: int, staff: StaffAccount | None) -> list[Reply]:
    pending = turn.get(PENDING)
    if not isinstance(pending, Previewing):
        return [reply("bot.stale_button")]
    room = await lock_room(turn.session, pending.case)
    if room is None:
        turn.put(PENDING, None)
        return [reply("bot.stale_button")]
    found = actor_of(turn, room, user_id, staff)
    if isinstance(found, Reply):
        turn.put(PENDING, None)
        return [found]
    member, side = found
    if room.case.status != CaseStatus.MEDIATING.value:
        turn.put(PENDING, None)
        return [reply("negotiation.not_now", status=Msg(f"status.{room.case.status}"))]
    try:
        terms = OfferTerms.from_json(pending.terms).validate(today(turn))
    except InvalidInput as exc:
        return problem_replies(exc)
    parent: Offer | None = None
    if pending.parent:
        parent = await turn.session.get(Offer, pending.parent, with_for_update=True)
        if parent is None or parent.case_id != room.case.id:
            turn.put(PENDING, None)
            return [reply("bot.stale_button")]
        refused = respond(view_of(parent), side, Response.COUNTER)
        if isinstance(refused, OfferRefusal):
            turn.put(PENDING, None)
            return [reply(f"negotiation.refused_{refused.value}")]
    turn.put(PENDING, None)
    return await propose(turn, room, member, side, terms, parent)


async def propose(
    turn: Turn,
    room: Room,
    member: CaseMember,
    side: Side | None,
    terms: OfferTerms,
    parent: Offer | None,
) -> list[Reply]:
    held = False
    settled = await settled_amount(turn, room.case.id)
    # After a bidding settled, both sides can work out each other's figure: a party's offer of
    # another amount (the other side's figure, say) goes through the mediator first.
    departs = settled is not None and side is not None and terms.amount_fen != settled
    if side is not None:
        decision = route_message(room.state, member.id)
        if isinstance(decision, RelayRefusal):
            return [reply(f"room.refused_{decision.value}")]
        assert isinstance(decision, Relay)
        held = decision.held_for_staff or departs
        if held and not mediator_members(room):
            return [reply("negotiation.no_mediator_yet")]
    if parent is not None:
        thread, version = parent.thread, parent.version + 1
        parent.status = OfferStatus.COUNTERED.value
        parent.decided_at = turn.now
        turn.session.add(
            OfferResponse(offer_id=parent.id, member_id=member.id, response="counter", at=turn.now)
        )
    else:
        last = await turn.session.scalar(
            select(func.max(Offer.thread)).where(Offer.case_id == room.case.id)
        )
        thread, version = (last or 0) + 1, 1
    offer = Offer(
        case_id=room.case.id,
        thread=thread,
        version=version,
        parent_id=parent.id if parent else None,
        proposer_side=side.value if side else None,
        proposer_member_id=member.id,
        status=OfferStatus.PROPOSED.value,
        terms=terms.to_json(),
        needs=sorted(s.value for s in addressees(side)),
        accepted_by=[],
        held=held,
        created_at=turn.now,
    )
    turn.session.add(offer)
    await turn.session.flush()
    room_event(
        turn,
        room,
        f"member:{member.id}",
        kind="offer_countered" if parent else "offer_proposed",
        data={"offer": offer.id, "ref": f"{thread}-{version}", "held": held},
    )
    ref = f"{thread}-{version}"
    if held:
        notes = []
        if departs and settled is not None:
            notes.append(reply("negotiation.held_settled_staff", amount=money(settled)))
        send_to(
            turn,
            room,
            mediator_members(room),
            Reply(
                card(room, offer, "negotiation.card_held"),
                buttons=((button("negotiation.btn_forward", f"ng:fw:{offer.id}"),),),
            ),
            *notes,
        )
        if departs and settled is not None:
            return [reply("negotiation.sent_held_settled", ref=ref, amount=money(settled))]
        return [reply("negotiation.sent_to_mediator", ref=ref)]
    deliver(turn, room, offer, exclude=member.id)
    return [reply("negotiation.sent", ref=ref)]


async def settled_amount(turn: Turn, case_id: int) -> int | None:
    """The amount a blind bidding of the case settled at, if one did."""
    return await turn.session.scalar(
        select(BlindBidding.settled_fen)
        .where(
            BlindBidding.case_id == case_id,
            BlindBidding.status == BiddingStatus.SETTLED.value,
        )
        .order_by(BlindBidding.id.desc())
        .limit(1)
    )


def deliver(turn: Turn, room: Room, offer: Offer, *, exclude: int | None = None) -> None:
    """The card with answer buttons to the sides that must answer; a copy to the staff."""
    for side in (Side(s) for s in offer.needs):
        targets = [m for m in side_members(room, side) if m.id != exclude]
        send_to(turn, room, targets, Reply(card(room, offer), buttons=answer_buttons(offer)))
    staff = [m for m in staff_members(room) if m.id != exclude]
    send_to(turn, room, staff, Reply(card(room, offer, "negotiation.card_copy")))


async def forward(turn: Turn, staff: StaffAccount, offer_id: int) -> list[Reply]:
    """Back-to-back: the mediator passes a held offer on to the other side."""
    offer = await turn.session.get(Offer, offer_id, with_for_update=True)
    room = await lock_room(turn.session, offer.case_id) if offer else None
    if offer is None or room is None:
        return [reply("bot.stale_button")]
    if not mediator_may_run(turn, staff, room):
        return [reply("staff.not_allowed")]
    if offer.status != OfferStatus.PROPOSED.value or not offer.held:
        return [reply("negotiation.refused_not_open")]
    offer.held = False
    member = room.of_staff(staff.id)
    assert member is not None
    turn.session.add(
        OfferResponse(offer_id=offer.id, member_id=member.id, response="forward", at=turn.now)
    )
    for side in (Side(s) for s in offer.needs):
        send_to(
            turn,
            room,
            side_members(room, side),
            Reply(card(room, offer, "negotiation.card_forwarded"), buttons=answer_buttons(offer)),
        )
    return [reply("negotiation.forwarded", ref=f"{offer.thread}-{offer.version}")]


# ---------------------------------------------------------------------------- answering


async def answer(
    turn: Turn, user_id: int, staff: StaffAccount | None, offer_id: int, response: Response
) -> list[Reply]:
    offer = await turn.session.get(Offer, offer_id, with_for_update=True)
    room = await lock_room(turn.session, offer.case_id) if offer else None
    if offer is None or room is None:
        return [reply("bot.stale_button")]
    if room.case.status != CaseStatus.MEDIATING.value:
        return [reply("negotiation.not_now", status=Msg(f"status.{room.case.status}"))]
    found = actor_of(turn, room, user_id, staff)
    if isinstance(found, Reply):
        return [found]
    member, side = found
    if (
        side is not None
        and room.state.side_has_representative(Role(side.value))
        and not member.is_representative
    ):
        return [reply("negotiation.refused_representative")]  # the side speaks through them
    result = respond(view_of(offer), side, response)
    if isinstance(result, OfferRefusal):
        return [reply(f"negotiation.refused_{result.value}")]
    ref = f"{offer.thread}-{offer.version}"
    if response is Response.COUNTER:
        # The counter-offer is written first; the offer is answered when it is sent.
        return [ask_terms(turn, room.case.id, offer.id)]
    turn.session.add(
        OfferResponse(offer_id=offer.id, member_id=member.id, response=response.value, at=turn.now)
    )
    offer.status = result.status.value
    offer.accepted_by = sorted(s.value for s in result.accepted_by)
    who = label_of(member)
    if response is Response.REJECT:
        offer.decided_at = turn.now
        notice = Reply(Msg("negotiation.rejected_notice", {"ref": ref, "who": who}))
        send_to(turn, room, _told(room, offer, member), notice)
        return [reply("negotiation.rejected_ok", ref=ref)]
    if result.status is OfferStatus.PROPOSED:  # one of two sides accepted a mediator proposal
        notice = Reply(Msg("negotiation.partly_accepted", {"ref": ref, "who": who}))
        send_to(turn, room, mediator_members(room), notice)
        return [reply("negotiation.accepted_waiting", ref=ref)]
    await on_accepted(turn, room, offer, member)
    return []


def _told(room: Room, offer: Offer, actor: CaseMember) -> list[CaseMember]:
    """Who hears of an answer: the staff always; the proposing side unless the room is
    back-to-back (there the mediator tells them, 第二十二条)."""
    targets = staff_members(room)
    if offer.proposer_side and room.case.room_mode == "joint":
        targets += side_members(room, Side(offer.proposer_side))
    return [m for m in targets if m.id != actor.id]


async def on_accepted(turn: Turn, room: Room, offer: Offer, actor: CaseMember) -> None:
    """Terms agreed: everyone is told; other open offers are closed; the payment schedule is
    set up; the mediator is offered the agreement draft built from these terms."""
    offer.decided_at = turn.now
    await turn.session.execute(
        update(Offer)
        .where(
            Offer.case_id == room.case.id,
            Offer.id != offer.id,
            Offer.status == OfferStatus.PROPOSED.value,
        )
        .values(status=OfferStatus.SUPERSEDED.value, decided_at=turn.now)
    )
    room_event(
        turn,
        room,
        f"member:{actor.id}",
        kind="offer_accepted",
        data={"offer": offer.id, "ref": f"{offer.thread}-{offer.version}"},
    )
    terms = OfferTerms.from_json(offer.terms)
    await schedules.create_schedule(
        turn.session, room, terms, turn.now, turn.settings.tz, offer_id=offer.id
    )
    await obligations.create(turn.session, room.case.id, terms, turn.now, offer.id)
    agreed = Reply(card(room, offer, "negotiation.agreed"))
    parties = [m for m in room.present() if member_side(m) is not None]
    send_to(turn, room, parties, agreed)
    draft = Reply(
        card(room, offer, "negotiation.agreed_mediator"),
        buttons=((button("negotiation.btn_draft", "ag:new"),),),
    )
    send_to(turn, room, mediator_members(room), draft)


async def withdraw(
    turn: Turn, user_id: int, staff: StaffAccount | None, offer_id: int
) -> list[Reply]:
    offer = await turn.session.get(Offer, offer_id, with_for_update=True)
    room = await lock_room(turn.session, offer.case_id) if offer else None
    if offer is None or room is None:
        return [reply("bot.stale_button")]
    found = actor_of(turn, room, user_id, staff)
    if isinstance(found, Reply):
        return [found]
    member, side = found
    if not may_withdraw(view_of(offer), side, staff is not None):
        return [reply("negotiation.refused_not_open")]
    offer.status, offer.decided_at = OfferStatus.WITHDRAWN.value, turn.now
    turn.session.add(
        OfferResponse(offer_id=offer.id, member_id=member.id, response="withdraw", at=turn.now)
    )
    ref = f"{offer.thread}-{offer.version}"
    notice = Reply(Msg("negotiation.withdrawn_notice", {"ref": ref}))
    targets = staff_members(room)
    if not offer.held:
        for s in offer.needs:
            targets += side_members(room, Side(s))
    send_to(turn, room, [m for m in targets if m.id != member.id], notice)
    return [reply("negotiation.withdrawn_ok", ref=ref)]
