"""Access control as a matrix: actor × action × case, every cell asserted.

The expected table is written out by hand (not derived from the code under test): a letter per
action in the order of ``ACTIONS``; ``Y`` allowed, ``.`` refused.
"""

from __future__ import annotations

import pytest

from mediation.case_state import CaseStatus
from mediation.permissions import Action, Actor, ActorKind, CaseFacts, can
from mediation.room import (
    Member,
    MemberStatus,
    Mode,
    Relay,
    RelayRefusal,
    Role,
    RoomState,
    may_read,
    route_message,
)

#: The matrix's columns in order, by their values (the header above EXPECTED spells them).
COLUMNS = (
    "read_record speak invite change_mode open_session close_session mute remove"
    " appoint_representative write_note read_notes close_case take_case withdraw"
)
ACTIONS = [Action(value) for value in COLUMNS.split()]

ACTORS = {
    "applicant": Actor(ActorKind.PARTY, Role.APPLICANT, MemberStatus.ACTIVE),
    "respondent": Actor(ActorKind.PARTY, Role.RESPONDENT, MemberStatus.ACTIVE),
    "muted_party": Actor(ActorKind.PARTY, Role.RESPONDENT, MemberStatus.MUTED),
    "removed_party": Actor(ActorKind.PARTY, Role.RESPONDENT, MemberStatus.REMOVED),
    "outsider_party": Actor(ActorKind.PARTY, None, None),
    "case_mediator": Actor(
        ActorKind.MEDIATOR, Role.MEDIATOR, MemberStatus.ACTIVE, assigned=True, same_unit=True
    ),
    "unit_mediator": Actor(ActorKind.MEDIATOR, None, None, assigned=False, same_unit=True),
    "other_unit_mediator": Actor(ActorKind.MEDIATOR, None, None, assigned=False, same_unit=False),
    "lawyer_in_room": Actor(ActorKind.LAWYER, Role.LAWYER, MemberStatus.ACTIVE),
    "nobody": Actor(ActorKind.NOBODY),
}

CASES = {
    "mediating": CaseFacts(CaseStatus.MEDIATING, has_mediator=True),
    "waiting_unassigned": CaseFacts(CaseStatus.SUBMITTED, has_mediator=False),
    "closed": CaseFacts(CaseStatus.FAILED, has_mediator=True),
}

#                       R S I C O C M R A W R C T W
#                       e p n h p l u e p r N l a i
EXPECTED = {
    "mediating": {
        "applicant": "YYY..........Y",
        "respondent": "YY...........Y",
        "muted_party": "Y............Y",
        "removed_party": "..............",
        "outsider_party": "..............",
        "case_mediator": "YYYYYYYYYYYY..",
        "unit_mediator": "..............",
        "other_unit_mediator": "..............",
        "lawyer_in_room": "YY.......YY...",
        "nobody": "..............",
    },
    "waiting_unassigned": {
        "applicant": "YYY..........Y",
        "respondent": "YY...........Y",
        "muted_party": "Y............Y",
        "removed_party": "..............",
        "outsider_party": "..............",
        "case_mediator": "YYYYYYYYYYYY..",
        "unit_mediator": "............Y.",
        "other_unit_mediator": "..............",
        "lawyer_in_room": "YY.......YY...",
        "nobody": "..............",
    },
    "closed": {
        "applicant": "Y.............",
        "respondent": "Y.............",
        "muted_party": "Y.............",
        "removed_party": "..............",
        "outsider_party": "..............",
        "case_mediator": "Y.........Y...",
        "unit_mediator": "..............",
        "other_unit_mediator": "..............",
        "lawyer_in_room": "Y.........Y...",
        "nobody": "..............",
    },
}


@pytest.mark.parametrize("case_name", list(CASES))
@pytest.mark.parametrize("actor_name", list(ACTORS))
def test_matrix(case_name: str, actor_name: str) -> None:
    row = EXPECTED[case_name][actor_name]
    assert len(row) == len(ACTIONS)
    got = "".join("Y" if can(ACTORS[actor_name], a, CASES[case_name]) else "." for a in ACTIONS)
    assert got == row, f"{actor_name} on a {case_name} case"


def test_every_action_is_in_the_matrix() -> None:
    assert set(ACTIONS) == set(Action)


# ------------------------------------------------------------------ who hears whom

A1 = Member(1, Role.APPLICANT)
A2 = Member(2, Role.APPLICANT, ordinal=2)
R1 = Member(3, Role.RESPONDENT)
M = Member(4, Role.MEDIATOR)
MUTED = Member(5, Role.RESPONDENT, ordinal=2, status=MemberStatus.MUTED)
GONE = Member(6, Role.RESPONDENT, ordinal=3, status=MemberStatus.REMOVED)
MEMBERS = (A1, A2, R1, M, MUTED, GONE)


def room(
    mode: Mode = Mode.JOINT, session_open: bool = True, members: tuple[Member, ...] = MEMBERS
) -> RoomState:
    return RoomState(mode, session_open, members)


def test_joint_mode_reaches_everyone_present_but_the_sender() -> None:
    assert route_message(room(), A1.id) == Relay((2, 3, 4, 5))


def test_separate_mode_party_reaches_staff_only_and_staff_must_choose() -> None:
    assert route_message(room(Mode.SEPARATE), R1.id) == Relay(
        (4,), held_for_staff=True, note="separate"
    )
    assert route_message(room(Mode.SEPARATE), M.id) is RelayRefusal.NO_TARGET
    assert route_message(room(Mode.SEPARATE), M.id, (R1.id,)) == Relay((3,))


def test_closed_session_holds_party_messages_for_staff() -> None:
    assert route_message(room(session_open=False), A1.id) == Relay(
        (4,), held_for_staff=True, note="session_closed"
    )


def test_muted_removed_and_strangers_are_refused() -> None:
    assert route_message(room(), MUTED.id) is RelayRefusal.MUTED
    assert route_message(room(), GONE.id) is RelayRefusal.REMOVED
    assert route_message(room(), 99) is RelayRefusal.NOT_MEMBER


def test_representative_speaks_for_the_side() -> None:
    rep = Member(2, Role.APPLICANT, ordinal=2, is_representative=True)
    members = (A1, rep, R1, M)
    assert route_message(room(members=members), A1.id) == Relay(
        (4,), held_for_staff=True, note="representative"
    )
    assert route_message(room(members=members), rep.id) == Relay((1, 3, 4))


def test_record_visibility() -> None:
    r = room()
    assert may_read(r, M.id, (3,), 1)  # staff read everything
    assert may_read(r, A1.id, (3,), 1)  # the author
    assert may_read(r, R1.id, (3,), 1)  # the addressee
    assert not may_read(r, A2.id, (3,), 1)  # someone else
    assert not may_read(r, GONE.id, (6,), 4)  # removed: access gone at once


def test_labels() -> None:
    assert (A1.label_key, A2.label_key, M.label_key) == (
        "role.applicant",
        "role.applicant_n",
        "role.mediator",
    )
    assert A2.label_params == {"n": 2}
