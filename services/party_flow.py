"""What a party can do outside the intake: join by invitation, talk in the room, see the record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from core import crypto
from mediation import intake
from mediation import invitations as inv
from mediation.masking import scrub_digits
from mediation.permissions import Action, Actor, ActorKind, can
from mediation.replies import Msg, Reply, button, reply
from mediation.room import MemberStatus, RelayRefusal, Role
from mediation.validation import InvalidInput, clean_text, normalise_phone
from services import aftercare, case_watch, invites, party_name, staff_alerts
from services.case_watch import scene_of
from services.chat_state import Slot, text_slot
from services.inbound import Command
from services.outgoing import TextDocument
from services.rate_limits import failures, record_failure
from services.room import Room, facts, record_lines, relay
from services.routing import ActionRoute, Audience, AwaitedInput, CommandRoute, Who
from services.slots import TARGET
from services.timers import cancel_timers
from services.turn import Turn, active_room, member_cases, switch_reply
from storage.models import CaseMember, CaseParty, Invitation


def party_actor(member: CaseMember) -> Actor:
    return Actor(ActorKind.PARTY, Role(member.role), MemberStatus(member.status))


@dataclass(frozen=True)
class Joining:
    """An invitation this person opened: what its next step waits for (``answer``: the
    accept/decline buttons; ``contact``: proof of the invited phone; ``reason``: why they
    decline; ``name``: their own name, correcting the inviter's, after joining)."""

    invitation: int
    waiting_for: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.invitation, "await": self.waiting_for}

    @classmethod
    def from_json(cls, raw: Any) -> Joining:
        if not isinstance(raw, dict):
            raise TypeError("join: not an object")
        return cls(int(raw["id"]), str(raw["await"]))


#: The invitation being answered (see :class:`Joining`).
JOINING: Slot[Joining] = Slot("join", Joining.from_json, Joining.to_json)

#: The room's "held for the mediator" notice was given for this case and reason ("case:note"):
#: said once, not after every message.
HELD_NOTE = text_slot("held_note")


def routes() -> list[CommandRoute | ActionRoute | AwaitedInput]:
    """This flow's entries in the routing table (services.routing). Commands are followed by
    the intake's question again when one is open (``turn.reprompt``)."""

    async def on_command(turn: Turn, who: Who, cmd: Command) -> list[Reply] | None:
        handled = await command(turn, cmd, who.user_id)
        return None if handled is None else [*handled, *turn.reprompt()]

    async def on_action(turn: Turn, who: Who, data: str) -> list[Reply] | None:
        return await action(turn, data, who.user_id)

    owner = __name__
    return [
        CommandRoute("join", owner, on_command),
        CommandRoute("switch", owner, on_command, Audience.PARTY),
        CommandRoute("record", owner, on_command, Audience.PARTY),
        ActionRoute("s:", owner, on_action, Audience.PARTY),
        ActionRoute("j:", owner, on_action),
        AwaitedInput(JOINING.key, owner),
    ]


async def command(turn: Turn, cmd: Command, user_id: int) -> list[Reply] | None:
    if cmd.name == "start" and cmd.args and inv.is_token(cmd.args[0]):
        return await start_join(turn, cmd.args[0], user_id)
    if cmd.name == "join":
        if not cmd.args:
            return [reply("invite.join_usage")]
        return await start_join(turn, "".join(cmd.args), user_id)
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


async def action(turn: Turn, data: str, user_id: int) -> list[Reply] | None:
    if data.startswith("s:"):
        return await switch_to(turn, data, user_id=user_id)
    if not data.startswith("j:"):
        return None
    if data.startswith(party_name.PREFIX):
        return await name_action(turn, data, user_id)
    pending = turn.get(JOINING)
    parts = data.split(":")
    if data == "j:reason_skip" and pending is not None and pending.waiting_for == "reason":
        return await finish_decline(turn, user_id, None)
    if (
        len(parts) != 3
        or not parts[2].isdigit()
        or pending is None
        or pending.invitation != int(parts[2])
    ):
        return [reply("bot.stale_button")]
    invitation = await turn.session.get(Invitation, int(parts[2]), with_for_update=True)
    problem = invites.problem(invitation, turn.now)
    if problem or invitation is None:
        turn.put(JOINING, None)
        return [reply(problem or "invite.invalid")]
    if parts[1] == "accept":
        room = await invites.accept(
            turn.session, invitation, user_id, turn.out, turn.now, turn.mediation_period
        )
        turn.put(JOINING, None)
        turn.conv.active_case_id = room.case.id
        member = room.of_user(user_id)
        assert member is not None
        welcome = await party_name.welcome(turn, room, member, invitation)
        return [welcome, *turn.dialogue.park(turn)]
    if parts[1] == "decline":
        turn.put(JOINING, Joining(invitation.id, "reason"))
        return [
            Reply(
                Msg("invite.ask_reason"),
                buttons=((button("invite.btn_no_reason", "j:reason_skip"),),),
            )
        ]
    return [reply("bot.stale_button")]


async def name_action(turn: Turn, data: str, user_id: int) -> list[Reply]:
    """正确 / 修改 under the welcome: 修改 makes the next text the name."""
    replies, ask = await party_name.action(turn, data, user_id)
    invitation = data.rpartition(":")[2]
    if ask and invitation.isdigit():
        turn.put(JOINING, Joining(int(invitation), "name"))
    return replies


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


#: Wrong invitation codes one account may try, and phone checks one invitation may fail, per
#: ``GUESS_WINDOW`` (issue 21: guesses were unlimited).
JOIN_GUESSES = 10
PHONE_TRIES = 5
GUESS_WINDOW = timedelta(hours=1)


