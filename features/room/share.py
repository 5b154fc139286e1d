"""Sending a masked room message in full, on purpose (issue 19).

The relay (features.room.relay) masks mobile, ID and bank card numbers for everyone but the sender
and offers the sender a button: "仍要发送完整号码". Pressing it relays the text as typed to
those the masked copy reached (and the room's rules still reach), as a record entry of its own (``shared_full_of``), once per
message, and announces the act (``services.case_watch``: the console writes it to its audit log) in the same transaction: who chose to disclose
which message, so the console can tell a shared number from a leaked one.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from features.room.relay import SHARE_FULL, relay
from mediation.replies import Msg, Reply, reply
from mediation.room import RelayRefusal
from services import case_watch, features
from services.room import Content, Room, load_room
from services.routing import ActionRoute, Who
from services.turn import Turn
from storage.models import CaseMember, CaseMessage


def routes() -> list[ActionRoute]:
    async def on_action(turn: Turn, who: Who, data: str) -> list[Reply] | None:
        return await share_full(turn, who, data)

    return [ActionRoute(SHARE_FULL, __name__, on_action)]


features.declare(*routes())


async def _own_message(
    session: AsyncSession, who: Who, data: str
) -> tuple[CaseMessage, Room, CaseMember] | None:
    """The masked message the button names, if the presser wrote it and is still in the room."""
    ident = data.removeprefix(SHARE_FULL)
    row = (
        await session.get(CaseMessage, int(ident), with_for_update=True)
        if ident.isdigit()
        else None
    )
    if row is None or row.author_member_id is None or not (row.data or {}).get("masked"):
        return None
    room = await load_room(session, row.case_id)
    author = room.by_id(row.author_member_id) if room is not None else None
    if room is None or author is None or author.status == "removed":
        return None
    mine = (author.user_id is not None and author.user_id == who.user_id) or (
        who.staff is not None and author.staff_id == who.staff.id
    )
    return (row, room, author) if mine else None


async def share_full(turn: Turn, who: Who, data: str) -> list[Reply]:
    found = await _own_message(turn.session, who, data)
    if found is None:
        return [reply("bot.stale_button")]
    row, room, author = found
    if row.data.get("shared"):
        return [reply("room.pii_already_shared")]
    audience = tuple(int(a) for a in row.audience or [])
    targets = audience if author.staff_id is not None else None
    content = Content("text", text=row.text or "")
    decision = await relay(
        turn.session,
        room,
        author,
        content,
        turn.out,
        turn.now,
        targets,
        full_of=row.id,
        within=audience,
    )
    if isinstance(decision, RelayRefusal):
        return [reply(f"room.refused_{decision.value}")]
    row.data = {**row.data, "shared": True}
    by_staff = author.staff_id is not None and who.staff is not None
    await case_watch.disclosed(
        turn.session,
        case_watch.Disclosure(
            at=turn.now,
            case_id=room.case.id,
            case_number=room.case.number,
            unit_code=room.case.unit_code,
            target=f"message:{row.id}",
            recipients=tuple(decision.recipients),
            staff_id=who.staff.id if by_staff and who.staff else None,
            actor=who.staff.username if by_staff and who.staff else f"user:{who.user_id}",
            role="staff" if author.staff_id is not None else author.role,
        ),
    )
    return [Reply(Msg("room.pii_shared_ok"))]
