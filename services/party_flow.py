"""Joining a case by invitation: the code or link, proof of the invited phone, accepting or
declining with a reason, and the joining party's own name (talking in the room is
``features.room.party``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from core import crypto
from mediation import intake
from mediation import invitations as inv
from mediation.masking import scrub_digits
from mediation.replies import Msg, Reply, button, reply
from mediation.validation import InvalidInput, clean_text, normalise_phone
from services import invites, party_name
from services.chat_state import Slot
from services.inbound import Command
from services.rate_limits import failures, record_failure
from services.routing import ActionRoute, AwaitedInput, CommandRoute, Who
from services.turn import Turn, member_cases
from storage.models import CaseMember, CaseParty, Invitation


@dataclass(frozen=True)
class Joining:
    """An invitation this person opened: what its next step waits for (``answer``: the
    accept/decline buttons; ``contact``: proof of the invited phone; ``reason``: why they
    decline; ``correction``: what is wrong in the record staff wrote about them (记录有误);
    ``name``: their own name, correcting the inviter's, after joining)."""

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
    return None


async def action(turn: Turn, data: str, user_id: int) -> list[Reply] | None:
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
    if parts[1] == "wrong":
        turn.put(JOINING, Joining(invitation.id, "correction"))
        return [reply("invite.ask_correction")]
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


async def message(turn: Turn, user_id: int) -> list[Reply] | None:
    """A party's text, file or contact while an invitation waits for it (a reason to decline,
    proof of the invited phone, their own name); None otherwise (the room's, then)."""
    payload = turn.event.payload
    pending = turn.get(JOINING)
    waiting_for = pending.waiting_for if pending is not None else ""
    if waiting_for == "reason" and isinstance(payload, intake.TextInput):
        try:
            reason = clean_text(payload.text, max_len=500)
        except InvalidInput as exc:
            return [reply(exc.key, **exc.params)]
        return await finish_decline(turn, user_id, reason)
    if pending is not None and waiting_for == "correction":
        return await correct_record(turn, user_id, pending)
    if pending is not None and waiting_for == "contact":
        return await verify_contact(turn, user_id, pending)
    if pending is not None and waiting_for == "name":
        if not isinstance(payload, intake.TextInput):
            return [reply("party_name.ask_new")]
        replies, done = await party_name.take(turn, pending.invitation, user_id, payload.text)
        if done:
            turn.put(JOINING, None)
        return replies
    return None


async def correct_record(turn: Turn, user_id: int, pending: Joining) -> list[Reply]:
    """记录有误: the invitee's correction of the record staff wrote (kept, sent to staff), then
    the choice to take part or not again; the record's words stay as staff wrote them."""
    payload = turn.event.payload
    if not isinstance(payload, intake.TextInput):
        return [reply("invite.ask_correction")]
    try:
        text = clean_text(payload.text, max_len=1000)
    except InvalidInput as exc:
        return [reply(exc.key, **exc.params)]
    invitation = await turn.session.get(Invitation, pending.invitation, with_for_update=True)
    problem = invites.problem(invitation, turn.now)
    if problem or invitation is None:
        turn.put(JOINING, None)
        return [reply(problem or "invite.invalid")]
    await invites.correct_record(turn.session, invitation, user_id, text, turn.out, turn.now)
    turn.put(JOINING, Joining(invitation.id, "answer"))
    return [
        Reply(
            Msg("invite.correction_saved", {"text": text}),
            buttons=invites.answer_buttons(invitation),
        )
    ]


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
