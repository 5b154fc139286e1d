"""The conversation-state slots the core and the flows share (see services.chat_state): whom a
staff member is talking to, a message held until they choose, and what a staff member is typing
in answer to the room's questions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from mediation.replies import Msg
from mediation.room import Mode, may_address_everyone
from services.chat_state import Slot, Variant, flag_slot, id_slot, record_slot, variant_slot
from services.room import Room, label_of


@dataclass(frozen=True)
class Target:
    """Whom a staff member's next messages go to in a case (back-to-back mediation); no target
    means the whole room."""

    case: int
    members: list[int]

    def members_in(self, case_id: int) -> tuple[int, ...] | None:
        """The chosen members when this target is for ``case_id``; None: everyone."""
        return tuple(self.members) if self.case == case_id and self.members else None


@dataclass(frozen=True)
class Held:
    """A staff message kept until its recipient is chosen (back-to-back, no target yet)."""

    case: int
    content: dict[str, Any]


@dataclass(frozen=True)
class InviteName(Variant):
    """The next text is the name of the party the mediator invites on ``side``."""

    TAG: ClassVar[str] = "await"
    KIND: ClassVar[str] = "invite_name"
    case: int
    side: str


@dataclass(frozen=True)
class InvitePhone(Variant):
    """The next text is that party's phone number."""

    TAG: ClassVar[str] = "await"
    KIND: ClassVar[str] = "invite_phone"
    case: int
    side: str
    name: str


@dataclass(frozen=True)
class OutcomeReason(Variant):
    """The next text is why the case closes with ``outcome``."""

    TAG: ClassVar[str] = "await"
    KIND: ClassVar[str] = "outcome_reason"
    case: int
    outcome: str


StaffInput = InviteName | InvitePhone | OutcomeReason

TARGET: Slot[Target] = record_slot("target", Target)


def target_label(target: Target | None, room: Room) -> Msg:
    """The room panel's "talking to": the chosen member's role label, or everyone — except in
    back-to-back mode, where nobody is chosen until the staff member chooses."""
    chosen = target.members_in(room.case.id) if target is not None else None
    member = room.by_id(chosen[0]) if chosen else None
    if member is not None:
        return label_of(member)
    everyone = may_address_everyone(Mode(room.case.room_mode))
    return Msg("staff.target_all" if everyone else "staff.target_choose")


def target_for(room: Room, member_id: int | None) -> Target | None:
    """The target that sends to one member (None: the whole room)."""
    return None if member_id is None else Target(room.case.id, [member_id])


HELD: Slot[Held] = record_slot("held", Held)
STAFF_INPUT: Slot[StaffInput] = variant_slot("staff_input", InviteName, InvitePhone, OutcomeReason)

#: The staff account linked to this Telegram chat (checked against the account every turn).
STAFF_ID = id_slot("staff_id")
#: This chat was looked up once and belongs to no staff account (parties cost no query).
STAFF_CHECKED = flag_slot("staff_checked")
