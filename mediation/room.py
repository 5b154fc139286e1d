"""The mediation room: who is in it, who hears whom, and how people are labelled.

Parties never see each other's Telegram identity: each person in a room is shown only by a
role label (申请人, 申请人二, 被申请人, 调解员, 律师). Two modes exist, as in offline practice:
joint mediation (联合调解: everyone hears everyone) and back-to-back mediation (背对背调解: each
party talks only with the mediator, who decides whom each message goes to).
人民调解法 第二十二条 lets the mediator choose the way of mediating according to the dispute;
第二十三条 gives parties the right to ask for public or private mediation.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    APPLICANT = "applicant"  # 申请人
    RESPONDENT = "respondent"  # 被申请人
    MEDIATOR = "mediator"  # 调解员
    LAWYER = "lawyer"  # 律师


PARTY_ROLES = frozenset({Role.APPLICANT, Role.RESPONDENT})
STAFF_ROLES = frozenset({Role.MEDIATOR, Role.LAWYER})


class Mode(StrEnum):
    JOINT = "joint"  # 联合调解
    SEPARATE = "separate"  # 背对背调解


class MemberStatus(StrEnum):
    ACTIVE = "active"
    MUTED = "muted"  # still reads what is addressed to them, cannot speak
    REMOVED = "removed"  # loses access at once


@dataclass(frozen=True)
class Member:
    """A person in a case's room (a party, the mediator or a lawyer)."""

    id: int
    role: Role
    ordinal: int = 1
    status: MemberStatus = MemberStatus.ACTIVE
    is_representative: bool = False

    @property
    def is_party(self) -> bool:
        return self.role in PARTY_ROLES

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def present(self) -> bool:
        return self.status is not MemberStatus.REMOVED

    @property
    def label_key(self) -> str:
        """Catalog key of the label; ``label_params`` fills in the ordinal (申请人二)."""
        if self.is_party and self.ordinal > 1:
            return f"role.{self.role.value}_n"
        return f"role.{self.role.value}"

    @property
    def label_params(self) -> dict[str, object]:
        return {"n": self.ordinal}


@dataclass(frozen=True)
class RoomState:
    mode: Mode
    session_open: bool
    members: tuple[Member, ...]

    def member(self, member_id: int) -> Member | None:
        return next((m for m in self.members if m.id == member_id), None)

    def present_members(self) -> list[Member]:
        return [m for m in self.members if m.present]

    def staff(self) -> list[Member]:
        return [m for m in self.present_members() if m.is_staff]

    def side_has_representative(self, role: Role) -> bool:
        return any(m.role is role and m.is_representative for m in self.present_members())


class RelayRefusal(StrEnum):
    """Why a message is not relayed; each is a catalog key under ``room.refused_``."""

    NOT_MEMBER = "not_member"
    REMOVED = "removed"
    MUTED = "muted"
    NO_TARGET = "no_target"


@dataclass(frozen=True)
class Relay:
    """Where one message goes. ``held_for_staff``: stored for the mediator only, and the
    sender is told why (session not open, or a side speaks through its representative)."""

    recipients: tuple[int, ...]
    held_for_staff: bool = False
    note: str | None = None


def route_message(
    room: RoomState, sender_id: int, target_ids: tuple[int, ...] | None = None
) -> Relay | RelayRefusal:
    """Decide the audience of a message from ``sender_id``.

    ``target_ids`` is the mediator's choice in back-to-back mode (or to talk to one party).
    """
    sender = room.member(sender_id)
    if sender is None:
        return RelayRefusal.NOT_MEMBER
    if sender.status is MemberStatus.REMOVED:
        return RelayRefusal.REMOVED
    if sender.status is MemberStatus.MUTED:
        return RelayRefusal.MUTED
    others = [m for m in room.present_members() if m.id != sender_id]
    staff = tuple(m.id for m in others if m.is_staff)
    if sender.is_staff:
        if target_ids is not None:
            wanted = {m.id for m in others if m.id in target_ids}
            # Staff always see each other's messages, whoever they address.
            audience = tuple(m.id for m in others if m.id in wanted or m.is_staff)
            return Relay(audience)
        if room.mode is Mode.SEPARATE:
            return RelayRefusal.NO_TARGET
        return Relay(tuple(m.id for m in others))
    # A party speaks.
    if not room.session_open:
        return Relay(staff, held_for_staff=True, note="session_closed")
    if room.mode is Mode.SEPARATE:
        return Relay(staff, held_for_staff=True, note="separate")
    if room.side_has_representative(sender.role) and not sender.is_representative:
        return Relay(staff, held_for_staff=True, note="representative")
    return Relay(tuple(m.id for m in others))


def route_after_agreement(room: RoomState, sender_id: int) -> Relay | RelayRefusal:
    """After the agreement (performance, the follow-up visit: 人民调解法 第三十一条) a party's
    message goes to the case's staff only, whatever the room's mode was: the talk between the
    parties ended with the agreement, and what is said now (a payment made, a question, a
    complaint that the other side does not perform) is for the committee to act on. A muted
    party may write too (the mute was for the session)."""
    sender = room.member(sender_id)
    if sender is None:
        return RelayRefusal.NOT_MEMBER
    if sender.status is MemberStatus.REMOVED:
        return RelayRefusal.REMOVED
    staff = tuple(m.id for m in room.present_members() if m.is_staff and m.id != sender_id)
    return Relay(staff, held_for_staff=True, note="after_agreement")


def may_address_everyone(mode: Mode) -> bool:
    """Whether staff may talk to the whole room at once: not in back-to-back mode (背对背),
    where :func:`route_message` refuses a staff message without a chosen recipient. Panels
    offer "对全体说" only when this holds (the lawyer's panel offered it and the room then
    refused it; issue 20)."""
    return mode is not Mode.SEPARATE


def may_read(
    room: RoomState, reader_id: int, audience: tuple[int, ...], author_id: int | None
) -> bool:
    """Whether a stored message is part of this reader's view of the record.

    Staff see everything; a party sees what they wrote and what was addressed to them.
    """
    reader = room.member(reader_id)
    if reader is None or not reader.present:
        return False
    if reader.is_staff:
        return True
    return reader_id == author_id or reader_id in audience
