"""A case's room as every feature sees it: its members and their addresses, role labels, the
facts the permission rules need, and room events (``announce``: recorded, then told to the
people present). Relaying what members say and reading the record is the room feature's
(``features.room.relay``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mediation.case_state import CaseStatus
from mediation.permissions import Actor, ActorKind, CaseFacts
from mediation.replies import Msg, Reply
from mediation.room import (
    Member,
    MemberStatus,
    Mode,
    Role,
    RoomState,
)
from services.delivery import Address, Outgoing, member_addresses
from storage.models import Case, CaseMember, CaseMessage

MEDIA_KINDS = frozenset({"photo", "document", "video", "audio", "voice"})


@dataclass(frozen=True)
class Content:
    """What a member sent: text, or a file/location to copy from its original chat."""

    kind: str
    text: str | None = None
    file_ref: str | None = None
    from_chat_id: str | None = None
    message_id: int | None = None


@dataclass
class Room:
    case: Case
    members: list[CaseMember]
    addresses: dict[int, Address]

    @property
    def state(self) -> RoomState:
        return RoomState(
            mode=Mode(self.case.room_mode),
            session_open=self.case.session_open,
            members=tuple(domain_member(m) for m in self.members),
        )

    def by_id(self, member_id: int) -> CaseMember | None:
        return next((m for m in self.members if m.id == member_id), None)

    def of_user(self, user_id: int) -> CaseMember | None:
        return next(
            (m for m in self.members if m.user_id == user_id and m.status != "removed"), None
        )

    def of_staff(self, staff_id: int) -> CaseMember | None:
        return next(
            (m for m in self.members if m.staff_id == staff_id and m.status != "removed"), None
        )

    def present(self) -> list[CaseMember]:
        return [m for m in self.members if m.status != MemberStatus.REMOVED.value]

    def header(self, member: CaseMember | None) -> Msg:
        label = label_of(member) if member is not None else Msg("room.system")
        return Msg("room.header", {"number": self.case.number, "label": label})


def domain_member(m: CaseMember) -> Member:
    return Member(
        id=m.id,
        role=Role(m.role),
        ordinal=m.ordinal,
        status=MemberStatus(m.status),
        is_representative=m.is_representative,
    )


def label_of(m: CaseMember) -> Msg:
    d = domain_member(m)
    return Msg(d.label_key, d.label_params)


def party_actor(member: CaseMember) -> Actor:
    """A party member as the permission rules see them."""
    return Actor(ActorKind.PARTY, Role(member.role), MemberStatus(member.status))


def facts(room: Room) -> CaseFacts:
    """What the permission rules need to know of the room's case."""
    return CaseFacts(CaseStatus(room.case.status), room.case.mediator_id is not None)


async def load_room(session: AsyncSession, case_id: int, *, lock: bool = False) -> Room | None:
    stmt = select(Case).where(Case.id == case_id)
    if lock:
        stmt = stmt.with_for_update()
    case = (await session.execute(stmt)).scalar_one_or_none()
    if case is None:
        return None
    members = list(
        (
            await session.execute(
                select(CaseMember).where(CaseMember.case_id == case_id).order_by(CaseMember.id)
            )
        ).scalars()
    )
    return Room(case, members, await member_addresses(session, members))


async def announce(
    session: AsyncSession,
    room: Room,
    message: Msg,
    out: Outgoing,
    now: datetime,
    *,
    audience: Iterable[CaseMember] | None = None,
    kind: str = "event",
    author: CaseMember | None = None,
) -> None:
    """A room event (joined, mode changed, muted, outcome…): recorded, then told to people."""
    if audience is not None:
        targets = list(audience)
    else:  # everyone present except whoever caused it (they get their own reply)
        targets = [m for m in room.present() if author is None or m.id != author.id]
    session.add(
        CaseMessage(
            case_id=room.case.id,
            author_member_id=author.id if author else None,
            kind=kind,
            text=message.key,
            data={"params": _plain(message.params)},
            audience=[m.id for m in targets],
            created_at=now,
        )
    )
    for m in targets:
        address = room.addresses.get(m.id)
        if address is not None:
            out.send(
                address, Reply(Msg("room.event", {"header": room.header(None), "text": message}))
            )


async def tell_mediators(
    session: AsyncSession, room: Room, about: CaseMember, key: str, out: Outgoing, now: datetime
) -> None:
    """The room's present mediators (but ``about``) hear ``key``, naming ``about`` as ``who``:
    an event ``about`` caused that the mediator acts on (a lawyer asked for, a name corrected)."""
    staff = [m for m in room.present() if m.role == Role.MEDIATOR.value and m is not about]
    if staff:
        message = Msg(key, {"who": label_of(about)})
        await announce(session, room, message, out, now, audience=staff, author=about)


def _plain(params: object) -> object:
    if isinstance(params, Msg):
        return {"key": params.key, "params": _plain(params.params)}
    if isinstance(params, dict):
        return {k: _plain(v) for k, v in params.items()}
    if isinstance(params, list | tuple):
        return [_plain(v) for v in params]
    return params
