"""Blind bidding in the room: opt-in by both parties, up to three rounds of confidential
figures, settlement at the midpoint when they overlap (``mediation.blind_bidding``).

Confidentiality is the whole point, so it is enforced here, in one place:

- a figure is typed as the answer to our question and captured by the message hook before the
  room relay sees it; it is stored only encrypted (``BlindBid.figure``, ``EncryptedText``);
- the only message that contains a figure goes to the chat that typed it (the receipt);
- everyone else — the other side and the mediator — learns only "submitted", "no overlap in
  round N", or, at settlement, the midpoint; no case event, record entry, log line or timer
  payload carries a figure;
- the raw Telegram update that carried the figure is stored in the inbox before it is handled
  (the service's durability rule); its text is overwritten in the same transaction that stores
  the encrypted figure.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from features.negotiation.common import (
    PENDING,
    AwaitFigure,
    capital,
    lock_room,
    mediator_members,
    member_side,
    money,
    room_event,
    send_to,
    side_label,
    staff_members,
)
from features.negotiation.models import BlindBid, BlindBidding
from mediation.blind_bidding import (
    MAX_BIDDINGS,
    MAX_ROUNDS,
    BiddingStatus,
    BidRefusal,
    check_figure,
    close_round,
    may_start,
    role_of,
)
from mediation.case_state import CaseStatus
from mediation.offers import Side, yuan_to_fen
from mediation.replies import Msg, Reply, button, reply
from mediation.validation import InvalidInput, parse_amount
from services.room import Room, label_of
from services.turn import Turn, active_room
from storage.models import CaseMember, InboxUpdate

log = logging.getLogger(__name__)
ACTIVE = (BiddingStatus.OPT_IN.value, BiddingStatus.OPEN.value)


async def current(turn: Turn, case_id: int) -> BlindBidding | None:
    return (
        await turn.session.execute(
            select(BlindBidding)
            .where(BlindBidding.case_id == case_id, BlindBidding.status.in_(ACTIVE))
            .order_by(BlindBidding.id.desc())
            .limit(1)
            .with_for_update()
        )
    ).scalar_one_or_none()


def _parties(room: Room) -> list[CaseMember]:
    return [m for m in room.present() if member_side(m) is not None]


async def start(turn: Turn, room: Room, member: CaseMember, side: Side | None) -> list[Reply]:
    """``/bid``: propose blind bidding (a party opts in by proposing it)."""
    if room.case.status != CaseStatus.MEDIATING.value:
        return [reply("negotiation.not_now", status=Msg(f"status.{room.case.status}"))]
    found = await current(turn, room.case.id)
    if found is not None:
        if found.status == BiddingStatus.OPEN.value and side is not None:
            return [ask_figure(turn, found, side)]
        if (
            found.status == BiddingStatus.OPT_IN.value
            and side is not None
            and side.value not in found.opted_in
        ):
            return await opt_in(turn, found.id, member.user_id or 0)
        return [reply("negotiation.bid_running")]
    earlier = (
        await turn.session.execute(
            select(BlindBidding.status, BlindBidding.round).where(
                BlindBidding.case_id == room.case.id
            )
        )
    ).all()
    refused = may_start(
        [(BiddingStatus(status), reached) for status, reached in earlier],
        by_mediator=side is None,
    )
    if refused is not None:
        return [reply(f"negotiation.bid_refused_{refused.value}", limit=MAX_BIDDINGS)]
    bidding = BlindBidding(
        case_id=room.case.id,
        payer_side=Side.RESPONDENT.value,
        status=BiddingStatus.OPT_IN.value,
        opted_in=[side.value] if side else [],
        round=0,
        started_by_member_id=member.id,
        created_at=turn.now,
    )
    turn.session.add(bidding)
    await turn.session.flush()
    room_event(
        turn,
        room,
        f"member:{member.id}",
        kind="bidding_proposed",
        data={"bidding": bidding.id},
    )
    invite = Reply(
        Msg(
            "negotiation.bid_invite",
            {"number": room.case.number, "who": label_of(member), "rounds": MAX_ROUNDS},
        ),
        buttons=(
            (
                button("negotiation.btn_bid_join", f"ng:bo:{bidding.id}"),
                button("negotiation.btn_bid_decline", f"ng:bn:{bidding.id}"),
            ),
        ),
    )
    targets = [m for m in _parties(room) if side is None or member_side(m) is not side]
    send_to(turn, room, targets, invite)
    staff = [m for m in staff_members(room) if m.id != member.id]
    send_to(
        turn,
        room,
        staff,
        reply("negotiation.bid_proposed_staff", who=label_of(member), number=room.case.number),
    )
    return [reply("negotiation.bid_started", rounds=MAX_ROUNDS)]


async def opt_in(turn: Turn, bidding_id: int, user_id: int) -> list[Reply]:
    bidding = await turn.session.get(BlindBidding, bidding_id, with_for_update=True)
    room = await lock_room(turn.session, bidding.case_id) if bidding else None
    if bidding is None or room is None or bidding.status != BiddingStatus.OPT_IN.value:
        return [reply("bot.stale_button")]
    member = room.of_user(user_id)
    side = member_side(member) if member else None
    if member is None or side is None:
        return [reply("room.refused_not_member")]
    if side.value in bidding.opted_in:
        return [reply("negotiation.bid_waiting_other")]
    bidding.opted_in = sorted({*bidding.opted_in, side.value})
    if set(bidding.opted_in) < {s.value for s in Side}:
        send_to(
            turn,
            room,
            mediator_members(room),
            reply("negotiation.bid_opted_staff", who=label_of(member)),
        )
        return [reply("negotiation.bid_waiting_other")]
    bidding.status, bidding.round = BiddingStatus.OPEN.value, 1
    send_to(
        turn,
        room,
        staff_members(room),
        reply("negotiation.bid_open_staff", number=room.case.number, round=1),
    )
    for m in _parties(room):
        if m.id == member.id:
            continue
        s = member_side(m)
        assert s is not None
        send_to(turn, room, [m], _figure_prompt(bidding, s))
    return [ask_figure(turn, bidding, side)]


async def decline(turn: Turn, bidding_id: int, user_id: int) -> list[Reply]:
    bidding = await turn.session.get(BlindBidding, bidding_id, with_for_update=True)
    room = await lock_room(turn.session, bidding.case_id) if bidding else None
    if bidding is None or room is None or bidding.status not in ACTIVE:
        return [reply("bot.stale_button")]
    member = room.of_user(user_id)
    if member is None or member_side(member) is None:
        return [reply("room.refused_not_member")]
    bidding.status, bidding.finished_at = BiddingStatus.CANCELLED.value, turn.now
    others = [m for m in room.present() if m.id != member.id]
    send_to(turn, room, others, reply("negotiation.bid_declined", who=label_of(member)))
    return [reply("negotiation.bid_declined_ok")]


def _figure_prompt(bidding: BlindBidding, side: Side) -> Reply:
    role = role_of(side, Side(bidding.payer_side))
    return Reply(
        Msg(f"negotiation.bid_ask_{role.value}", {"round": bidding.round, "rounds": MAX_ROUNDS}),
        buttons=((button("negotiation.btn_bid_enter", f"ng:bb:{bidding.id}"),),),
    )


def ask_figure(turn: Turn, bidding: BlindBidding, side: Side) -> Reply:
    turn.put(PENDING, AwaitFigure(bidding.id, bidding.round))
    return _figure_prompt(bidding, side)


async def arm(turn: Turn, bidding_id: int, user_id: int) -> list[Reply]:
    """The "enter my figure" button: the next text is the figure."""
    bidding = await turn.session.get(BlindBidding, bidding_id)
    room = await lock_room(turn.session, bidding.case_id) if bidding else None
    if bidding is None or room is None or bidding.status != BiddingStatus.OPEN.value:
        return [reply("bot.stale_button")]
    member = room.of_user(user_id)
    side = member_side(member) if member else None
    if side is None:
        return [reply("room.refused_not_member")]
    turn.put(PENDING, AwaitFigure(bidding.id, bidding.round))
    return [question_reply(bidding, side)]


def question_reply(bidding: BlindBidding, side: Side) -> Reply:
    role = role_of(side, Side(bidding.payer_side))
    return Reply(
        Msg("negotiation.bid_type", {"what": Msg(f"negotiation.bid_what_{role.value}")}),
        buttons=((button("negotiation.btn_input_cancel", "ng:ic"),),),
    )


async def bare_figure(turn: Turn, user_id: int, text: str) -> list[Reply] | None:
    """A bare amount typed by a party while a round is open never reaches the room: relaying
    it would reveal a figure (the one just typed, or a revision of it). While the round waits
    for the party's figure, it is their figure; once it is in, it is refused with a message
    (figures cannot be changed within a round; the next round may move towards the other
    side). Costs a query only for texts that parse as an amount."""
    try:
        parse_amount(text)
    except InvalidInput:
        return None
    found = await active_room(turn, user_id=user_id)
    if found is None:
        return None
    room, member = found
    side = member_side(member)
    if side is None or room.case.status != CaseStatus.MEDIATING.value:
        return None
    bidding = await current(turn, room.case.id)
    if bidding is None or bidding.status != BiddingStatus.OPEN.value:
        return None
    done = await turn.session.scalar(
        select(BlindBid.id).where(
            BlindBid.bidding_id == bidding.id,
            BlindBid.round == bidding.round,
            BlindBid.side == side.value,
        )
    )
    if done is not None:
        await _scrub_inbox(turn, text)
        return [reply("negotiation.bid_bare_refused", round=bidding.round, rounds=MAX_ROUNDS)]
    return await on_figure(turn, user_id, AwaitFigure(bidding.id, bidding.round), text)


async def on_figure(turn: Turn, user_id: int, pending: AwaitFigure, text: str) -> list[Reply]:
    """A figure typed in answer to our question. Never relayed; stored encrypted."""
    await _scrub_inbox(turn, text)
    bidding = await turn.session.get(BlindBidding, pending.bidding, with_for_update=True)
    room = await lock_room(turn.session, bidding.case_id) if bidding else None
    if bidding is None or room is None or bidding.status != BiddingStatus.OPEN.value:
        turn.put(PENDING, None)
        return [reply("negotiation.bid_over")]
    member = room.of_user(user_id)
    side = member_side(member) if member else None
    if member is None or side is None:
        turn.put(PENDING, None)
        return [reply("room.refused_not_member")]
    # Until a figure is accepted, the next text is the answer (not a room message).
    turn.put(PENDING, AwaitFigure(bidding.id, bidding.round))
    try:
        fen = yuan_to_fen(parse_amount(text))
    except InvalidInput as exc:
        return [reply(exc.key, **exc.params), question_reply(bidding, side)]
    mine = list(
        (
            await turn.session.execute(
                select(BlindBid)
                .where(BlindBid.bidding_id == bidding.id, BlindBid.side == side.value)
                .order_by(BlindBid.round)
            )
        ).scalars()
    )
    if any(b.round == bidding.round for b in mine):
        turn.put(PENDING, None)
        return [reply(f"negotiation.bid_err_{BidRefusal.ALREADY.value}", round=bidding.round)]
    role = role_of(side, Side(bidding.payer_side))
    previous = int(mine[-1].figure) if mine else None
    refusal = check_figure(role, fen, previous)
    if refusal is not None:
        params = {"previous": money(previous) if previous is not None else ""}
        return [
            reply(f"negotiation.bid_err_{refusal.value}", **params),
            question_reply(bidding, side),
        ]
    turn.session.add(
        BlindBid(
            bidding_id=bidding.id,
            round=bidding.round,
            side=side.value,
            member_id=member.id,
            figure=str(fen),
            at=turn.now,
        )
    )
    turn.put(PENDING, None)
    await turn.session.flush()
    return await _after_figure(turn, room, bidding, member, side, fen)


async def _after_figure(
    turn: Turn, room: Room, bidding: BlindBidding, member: CaseMember, side: Side, fen: int
) -> list[Reply]:
    """The figure is stored: tell the others one came in, or close the round when both have."""
    # The figure is echoed only to the chat that typed it.
    receipt = reply("negotiation.bid_received", round=bidding.round, amount=money(fen))
    others = [m for m in room.present() if m.id != member.id]
    both = list(
        (
            await turn.session.execute(
                select(BlindBid).where(
                    BlindBid.bidding_id == bidding.id, BlindBid.round == bidding.round
                )
            )
        ).scalars()
    )
    if len({b.side for b in both}) < 2:
        send_to(
            turn,
            room,
            others,
            reply("negotiation.bid_submitted_notice", who=side_label(side), round=bidding.round),
        )
        return [receipt]
    receipt = reply("negotiation.bid_received_last", round=bidding.round, amount=money(fen))
    figures = {Side(b.side): int(b.figure) for b in both}
    payer = Side(bidding.payer_side)
    result = close_round(bidding.round, figures[payer], figures[payer.other])
    if result.settled and result.amount_fen is not None:
        return [receipt, _settle(turn, room, bidding, member, result.round, result.amount_fen)]
    if result.final:
        return [receipt, _no_overlap(turn, room, bidding, member)]
    return [receipt, *_next_round(turn, room, bidding, member, side, result.round)]


def _settle(
    turn: Turn, room: Room, bidding: BlindBidding, member: CaseMember, round_no: int, fen: int
) -> Reply:
    """The ranges met: the midpoint is the settlement; the mediator is offered the draft."""
    payer = Side(bidding.payer_side)
    everyone = room.present()
    bidding.status, bidding.settled_fen = BiddingStatus.SETTLED.value, fen
    bidding.finished_at = turn.now
    room_event(
        turn,
        room,
        "rule",
        kind="bidding_settled",
        data={
            "bidding": bidding.id,
            "round": round_no,
            "amount_fen": fen,
        },
    )
    settled = Reply(
        Msg(
            "negotiation.bid_settled",
            {
                "number": room.case.number,
                "round": round_no,
                "amount": money(fen),
                "capital": capital(fen),
                "payer": side_label(payer),
                "payee": side_label(payer.other),
            },
        )
    )
    send_to(turn, room, [m for m in everyone if m.id != member.id], settled)
    draft = Reply(
        Msg("negotiation.bid_settled_mediator"),
        buttons=((button("negotiation.btn_draft", "ag:new"),),),
    )
    send_to(turn, room, mediator_members(room), draft)
    return settled


def _no_overlap(turn: Turn, room: Room, bidding: BlindBidding, member: CaseMember) -> Reply:
    """The last round closed without the ranges meeting: bidding ends, mediation goes on."""
    everyone = room.present()
    bidding.status, bidding.finished_at = BiddingStatus.NO_OVERLAP.value, turn.now
    room_event(
        turn,
        room,
        "rule",
        kind="bidding_no_overlap",
        data={"bidding": bidding.id},
    )
    failed = reply("negotiation.bid_failed", number=room.case.number, rounds=MAX_ROUNDS)
    send_to(turn, room, [m for m in everyone if m.id != member.id], failed)
    return failed


def _next_round(
    turn: Turn, room: Room, bidding: BlindBidding, member: CaseMember, side: Side, closed: int
) -> list[Reply]:
    """No overlap yet: everyone hears of the gap, and each party is asked for a new figure."""
    bidding.round += 1
    gap = reply("negotiation.bid_no_overlap", round=closed, next=bidding.round, rounds=MAX_ROUNDS)
    send_to(turn, room, staff_members(room), gap)
    for m in _parties(room):
        s = member_side(m)
        assert s is not None
        if m.id != member.id:
            send_to(turn, room, [m], gap, _figure_prompt(bidding, s))
    turn.put(PENDING, AwaitFigure(bidding.id, bidding.round))
    return [gap, _figure_prompt(bidding, side)]


async def _scrub_inbox(turn: Turn, typed: str) -> None:
    """Overwrite the text of the stored update that carried the figure (same transaction).

    The chat's newest updates are read through the primary key (source, update_id) backwards;
    a Telegram update keeps the text under ``message.text``, a browser-chat one under
    ``msg.text``."""
    rows = await turn.session.execute(
        select(InboxUpdate)
        .where(
            InboxUpdate.source == turn.event.channel,
            InboxUpdate.chat_key == str(turn.event.chat_id),
        )
        .order_by(InboxUpdate.update_id.desc())
        .limit(5)
    )
    for row in rows.scalars():
        payload = row.payload if isinstance(row.payload, dict) else {}
        for key in ("message", "msg"):
            inner = payload.get(key)
            if isinstance(inner, dict) and str(inner.get("text", "")).strip() == typed.strip():
                row.payload = {**payload, key: {**inner, "text": "[blind bid]"}}
