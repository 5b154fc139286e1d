"""After the agreement: a party's words go to the case, not to a new intake (issue 19).

Once a case is agreed (履行中) or closed, its room no longer relays between the parties, and a
party who wrote "钱已经转了" or "他还没付" got the new-user greeting and the mediator never heard
of it. Now the message goes to the case's mediator with the case's buttons (回复 the party, the
case card), is kept in the record (the console's timeline shows it), and the party hears where
it went, with a menu of what they may want after an agreement: 查看协议, 履行情况, 联系调解员,
登记新的纠纷 (buttons that do what the commands do; see ``services.dispatch``).

The mediator's 回复 makes their next message go to that party alone, stored in the record too
(人民调解法 第三十一条: the committee follows up how the agreement is performed).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from features.room.relay import record_message
from mediation.case_state import AFTER_AGREEMENT, CaseStatus
from mediation.replies import Button, Msg, Reply, button, reply
from mediation.room import RelayRefusal, Role, route_after_agreement
from services import features, mediators, staff_alerts
from services.chat_state import record_slot, text_slot
from services.delivery import Address
from services.inbound import command_action
from services.outbox import render
from services.outgoing import OutgoingMessage, RelayedFile
from services.room import MEDIA_KINDS, Content, Room, label_of, load_room
from services.routing import ActionRoute, AwaitedInput, Who
from services.turn import Turn, member_cases
from storage.models import Case, CaseMember, CaseMessage, StaffAccount

PREFIX = "pa:"


@dataclass(frozen=True)
class ReplyTo:
    """The mediator's next message goes to this party of this agreed case."""

    case: int
    member: int


REPLY_TO = record_slot("aftercare_reply", ReplyTo)
#: The case whose "转给调解员" notice with the menu this party has had (said once per case).
TOLD = text_slot("aftercare_told")


def routes() -> list[ActionRoute | AwaitedInput]:
    async def on_action(turn: Turn, who: Who, data: str) -> list[Reply] | None:
        return await action(turn, who, data)

    return [ActionRoute(PREFIX, __name__, on_action), AwaitedInput(REPLY_TO.key, __name__)]


features.declare(*routes())


def menu(case_id: int) -> tuple[tuple[Button, ...], ...]:
    """What a party may want once the agreement stands."""
    return (
        (
            button("aftercare.btn_agreement", command_action("agreement")),
            button("aftercare.btn_payments", command_action("payments")),
        ),
        (
            button("aftercare.btn_contact", f"{PREFIX}c:{case_id}"),
            button("aftercare.btn_new", command_action("start")),
        ),
    )


async def agreed_room(
    turn: Turn, user_id: int, cases: list[tuple[Case, CaseMember]] | None = None
) -> tuple[Room, CaseMember] | None:
    """The party's agreed or closed case: the one this chat chose, else the newest. ``cases``:
    their :func:`~services.turn.member_cases` with closed ones, if the caller has read them."""
    if cases is None:
        cases = await member_cases(turn.session, user_id=user_id, include_closed=True)
    cases = [(case, member) for case, member in cases if CaseStatus(case.status) in AFTER_AGREEMENT]
    if not cases:
        return None
    case, member = next((c for c in cases if c[0].id == turn.conv.active_case_id), cases[0])
    room = await load_room(turn.session, case.id)
    chosen = room.by_id(member.id) if room is not None else None
    if room is None or chosen is None:
        return None
    turn.conv.active_case_id = case.id
    return room, chosen


async def party_message(
    turn: Turn, user_id: int, cases: list[tuple[Case, CaseMember]] | None = None
) -> list[Reply] | None:
    """A party's text or file when no room is open for them: to their agreed case's mediator;
    None when they have no such case (the idle greeting then). ``cases`` as for
    :func:`agreed_room`."""
    found = await agreed_room(turn, user_id, cases)
    if found is None:
        return None
    room, member = found
    content = turn.content()
    if content is None:
        return [reply("room.unsupported_content")]
    decision = route_after_agreement(room.state, member.id)
    if isinstance(decision, RelayRefusal):
        return [reply(f"room.refused_{decision.value}")]
    record = record_message(
        turn.session,
        room,
        member,
        content,
        data={"note": decision.note},
        audience=decision.recipients,
        channel=turn.out.sender.channel,
        now=turn.now,
    )
    await turn.session.flush()
    reached = 0
    for member_id in decision.recipients:
        address = room.addresses.get(member_id)
        staff = room.by_id(member_id)
        if address is None or staff is None:
            continue
        reached += 1
        for message in _to_staff(turn, room, member, staff, content, address, record.id):
            turn.out.send_message(address, message)
    await staff_alerts.note_party_message(turn.session, turn.settings, room, turn.now)
    key = "aftercare.forwarded" if reached else "aftercare.recorded"
    if turn.get(TOLD) == str(room.case.id):
        return [reply(f"{key}_again")]
    turn.put(TOLD, str(room.case.id))
    return [Reply(Msg(key, {"number": room.case.number}), buttons=menu(room.case.id))]


