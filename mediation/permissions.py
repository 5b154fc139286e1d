"""Who may do what in a case: one function, tested as a full matrix (role × action × case).

Every adapter (bot, browser chat, console) asks :func:`can` before acting; nothing else grants
access. Rules:
- a party acts only on a case they are a present member of; a removed member loses access at
  once (人民调解法 第二十三条: a party may end the mediation, but not run it);
- only the case's mediator changes the mode, mutes or removes people, opens/closes sessions and
  closes the case (人民调解法 第二十二条: the mediator conducts the mediation);
- a mediator of the case's unit may take an unassigned case from the queue;
- a lawyer in the room may speak and read the record, not run the room.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from mediation.case_state import ACTIVE, CaseStatus
from mediation.room import MemberStatus, Role


class Action(StrEnum):
    READ_RECORD = "read_record"
    SPEAK = "speak"
    INVITE = "invite"
    CHANGE_MODE = "change_mode"
    OPEN_SESSION = "open_session"
    CLOSE_SESSION = "close_session"
    MUTE = "mute"
    REMOVE = "remove"
    APPOINT_REPRESENTATIVE = "appoint_representative"
    WRITE_NOTE = "write_note"
    READ_NOTES = "read_notes"
    CLOSE_CASE = "close_case"
    TAKE_CASE = "take_case"
    WITHDRAW = "withdraw"


class ActorKind(StrEnum):
    PARTY = "party"
    MEDIATOR = "mediator"
    LAWYER = "lawyer"
    NOBODY = "nobody"


@dataclass(frozen=True)
class Actor:
    """The person asking, as seen from one case.

    ``member_status`` is None when the person is not a member of this case's room;
    ``same_unit`` tells whether a mediator belongs to the case's unit (or one above it).
    """

    kind: ActorKind
    role: Role | None = None
    member_status: MemberStatus | None = None
    assigned: bool = False
    same_unit: bool = False

    @property
    def present(self) -> bool:
        return self.member_status is not None and self.member_status is not MemberStatus.REMOVED


@dataclass(frozen=True)
class CaseFacts:
    status: CaseStatus
    has_mediator: bool


_ROOM_CONTROL = frozenset(
    {
        Action.CHANGE_MODE,
        Action.OPEN_SESSION,
        Action.CLOSE_SESSION,
        Action.MUTE,
        Action.REMOVE,
        Action.APPOINT_REPRESENTATIVE,
        Action.CLOSE_CASE,
    }
)


def can(actor: Actor, action: Action, case: CaseFacts) -> bool:
    active = case.status in ACTIVE
    if action is Action.TAKE_CASE:
        return (
            actor.kind is ActorKind.MEDIATOR
            and actor.same_unit
            and not actor.assigned
            and not case.has_mediator
            and active
        )
    if actor.kind is ActorKind.NOBODY or not actor.present:
        return False
    muted = actor.member_status is MemberStatus.MUTED
    if actor.kind is ActorKind.PARTY:
        if action is Action.READ_RECORD:
            return True
        if action is Action.SPEAK:
            return active and not muted
        if action is Action.INVITE:
            # The applicant brings the other side in before a mediator is assigned.
            return active and actor.role is Role.APPLICANT and not muted
        if action is Action.WITHDRAW:
            return active
        return False
    if actor.kind is ActorKind.LAWYER:
        if action in (Action.READ_RECORD, Action.READ_NOTES):
            return True
        if action in (Action.SPEAK, Action.WRITE_NOTE):
            return active and not muted
        return False
    # The case's mediator.
    if not actor.assigned:
        return False
    if action in (Action.READ_RECORD, Action.READ_NOTES):
        return True
    if action in _ROOM_CONTROL or action in (Action.SPEAK, Action.INVITE, Action.WRITE_NOTE):
        return active
    return False
