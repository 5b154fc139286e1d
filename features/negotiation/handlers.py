"""The chat side of negotiation, registered on the conversation's extension points.

Commands: ``/offer [TERMS]`` (propose terms; without TERMS the bot asks for them), ``/offers``
(the history and the open offers with their buttons), ``/bid`` (propose or continue blind
bidding), ``/paid`` (the payer marks the next instalment paid), ``/payments`` (the schedule).
Buttons: ``ng:…``. Free text and files are taken only while one of our questions is pending
(``ng_input``), so nothing meant for the room is swallowed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from features.negotiation import (
    bidding,
    effect,
    followup,
    obligations,
    offer_history,
    offer_input,
    offers,
    performance,
    receipts,
    reminders,
)
from features.negotiation.common import (
    INPUT,
    PENDING,
    AwaitFigure,
    AwaitReceipt,
    AwaitTerms,
    Previewing,
    member_side,
)
from mediation import intake
from mediation.offers import Response, Side
from mediation.replies import Msg, Reply, reply
from services import features, mediators
from services.inbound import Command
from services.party_flow import JOINING
from services.room import Room
from services.slots import STAFF_INPUT
from services.turn import Turn, active_room
from storage.models import CaseMember


async def _room_and_actor(turn: Turn, who: features.Who) -> tuple[Any, Any, Any] | Reply:
    if who.staff is not None:
        found = await active_room(turn, staff_id=who.staff.id)
    else:
        found = await active_room(turn, user_id=who.user_id)
    if found is None:
        return mediators.no_case(who.staff)
    room, _ = found
    actor = offers.actor_of(turn, room, who.user_id, who.staff)
    if isinstance(actor, Reply):
        return actor
    return room, actor[0], actor[1]


async def _in_room(
    turn: Turn,
    who: features.Who,
    use_case: Callable[[Turn, Room, CaseMember, Side | None], Awaitable[list[Reply]]],
) -> list[Reply]:
    """A command on the room of the chat's case: ``use_case`` with the room, the acting member
    and their side, or the reply that says why not."""
    found = await _room_and_actor(turn, who)
    if isinstance(found, Reply):
        return [found]
    return await use_case(turn, *found)


#: An offer or bid being typed waits for its figure, terms or reason.
features.awaits(INPUT, __name__)


@features.command("offer")
async def offer_command(turn: Turn, who: features.Who, cmd: Command) -> list[Reply] | None:
    found = await _room_and_actor(turn, who)
    if isinstance(found, Reply):
        return [found]
    room, _member, _side = found
    if room.case.status != "mediating":
        return [reply("negotiation.not_now", status=Msg(f"status.{room.case.status}"))]
    text = " ".join(cmd.args).strip()
    if not text:
        return [offer_input.ask_terms(turn, room.case.id, None)]
    pending = AwaitTerms(room.case.id)
    return await offer_input.on_terms_text(turn, who.user_id, who.staff, pending, text)


@features.command("offers")
async def offers_command(turn: Turn, who: features.Who, cmd: Command) -> list[Reply] | None:
    return await _in_room(turn, who, offer_history.history)


@features.command("bid")
async def bid_command(turn: Turn, who: features.Who, cmd: Command) -> list[Reply] | None:
    return await _in_room(turn, who, bidding.start)


@features.command("paid")
async def paid_command(turn: Turn, who: features.Who, cmd: Command) -> list[Reply] | None:
    if who.staff is not None:
        return [reply("negotiation.not_payer")]
    found = await active_room(turn, user_id=who.user_id, include_closed=True)
    if found is None:
        return [reply("room.no_active_case")]
    return await performance.paid_command(turn, found[0], who.user_id)


@features.command("payments")
async def payments_command(turn: Turn, who: features.Who, cmd: Command) -> list[Reply] | None:
    if who.staff is not None:
        found = await active_room(turn, staff_id=who.staff.id, include_closed=True)
    else:
        found = await active_room(turn, user_id=who.user_id, include_closed=True)
    if found is None:
        return [mediators.no_case(who.staff)]
    room = found[0]
    replies = await performance.status_reply(turn, room)
    lines = await obligations.status_lines(turn.session, room.case.id)
    if lines:
        if len(replies) == 1 and replies[0].text.key == "negotiation.no_schedule":
            replies = []
        replies.append(reply("negotiation.obligations", number=room.case.number, lines=lines))
    return replies


@features.command("followup")
async def followup_command(turn: Turn, who: features.Who, cmd: Command) -> list[Reply] | None:
    if who.staff is None:
        return None
    found = await active_room(turn, staff_id=who.staff.id, include_closed=True)
    if found is None:
        return [mediators.no_case(who.staff)]
    return await followup.issue(turn, who.staff, found[0])


_RESPONSES = {"a": Response.ACCEPT, "r": Response.REJECT, "c": Response.COUNTER}


@features.action("ng:")
async def on_button(turn: Turn, who: features.Who, data: str) -> list[Reply] | None:
    verb, _, arg = data.removeprefix("ng:").partition(":")
    if verb == "ic":
        turn.put(PENDING, None)
        return [reply("negotiation.input_cancelled")]
    if verb == "send":
        return await offers.send_preview(turn, who.user_id, who.staff)
    if verb == "edit":
        previewing = turn.get(PENDING)
        if not isinstance(previewing, Previewing):
            return [reply("bot.stale_button")]
        return [offer_input.ask_terms(turn, previewing.case, previewing.parent)]
    if not arg.isdigit():
        return [reply("bot.stale_button")]
    target = int(arg)
    if verb in _RESPONSES:
        return await offers.answer(turn, who.user_id, who.staff, target, _RESPONSES[verb])
    if verb == "w":
        return await offers.withdraw(turn, who.user_id, who.staff, target)
    if verb == "fw":
        if who.staff is None:
            return [reply("staff.not_allowed")]
        return await offers.forward(turn, who.staff, target)
    if who.staff is not None and verb in (
        "bo",
        "bn",
        "bb",
        "pd",
        "pc",
        "px",
        "pu",
        "od",
        "oc",
        "ox",
    ):
        return [reply("staff.not_allowed")]
    if verb == "bo":
        return await bidding.opt_in(turn, target, who.user_id)
    if verb == "bn":
        return await bidding.decline(turn, target, who.user_id)
    if verb == "bb":
        return await bidding.arm(turn, target, who.user_id)
    if verb == "pd":
        return await performance.mark_paid(turn, who.user_id, target)
    if verb == "pc":
        return await performance.confirm(turn, who.user_id, target)
    if verb == "px":
        return await performance.dispute(turn, who.user_id, target)
    if verb == "pu":
        return [receipts.ask_receipt(turn, target)]
    if verb == "od":
        return await obligations.mark_done(turn, who.user_id, target)
    if verb in ("oc", "ox"):
        return await obligations.answer(turn, who.user_id, target, confirmed=verb == "oc")
    return [reply("bot.stale_button")]


@features.message_hook
async def on_message(turn: Turn, who: features.Who) -> list[Reply] | None:
    pending = turn.get(PENDING)
    if turn.get(STAFF_INPUT) or turn.get(JOINING):
        return None  # the core asked something first
    if pending is None:
        if turn.state(INPUT) is not None:
            turn.put(PENDING, None)  # a wait that no longer reads: over
        if who.staff is None and isinstance(turn.event.payload, intake.TextInput):
            return await bidding.bare_figure(turn, who.user_id, turn.event.payload.text)
        return None
    payload = turn.event.payload
    if isinstance(pending, AwaitReceipt):
        return await receipts.on_receipt(turn, who.user_id, pending)
    if not isinstance(payload, intake.TextInput):
        if isinstance(pending, AwaitFigure):
            return [reply("negotiation.bid_need_text")]
        return None
    if isinstance(pending, AwaitFigure):
        return await bidding.on_figure(turn, who.user_id, pending, payload.text)
    if isinstance(pending, AwaitTerms):
        return await offer_input.on_terms_text(turn, who.user_id, who.staff, pending, payload.text)
    return None  # the preview waits for its buttons; text goes to the room


@features.timer(effect.TIMER_KIND)
async def payment_timer(session: Any, timer: Any, now: Any) -> Any:
    return await reminders.on_timer(session, timer, now)


@features.timer(obligations.TIMER_KIND)
async def obligation_timer(session: Any, timer: Any, now: Any) -> Any:
    return await obligations.on_timer(session, timer, now)


__all__ = ["member_side"]
