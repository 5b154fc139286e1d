"""What a staff member finishes by typing in the room's chat: inviting another party (name, then
phone) and closing the case with an outcome and its reason (人民调解法 第二十六条: a failed
mediation ends with the other routes the parties still have)."""

from __future__ import annotations

from sqlalchemy import func, select

from core import crypto
from mediation.case_state import CaseEvent, CaseStatus, InvalidTransition, transition
from mediation.disputes import OTHER_ROUTES, DisputeType
from mediation.replies import Msg, Reply, reply
from mediation.validation import InvalidInput, clean_name, clean_text, normalise_phone
from services import invites, mediators
from services.cases import add_event
from services.outgoing import QrCode
from services.room import Room, announce, load_room
from services.slots import STAFF_INPUT, InviteName, InvitePhone, StaffInput
from services.timers import cancel_timers
from services.turn import Turn
from storage.models import CaseParty, StaffAccount

OUTCOMES = {
    "success": CaseEvent.AGREE_ORALLY,
    "failed": CaseEvent.MEDIATION_FAILS,
    "withdrawn": CaseEvent.WITHDRAW,
    "transferred": CaseEvent.TRANSFER,
}


async def finish_input(
    turn: Turn, staff: StaffAccount, pending: StaffInput, text: str
) -> list[Reply]:
    room = await load_room(turn.session, pending.case, lock=True)
    if room is None:
        turn.put(STAFF_INPUT, None)
        return [mediators.no_case(staff)]
    try:
        if isinstance(pending, InviteName):
            name = clean_name(text)
            turn.put(STAFF_INPUT, InvitePhone(pending.case, pending.side, name))
            return [reply("staff.invite_ask_phone")]
        if isinstance(pending, InvitePhone):
            phone = normalise_phone(text)
            turn.put(STAFF_INPUT, None)
            return await invite_party(turn, staff, room, pending.side, pending.name, phone)
        reason = clean_text(text, max_len=2000, min_len=2)
        turn.put(STAFF_INPUT, None)
        return await close_case(turn, staff, room, pending.outcome, reason)
    except InvalidInput as exc:
        return [reply(exc.key, **exc.params)]


async def invite_party(
    turn: Turn, staff: StaffAccount, room: Room, side: str, name: str, phone: str
) -> list[Reply]:
    highest = await turn.session.execute(
        select(func.max(CaseParty.ordinal)).where(
            CaseParty.case_id == room.case.id, CaseParty.side == side
        )
    )
    ordinal = 1 + (highest.scalar_one() or 0)
    party = CaseParty(
        case_id=room.case.id,
        side=side,
        ordinal=ordinal,
        status="pending",
        name=name,
        phone=phone,
        phone_hash=crypto.blind_index(phone),
    )
    turn.session.add(party)
    await turn.session.flush()
    issued = await invites.issue(
        turn.session,
        room.case,
        party,
        created_by=f"staff:{staff.id}",
        now=turn.now,
        ttl=turn.invite_ttl,
        phone=phone,
    )
    link = turn.deep_link(issued.token)
    replies = invites.invite_replies(issued, link)
    if link:
        turn.out.reply(*replies)
        turn.out.send_message(turn.out.sender, QrCode(link))
        return [reply("staff.invite_phone_note")]
    return [*replies, reply("staff.invite_phone_note")]


async def close_case(
    turn: Turn, staff: StaffAccount, room: Room, outcome: str, reason: str
) -> list[Reply]:
    case = room.case
    try:
        case.status = transition(CaseStatus(case.status), OUTCOMES[outcome]).value
    except InvalidTransition:
        return [reply("staff.outcome_not_now", status=Msg(f"status.{case.status}"))]
    case.outcome, case.outcome_reason = outcome, reason
    case.session_open = False
    case.updated_at = turn.now
    if outcome != "success":
        case.closed_at = turn.now
    add_event(
        turn.session,
        case.id,
        turn.now,
        f"staff:{staff.id}",
        kind="outcome",
        data={"outcome": outcome, "reason": reason},
    )
    await cancel_timers(turn.session, [f"deadline:{case.id}:{k}" for k in ("3d", "1d", "due")])
    params: dict[str, object] = {"outcome": Msg(f"staff.outcome_{outcome}"), "reason": reason}
    key = "room.closed_with_outcome"
    if outcome == "failed":
        key = "room.closed_failed"
        params["routes"] = [Msg(f"route.{r}") for r in OTHER_ROUTES[DisputeType(case.dispute_type)]]
    await announce(
        turn.session, room, Msg(key, params), turn.out, turn.now, author=room.of_staff(staff.id)
    )
    turn.conv.active_case_id = None
    return [reply("staff.closed", number=case.number)]
