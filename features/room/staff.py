"""What a mediator does in the chat: the queue, taking a case, running the room (the panel:
session, mode, whom to address, mute, remove, representative), closing it."""

from __future__ import annotations

import dataclasses

from features.room import staff_case_view
from features.room.panel import panel, show_queue
from features.room.party import record_reply, switch_to
from features.room.relay import relay, staff_note
from features.room.staff_cases import OUTCOMES, finish_input
from mediation import intake
from mediation.case_state import CaseEvent, CaseStatus, InvalidTransition, transition
from mediation.permissions import Action, can
from mediation.replies import Msg, Reply, button, reply
from mediation.room import Mode, RelayRefusal, Role
from services import features, mediators, menus
from services.cases import add_event
from services.inbound import Command
from services.room import Content, Room, announce, facts, label_of, load_room
from services.routing import ActionRoute, Audience, AwaitedInput, CommandRoute, Who
from services.slots import (
    HELD,
    STAFF_INPUT,
    TARGET,
    Held,
    InviteName,
    OutcomeReason,
    target_for,
)
from services.timers import schedule
from services.turn import (
    Turn,
    active_room,
    member_cases,
    switch_reply,
)
from storage.models import CaseMember, StaffAccount


def routes() -> list[CommandRoute | ActionRoute | AwaitedInput]:
    """This flow's entries in the routing table (services.routing): staff only (declared
    below)."""

    async def on_command(turn: Turn, who: Who, cmd: Command) -> list[Reply] | None:
        return await command(turn, who.staff, cmd) if who.staff is not None else None

    async def on_action(turn: Turn, who: Who, data: str) -> list[Reply] | None:
        return await action(turn, who.staff, data) if who.staff is not None else None

    owner, staff = __name__, Audience.STAFF
    names: tuple[str, ...] = (
        "queue",
        "start",
        "help",
        "switch",
        "room",
        "panel",
        "record",
        "note",
        "invite",
    )
    names += ("case", "unlink")
    return [
        *(CommandRoute(name, owner, on_command, staff) for name in names),
        ActionRoute("s:", owner, on_action, staff),
        ActionRoute("m:", owner, on_action, staff),
        AwaitedInput("staff_input", owner),
        AwaitedInput("held", owner),
    ]


features.declare(*routes())


async def command(turn: Turn, staff: StaffAccount, cmd: Command) -> list[Reply] | None:
    if cmd.name == "help":
        return [menus.help_reply(staff)]
    if cmd.name == "case":
        return await staff_case_view.show(turn, staff, cmd.args)
    if cmd.name == "unlink":
        return menus.unlink(turn, staff)
    if cmd.name in ("queue", "start"):
        return await show_queue(turn, staff)
    if cmd.name == "switch":
        cases = await member_cases(turn.session, staff_id=staff.id)
        return (
            [switch_reply(cases, turn.conv.active_case_id)] if cases else [mediators.no_case(staff)]
        )
    found = await active_room(turn, staff_id=staff.id, include_closed=cmd.name == "record")
    if cmd.name in ("room", "panel"):
        return [panel(found[0], turn)] if found else [mediators.no_case(staff)]
    if found is None:
        return None if cmd.name not in ("note", "record", "invite") else [mediators.no_case(staff)]
    room, member = found
    if cmd.name == "record":
        return await record_reply(turn, room, member)
    if cmd.name == "note":
        text = " ".join(cmd.args).strip()
        if not text:
            return [reply("staff.note_usage")]
        if not mediators.may(staff, room, Action.WRITE_NOTE, turn.units):
            return [reply("staff.not_allowed")]
        staff_note(turn.session, room, member, text, turn.now)
        return [reply("staff.note_saved")]
    if cmd.name == "invite":
        if not mediators.may(staff, room, Action.INVITE, turn.units):
            return [reply("staff.not_allowed")]
        return [
            Reply(
                Msg("staff.invite_side"),
                buttons=(
                    (
                        button("role.applicant", "m:inv:applicant"),
                        button("role.respondent", "m:inv:respondent"),
                    ),
                ),
            )
        ]
    return None


async def action(turn: Turn, staff: StaffAccount, data: str) -> list[Reply] | None:
    if data.startswith("s:"):
        switched = await switch_to(turn, data, staff_id=staff.id)
        if staff.role not in mediators.MEDIATING_ROLES or switched[-1].text.key != "room.switched":
            return switched
        # A mediator who chose a case from their case list works it next: its panel follows.
        found = await active_room(turn, staff_id=staff.id)
        return [*switched, panel(found[0], turn)] if found else switched
    if not data.startswith("m:"):
        return None
    parts = data.split(":")
    if parts[1] == "take" and len(parts) == 3 and parts[2].isdigit():
        return await take(turn, staff, int(parts[2]))
    if parts[1] in ("open", "rec") and len(parts) == 3 and parts[2].isdigit():
        return await open_case(turn, staff, int(parts[2]), parts[1])
    if parts[1] == "card" and len(parts) == 3 and parts[2].isdigit():
        return await staff_case_view.show_id(turn, staff, int(parts[2]))
    found = await active_room(turn, staff_id=staff.id)
    if found is None:
        return [mediators.no_case(staff)]
    return await _room_button(turn, staff, *found, parts[1], parts[2] if len(parts) > 2 else "")


