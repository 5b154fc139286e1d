"""The person who joins by invitation confirms or corrects the name the inviter typed for them.

Before this the agreement named the respondent as the applicant had typed them (issue 19: a
wrong character, a nickname, "李志强（装修队老板）"), and nobody asked the respondent. Now the
room's welcome shows that name ("申请人填写您的姓名为「X」，是否正确？") with 正确 / 修改; a
correction replaces the party's name, which the agreement's drafting reads
(``features.agreements.contexts.load_parties``). A name may change only while no agreement is
being signed (its version hash covers the names); after that the mediator corrects it.

The buttons carry the invitation's id (``j:nm:ok:<id>``, ``j:nm:fix:<id>``): only the person
who used that invitation may answer, and the party is the invitation's.
"""

from __future__ import annotations

from mediation.case_state import CaseStatus
from mediation.replies import Button, Msg, Reply, button, reply
from mediation.validation import InvalidInput, clean_name
from services import particulars
from services.cases import add_event
from services.room import Room, load_room, tell_mediators
from services.turn import Turn
from storage.models import Case, CaseMember, CaseParty, Invitation

#: While no agreement is out for signing, a party's own name may still change.
CHANGEABLE = frozenset({CaseStatus.SUBMITTED, CaseStatus.ACCEPTED, CaseStatus.MEDIATING})
PREFIX = "j:nm:"


async def welcome(turn: Turn, room: Room, member: CaseMember, invitation: Invitation) -> Reply:
    """The room's welcome, and under it the name the inviter typed, to confirm or correct (a
    street case's invitee already confirmed the record with their name in it)."""
    text = Msg("room.welcome", {"header": room.header(member), "number": room.case.number})
    party = await turn.session.get(CaseParty, member.party_id) if member.party_id else None
    if party is None:
        return Reply(text)
    if room.case.source == "street":
        asked = particulars.offer(party, key="particulars.offer_joined")
        return particulars.joined(Reply(text), asked) if asked is not None else Reply(text)
    ask, buttons = _question(party, invitation)
    return Reply(Msg("common.lines", {"lines": [text, ask]}), buttons=buttons)


def _question(party: CaseParty, invitation: Invitation) -> tuple[Msg, tuple[tuple[Button, ...]]]:
    inviter = (
        Msg("party_name.by_staff")
        if invitation.created_by.startswith("staff:")
        else Msg("party_name.by_applicant")
    )
    if not party.name:
        fill = button("party_name.btn_fill", f"{PREFIX}fix:{invitation.id}")
        return Msg("party_name.ask_missing", {"inviter": inviter}), ((fill,),)
    return (
        Msg("party_name.ask", {"inviter": inviter, "name": party.name}),
        (
            (
                button("party_name.btn_ok", f"{PREFIX}ok:{invitation.id}"),
                button("party_name.btn_fix", f"{PREFIX}fix:{invitation.id}"),
            ),
        ),
    )


async def _own_party(turn: Turn, invitation_id: int, user_id: int) -> CaseParty | None:
    invitation = await turn.session.get(Invitation, invitation_id)
    if invitation is None or invitation.used_by_user_id != user_id or invitation.party_id is None:
        return None
    party = await turn.session.get(CaseParty, invitation.party_id)
    return party if party is not None and party.user_id == user_id else None


async def action(turn: Turn, data: str, user_id: int) -> tuple[list[Reply], bool]:
    """``j:nm:ok:<id>`` / ``j:nm:fix:<id>``; the flag says the next text is the name."""
    verb, _, raw_id = data.removeprefix(PREFIX).partition(":")
    party = await _own_party(turn, int(raw_id), user_id) if raw_id.isdigit() else None
    if party is None or verb not in ("ok", "fix"):
        return [reply("bot.stale_button")], False
    case = await turn.session.get_one(Case, party.case_id)
    if CaseStatus(case.status) not in CHANGEABLE:
        return [reply("party_name.too_late")], False
    if verb == "ok":
        _record(turn, party, corrected=False)
        return [_then_particulars(party, reply("party_name.confirmed", name=party.name))], False
    return [reply("party_name.ask_new")], True


async def take(turn: Turn, invitation_id: int, user_id: int, text: str) -> tuple[list[Reply], bool]:
    """The name typed after 修改; the flag says it was taken (the wait is over)."""
    party = await _own_party(turn, invitation_id, user_id)
    if party is None:
        return [reply("bot.stale_button")], True
    room = await load_room(turn.session, party.case_id, lock=True)
    if room is None or CaseStatus(room.case.status) not in CHANGEABLE:
        return [reply("party_name.too_late")], True
    try:
        name = clean_name(text)
    except InvalidInput as exc:
        return [reply(exc.key, **exc.params), reply("party_name.ask_new")], False
    corrected = name != party.name
    party.name = name
    _record(turn, party, corrected=corrected)
    if corrected:
        # The mediator drafts the agreement: they hear of it (no name in the record's event
        # data, which is not encrypted; the case card shows the name).
        member = room.of_user(user_id)
        if member is not None:
            notice = "party_name.staff_notice"
            await tell_mediators(turn.session, room, member, notice, turn.out, turn.now)
    said = reply("party_name.corrected" if corrected else "party_name.confirmed", name=name)
    return [_then_particulars(party, said)], True


def _then_particulars(party: CaseParty, said: Reply) -> Reply:
    """After the name, the rest of what the papers print of them, offered to fill in now."""
    asked = particulars.offer(party, key="particulars.offer_joined")
    return particulars.joined(said, asked) if asked is not None else said


def _record(turn: Turn, party: CaseParty, *, corrected: bool) -> None:
    add_event(
        turn.session,
        party.case_id,
        turn.now,
        f"user:{party.user_id}",
        kind="party_name",
        data={"side": party.side, "ordinal": party.ordinal, "corrected": corrected},
    )