async def join_guesses_spent(turn: Turn, user_id: int) -> bool:
    """This account tried ``JOIN_GUESSES`` wrong codes within the window."""
    spent = await failures(turn.session, "join.user", str(user_id), turn.now, GUESS_WINDOW)
    return spent >= JOIN_GUESSES


async def count_join_guess(turn: Turn, user_id: int) -> None:
    await record_failure(turn.session, "join.user", str(user_id), turn.now)


async def speaks_nowhere(turn: Turn, user_id: int) -> bool:
    """The person is in no open room: a code-like text of theirs cannot be room talk."""
    return not await member_cases(turn.session, user_id=user_id)


async def start_join(turn: Turn, secret: str, user_id: int) -> list[Reply]:
    if await join_guesses_spent(turn, user_id):
        return [reply("invite.too_many_attempts")]
    return await answer_invitation(turn, await invites.find(turn.session, secret), user_id)


async def answer_invitation(turn: Turn, invitation: Invitation | None, user_id: int) -> list[Reply]:
    """What a person who typed or opened this invitation (or none that exists) hears next;
    a code that finds nothing counts as a guess."""
    problem = invites.problem(invitation, turn.now)
    if problem or invitation is None:
        if invitation is None:
            await count_join_guess(turn, user_id)
        return [reply(problem or "invite.invalid")]
    mine = await turn.session.execute(
        select(CaseMember.id).where(
            CaseMember.case_id == invitation.case_id,
            CaseMember.user_id == user_id,
            CaseMember.status != "removed",
        )
    )
    if mine.first() is not None:
        return [reply("invite.already_member")]
    if invitation.phone_hash:
        turn.put(JOINING, Joining(invitation.id, "contact"))
        return [Reply(Msg("invite.verify_phone"), ask_contact=True)]
    turn.put(JOINING, Joining(invitation.id, "answer"))
    return [await invites.summary(turn.session, invitation)]


async def finish_decline(turn: Turn, user_id: int, reason: str | None) -> list[Reply]:
    pending = turn.get(JOINING)
    invitation = (
        await turn.session.get(Invitation, pending.invitation, with_for_update=True)
        if pending is not None
        else None
    )
    turn.put(JOINING, None)
    problem = invites.problem(invitation, turn.now)
    if problem or invitation is None:
        return [reply(problem or "invite.invalid")]
    await invites.decline(turn.session, invitation, user_id, reason, turn.out, turn.now)
    return [reply("invite.declined_ok")]


async def message(turn: Turn, user_id: int) -> list[Reply]:
    """A party's text, file or contact outside the intake."""
    payload = turn.event.payload
    pending = turn.get(JOINING)
    waiting_for = pending.waiting_for if pending is not None else ""
    if waiting_for == "reason" and isinstance(payload, intake.TextInput):
        try:
            reason = clean_text(payload.text, max_len=500)
        except InvalidInput as exc:
            return [reply(exc.key, **exc.params)]
        return await finish_decline(turn, user_id, reason)
    if pending is not None and waiting_for == "contact":
        return await verify_contact(turn, user_id, pending)
    if pending is not None and waiting_for == "name":
        if not isinstance(payload, intake.TextInput):
            return [reply("party_name.ask_new")]
        replies, done = await party_name.take(turn, pending.invitation, user_id, payload.text)
        if done:
            turn.put(JOINING, None)
        return replies
    found = await active_room(turn, user_id=user_id)
    if found is None:
        # After the agreement the case's mediator hears it (performance, 回访), not intake.
        return await aftercare.party_message(turn, user_id) or [reply("bot.idle_text")]
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


async def verify_contact(turn: Turn, user_id: int, pending: Joining) -> list[Reply]:
    """Invitations bound to a phone (the mediator's, or the respondent's number the applicant
    gave): the invitee's own phone must match — a shared own contact in Telegram, the verified
    login phone in the browser. Before, an applicant's invitation checked only the code, and
    the applicant could join their own case as the respondent from a second account (issue
    21)."""
    payload = turn.event.payload
    if not isinstance(payload, intake.ContactInput) or not payload.is_own:
        return [Reply(Msg("invite.verify_phone"), ask_contact=True)]
    invitation = await turn.session.get(Invitation, pending.invitation, with_for_update=True)
    problem = invites.problem(invitation, turn.now)
    if problem or invitation is None:
        turn.put(JOINING, None)
        return [reply(problem or "invite.invalid")]
    code_key = str(invitation.id)
    if await failures(turn.session, "join.code", code_key, turn.now, GUESS_WINDOW) >= PHONE_TRIES:
        turn.put(JOINING, None)
        return [reply("invite.too_many_attempts")]
    try:
        phone = normalise_phone(payload.phone)
    except InvalidInput:
        phone = ""
    if crypto.blind_index(phone) != invitation.phone_hash:
        await record_failure(turn.session, "join.code", code_key, turn.now)
        turn.put(JOINING, None)
        return [
            Reply(
                Msg("invite.phone_mismatch", {"phone": scrub_digits(phone)}), remove_keyboard=True
            )
        ]
    party = await turn.session.get(CaseParty, invitation.party_id) if invitation.party_id else None
    if party is not None and party.phone is None:
        party.phone, party.phone_hash = phone, invitation.phone_hash
    turn.put(JOINING, Joining(invitation.id, "answer"))
    return [
        Reply(Msg("intake.phone_saved"), remove_keyboard=True),
        await invites.summary(turn.session, invitation),
    ]