#: The room panel's buttons that change the room, and the permission each needs.
_ROOM_ACTS = {
    "mode": Action.CHANGE_MODE,
    "mute": Action.MUTE,
    "unmute": Action.MUTE,
    "remove": Action.REMOVE,
    "rep": Action.APPOINT_REPRESENTATIVE,
    "close": Action.CLOSE_CASE,
    "outcome": Action.CLOSE_CASE,
}


async def _room_button(
    turn: Turn, staff: StaffAccount, room: Room, me: CaseMember, verb: str, arg: str
) -> list[Reply] | None:
    """A button of the current room's panel (``m:<verb>:<arg>``): choosing whom to address
    and inviting need no permission of their own; what changes the room is checked first."""
    target = room.by_id(int(arg)) if arg.isdigit() else None
    if verb == "to":
        turn.put(TARGET, target_for(room, None if arg == "all" or target is None else target.id))
        return [panel(room, turn)]
    if verb == "send" and target is not None:
        return await send_held(turn, staff, room, me, target.id)
    if verb == "invite":
        return await command(turn, staff, Command("invite"))
    if verb == "inv" and arg in ("applicant", "respondent"):
        turn.put(STAFF_INPUT, InviteName(room.case.id, arg))
        return [reply("staff.invite_ask_name")]
    if verb == "session":
        act: Action | None = Action.OPEN_SESSION if arg == "open" else Action.CLOSE_SESSION
    else:
        act = _ROOM_ACTS.get(verb)
    if act is None:
        return [reply("bot.stale_button")]
    if not mediators.may(staff, room, act, turn.units):
        return [reply("staff.not_allowed")]
    if verb == "session":
        return await set_session(turn, room, me, arg == "open")
    if verb == "mode" and arg in (Mode.JOINT.value, Mode.SEPARATE.value):
        return await _set_mode(turn, room, me, arg)
    if (
        verb in ("mute", "unmute", "remove", "rep")
        and target is not None
        and target.role in (Role.APPLICANT.value, Role.RESPONDENT.value)
    ):
        return await _change_member(turn, room, me, verb, target)
    if verb == "close":
        rows = tuple((button(f"staff.outcome_{o}", f"m:outcome:{o}"),) for o in OUTCOMES)
        return [Reply(Msg("staff.choose_outcome"), buttons=rows)]
    if verb == "outcome" and arg in OUTCOMES:
        return _ask_outcome_reason(turn, room, arg)
    return [reply("bot.stale_button")]


async def _set_mode(turn: Turn, room: Room, me: CaseMember, mode: str) -> list[Reply]:
    """Joint or separate: everyone hears of it, and the mediator addresses everyone again."""
    room.case.room_mode = mode
    turn.put(TARGET, None)
    await announce(
        turn.session,
        room,
        Msg("room.mode_changed", {"mode": Msg(f"room.mode_{mode}")}),
        turn.out,
        turn.now,
        author=me,
    )
    return [panel(room, turn)]


async def _change_member(
    turn: Turn, room: Room, me: CaseMember, verb: str, target: CaseMember
) -> list[Reply]:
    """Mute, unmute or remove a party, or make them their side's representative."""
    # Everyone present hears of it — including a removed person, told as they leave.
    audience = [m for m in room.present() if m.id != me.id]
    if verb == "rep":
        for m in room.members:
            if m.role == target.role:
                m.is_representative = m.id == target.id
        key = "room.representative"
    else:
        target.status = {"mute": "muted", "unmute": "active", "remove": "removed"}[verb]
        if verb == "remove":
            target.left_at = turn.now
        key = f"room.member_{verb}d" if verb != "remove" else "room.member_removed"
    await announce(
        turn.session,
        room,
        Msg(key, {"who": label_of(target)}),
        turn.out,
        turn.now,
        audience=audience,
        author=me,
    )
    room = await load_room(turn.session, room.case.id) or room
    return [panel(room, turn)]


def _ask_outcome_reason(turn: Turn, room: Room, outcome: str) -> list[Reply]:
    """Closing with an outcome the case's state allows: the reason is asked next."""
    try:
        transition(CaseStatus(room.case.status), OUTCOMES[outcome])
    except InvalidTransition:
        return [reply("staff.outcome_not_now", status=Msg(f"status.{room.case.status}"))]
    turn.put(STAFF_INPUT, OutcomeReason(room.case.id, outcome))
    return [reply("staff.ask_outcome_reason", outcome=Msg(f"staff.outcome_{outcome}"))]


