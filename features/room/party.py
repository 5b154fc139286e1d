"""A party in the room: their words relayed by the room's rules (held for the mediator,
refused when muted or closed), ``/switch`` between their cases, ``/record``; after the
agreement their words go to the case's mediator (``features.room.aftercare``)."""

from __future__ import annotations

from features.room import aftercare
from features.room.relay import record_lines, relay
from mediation.permissions import Action, can
from mediation.replies import Msg, Reply, reply
from mediation.room import RelayRefusal
from services import case_watch, features, staff_alerts
from services.case_watch import scene_of
from services.chat_state import text_slot
from services.inbound import Command
from services.outgoing import TextDocument
from services.room import Room, facts, party_actor
from services.routing import ActionRoute, Audience, CommandRoute, Who
from services.slots import TARGET
from services.timers import cancel_timers
from services.turn import (
    Turn,
    active_only,
    active_room,
    member_cases,
    room_among,
    switch_reply,
)
from storage.models import CaseMember

#: The room's "held for the mediator" notice was given for this case and reason ("case:note"):
#: said once, not after every message.
HELD_NOTE = text_slot("held_note")


async def on_command(turn: Turn, who: Who, cmd: Command) -> list[Reply] | None:
    """A party's ``/switch`` and ``/record``, then the open intake's question again."""
    handled = await command(turn, cmd, who.user_id)
    return None if handled is None else [*handled, *turn.reprompt()]


async def on_action(turn: Turn, who: Who, data: str) -> list[Reply] | None:
    return await switch_to(turn, data, user_id=who.user_id)


features.declare(
    CommandRoute("switch", __name__, on_command, Audience.PARTY),
    CommandRoute("record", __name__, on_command, Audience.PARTY),
    ActionRoute("s:", __name__, on_action, Audience.PARTY),
)


async def command(turn: Turn, cmd: Command, user_id: int) -> list[Reply] | None:
    if cmd.name == "switch":
        cases = await member_cases(turn.session, user_id=user_id)
        if not cases:
            return [reply("room.no_active_case")]
        return [switch_reply(cases, turn.conv.active_case_id)]
    if cmd.name == "record":
        found = await active_room(turn, user_id=user_id, include_closed=True)
        if found is None:
            return [reply("room.no_active_case")]
        return await record_reply(turn, *found)
    return None


async def record_reply(turn: Turn, room: Room, member: CaseMember) -> list[Reply]:
    lines = await record_lines(turn.session, room, member, turn.conv.language, turn.settings.tz)
    if not lines:
        return [reply("room.record_empty", number=room.case.number)]
    text = "\n".join(lines)
    title = Msg("room.record_title", {"number": room.case.number})
    if len(text) <= 3500:
        return [Reply(Msg("common.lines", {"lines": [title, Msg("common.raw", {"text": text})]}))]
    turn.out.reply(reply("room.record_as_file", number=room.case.number))
    turn.out.send_message(
        turn.out.sender, TextDocument(text, filename=f"record-{room.case.id}.txt")
    )
    return []


async def switch_to(
    turn: Turn, data: str, *, user_id: int | None = None, staff_id: int | None = None
) -> list[Reply]:
    case_id = data.removeprefix("s:")
    cases = await member_cases(turn.session, user_id=user_id, staff_id=staff_id)
    chosen = next((c for c, _ in cases if str(c.id) == case_id), None)
    if chosen is None:
        return [reply("room.no_active_case")]
    turn.conv.active_case_id = chosen.id
    turn.put(TARGET, None)
    return [reply("room.switched", number=chosen.number)]


async def message(turn: Turn, user_id: int) -> list[Reply]:
    """A party's text or file outside the intake that no feature and no invitation took.

    The party's cases are read once, closed ones included: the open room is among them, and
    without one the agreed case is too (two queries before, for every idle text)."""
    cases = await member_cases(turn.session, user_id=user_id, include_closed=True)
    found = await room_among(turn, active_only(cases))
    if found is None:
        # After the agreement the case's mediator hears it (performance, 回访), not intake.
        return await aftercare.party_message(turn, user_id, cases) or [reply("bot.idle_text")]
    room, member = found
    content = turn.content()
    if content is None:
        return [reply("room.unsupported_content")]
    # Every party's words are assessed, relayed or not (a muted party's threat is still one).
    source = "room" if content.kind == "text" else "caption"
    if not can(party_actor(member), Action.SPEAK, facts(room)):
        await case_watch.party_words(scene_of(turn), room, member, content.text, source)
        return [reply("room.refused_muted" if member.status == "muted" else "room.refused_closed")]
    decision = await relay(turn.session, room, member, content, turn.out, turn.now)
    await case_watch.party_words(scene_of(turn), room, member, content.text, source)
    if isinstance(decision, RelayRefusal):
        return [reply(f"room.refused_{decision.value}")]
    await cancel_timers(turn.session, [f"reply:{room.case.id}:{member.id}"])
    await staff_alerts.note_party_message(turn.session, turn.settings, room, turn.now)
    if decision.held_for_staff:
        note = decision.note or "separate"
        if turn.get(HELD_NOTE) != f"{room.case.id}:{note}":
            turn.put(HELD_NOTE, f"{room.case.id}:{note}")
            return [reply(f"room.held_{note}", header=room.header(member))]
        return []
    turn.put(HELD_NOTE, None)
    return []