def _to_staff(
    turn: Turn,
    room: Room,
    party: CaseMember,
    staff: CaseMember,
    content: Content,
    address: Address,
    record_id: int,
) -> list[OutgoingMessage]:
    """The party's message for one staff member: its text (or a copy of the file) under the
    case's header and status, with 回复 (the mediator) and the case card."""
    rows: list[tuple[Button, ...]] = [(button("staff_alert.btn_card", f"m:card:{room.case.id}"),)]
    if staff.role == Role.MEDIATOR.value:
        label = label_of(party)
        rows.insert(0, (button("aftercare.btn_reply", f"{PREFIX}r:{party.id}", label=label),))
    header = room.header(party)
    params = {"header": header, "status": Msg(f"status.{room.case.status}")}
    if content.kind == "text":
        text = Reply(
            Msg("aftercare.to_staff", {**params, "text": content.text or ""}), buttons=tuple(rows)
        )
        return [replace(render(text, address.language), case_message=record_id)]
    kind = Msg(f"room.kind_{content.kind}")
    about = render(
        Reply(Msg("aftercare.to_staff_file", {**params, "kind": kind}), buttons=tuple(rows)),
        address.language,
    )
    if address.channel == "telegram" == turn.out.sender.channel and content.message_id:
        caption = render(Reply(header), address.language).text
        copy = RelayedFile(
            str(content.from_chat_id),
            int(content.message_id),
            caption=caption if content.kind in MEDIA_KINDS else None,
            case_message=record_id,
        )
        return [copy, about]
    return [replace(about, case_message=record_id)]


async def action(turn: Turn, who: Who, data: str) -> list[Reply] | None:
    verb, _, arg = data.removeprefix(PREFIX).partition(":")
    if not arg.isdigit():
        return [reply("bot.stale_button")]
    if verb == "c" and who.staff is None:
        found = await agreed_room(turn, who.user_id)
        if found is None or found[0].case.id != int(arg):
            return [reply("bot.stale_button")]
        return [reply("aftercare.contact", number=found[0].case.number)]
    if verb == "r" and who.staff is not None:
        return await _start_reply(turn, who.staff, int(arg))
    return [reply("bot.stale_button")]


async def _start_reply(turn: Turn, staff: StaffAccount, party_member_id: int) -> list[Reply]:
    party = await turn.session.get(CaseMember, party_member_id)
    room = await load_room(turn.session, party.case_id) if party is not None else None
    me = room.of_staff(staff.id) if room is not None else None
    if room is None or party is None or me is None or me.role != Role.MEDIATOR.value:
        return [reply("staff.not_allowed")]
    turn.put(REPLY_TO, ReplyTo(room.case.id, party.id))
    return [reply("aftercare.ask_reply", label=label_of(party), number=room.case.number)]


@features.staged_hook(features.Stage.FIRST)
async def staff_message(turn: Turn, who: Who) -> list[Reply] | None:
    """The mediator's answer after 回复: to that party alone, kept in the record (before any
    feature's hook: the mediator chose to write it)."""
    staff = who.staff
    pending = turn.get(REPLY_TO)
    if staff is None or pending is None:
        return None
    turn.put(REPLY_TO, None)
    content = turn.content()
    room = await load_room(turn.session, pending.case)
    me = room.of_staff(staff.id) if room is not None else None
    party = room.by_id(pending.member) if room is not None else None
    if room is None or me is None or party is None or party.status == "removed":
        return [mediators.no_case(staff)]
    if content is None or content.kind != "text":
        return [reply("aftercare.reply_text_only")]
    record = CaseMessage(
        case_id=room.case.id,
        author_member_id=me.id,
        kind="text",
        text=content.text,
        data={"note": "after_agreement"},
        audience=[party.id],
        channel=turn.out.sender.channel,
        created_at=turn.now,
    )
    turn.session.add(record)
    await turn.session.flush()
    address = room.addresses.get(party.id)
    if address is not None:
        said = Msg("common.raw", {"text": content.text or ""})
        answer = Reply(
            Msg("room.event", {"header": room.header(me), "text": said}), buttons=menu(room.case.id)
        )
        copy = replace(render(answer, address.language), case_message=record.id)
        turn.out.send_message(address, copy)
    return [reply("aftercare.replied", label=label_of(party))]