async def open_case(turn: Turn, staff: StaffAccount, case_id: int, what: str) -> list[Reply]:
    """A /case card's buttons: make the case current, then its panel or its record."""
    mine = await member_cases(turn.session, staff_id=staff.id, include_closed=True)
    if not any(case.id == case_id for case, _ in mine):
        return [mediators.no_case(staff)]
    turn.conv.active_case_id = case_id
    turn.put(TARGET, None)
    found = await active_room(turn, staff_id=staff.id, include_closed=True)
    assert found is not None
    if what == "rec":
        return await record_reply(turn, *found)
    return [reply("room.switched", number=found[0].case.number), panel(found[0], turn)]


async def take(turn: Turn, staff: StaffAccount, case_id: int) -> list[Reply]:
    room = await load_room(turn.session, case_id, lock=True)
    if room is None:
        return [mediators.no_case(staff)]
    if not can(
        mediators.staff_actor(staff, room.case, None, turn.units), Action.TAKE_CASE, facts(room)
    ):
        return [reply("staff.cannot_take", number=room.case.number)]
    me = await mediators.take(turn.session, room.case, staff, turn.now)
    turn.conv.active_case_id = room.case.id
    room = await load_room(turn.session, case_id)
    assert room is not None
    others = [m for m in room.present() if m.id != me.id]
    await announce(
        turn.session,
        room,
        Msg("room.mediator_joined"),
        turn.out,
        turn.now,
        audience=others,
        author=me,
    )
    return [reply("staff.taken", number=room.case.number), panel(room, turn)]


async def set_session(turn: Turn, room: Room, me: object, open_: bool) -> list[Reply]:
    case = room.case
    if open_ and case.status == CaseStatus.ACCEPTED.value:
        case.status = transition(CaseStatus.ACCEPTED, CaseEvent.OPEN_SESSION).value
        # In the case's own history, so ``main.py check`` replays it in order with the rest.
        add_event(
            turn.session,
            case.id,
            turn.now,
            f"staff:{room.case.mediator_id}" if room.case.mediator_id else "system",
            kind="status",
            data={
                "from": CaseStatus.ACCEPTED.value,
                "to": case.status,
                "event": CaseEvent.OPEN_SESSION.value,
            },
        )
    elif open_ and case.status != CaseStatus.MEDIATING.value:
        return [reply("staff.session_not_now", status=Msg(f"status.{case.status}"))]
    case.session_open = open_
    case.updated_at = turn.now
    key = "room.session_opened" if open_ else "room.session_closed"
    await announce(
        turn.session,
        room,
        Msg(key, {"mode": Msg(f"room.mode_{case.room_mode}")}),
        turn.out,
        turn.now,
        author=me if isinstance(me, CaseMember) else None,
    )
    return [panel(room, turn)]


async def message(turn: Turn, staff: StaffAccount) -> list[Reply]:
    pending = turn.get(STAFF_INPUT)
    payload = turn.event.payload
    if pending is not None and isinstance(payload, intake.TextInput):
        return await finish_input(turn, staff, pending, payload.text)
    found = await active_room(turn, staff_id=staff.id)
    if found is None:
        return [mediators.no_case(staff)]
    room, me = found
    content = turn.content()
    if content is None:
        return [reply("room.unsupported_content")]
    if not mediators.may(staff, room, Action.SPEAK, turn.units):
        return [reply("staff.not_allowed")]
    target = turn.get(TARGET)
    targets = target.members_in(room.case.id) if target is not None else None
    return await relay_staff(turn, room, me, content, targets)


async def relay_staff(
    turn: Turn, room: Room, me: object, content: Content, targets: tuple[int, ...] | None
) -> list[Reply]:
    assert isinstance(me, CaseMember)
    decision = await relay(turn.session, room, me, content, turn.out, turn.now, targets)
    if decision is RelayRefusal.NO_TARGET:
        turn.put(HELD, Held(room.case.id, dataclasses.asdict(content)))
        parties = [
            m for m in room.present() if m.role in (Role.APPLICANT.value, Role.RESPONDENT.value)
        ]
        rows = tuple(
            (button("staff.btn_to", f"m:send:{m.id}", label=label_of(m)),) for m in parties
        )
        return [Reply(Msg("staff.choose_target"), buttons=rows)]
    if isinstance(decision, RelayRefusal):
        return [reply(f"room.refused_{decision.value}")]
    if targets:
        # Waiting for a particular party's answer: remind them if it does not come.
        for mid in decision.recipients:
            m = room.by_id(mid)
            if m is not None and m.role in (Role.APPLICANT.value, Role.RESPONDENT.value):
                await schedule(
                    turn.session,
                    f"reply:{room.case.id}:{mid}",
                    "party_reminder",
                    turn.now + turn.party_reply_wait,
                    {"case_id": room.case.id, "member_id": mid},
                )
    return []


async def send_held(
    turn: Turn, staff: StaffAccount, room: Room, me: object, target_id: int
) -> list[Reply]:
    held = turn.get(HELD)
    turn.put(TARGET, target_for(room, target_id))
    if held is None or held.case != room.case.id:
        return [panel(room, turn)]
    turn.put(HELD, None)
    replies = await relay_staff(turn, room, me, Content(**held.content), (target_id,))
    target = room.by_id(target_id)
    return [*replies, reply("staff.sent_to", label=label_of(target) if target else "")]
