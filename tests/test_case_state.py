import pytest

from mediation.case_state import (
    ACTIVE,
    TERMINAL,
    TRANSITIONS,
    CaseEvent,
    CaseStatus,
    InvalidTransition,
    allowed_events,
    transition,
)


def test_every_transition_and_every_refusal() -> None:
    for status in CaseStatus:
        for event in CaseEvent:
            if (status, event) in TRANSITIONS:
                assert transition(status, event) is TRANSITIONS[(status, event)]
            else:
                with pytest.raises(InvalidTransition):
                    transition(status, event)


def test_terminal_states_have_no_way_out_and_every_state_is_reachable() -> None:
    for status in TERMINAL:
        assert allowed_events(status) == []
    reachable = {CaseStatus.SUBMITTED}
    frontier = [CaseStatus.SUBMITTED]
    while frontier:
        s = frontier.pop()
        for e in allowed_events(s):
            t = transition(s, e)
            if t not in reachable:
                reachable.add(t)
                frontier.append(t)
    assert reachable == set(CaseStatus)
    assert ACTIVE.isdisjoint(TERMINAL)


def test_agreement_takes_effect_only_from_signing() -> None:
    # 人民调解法 第二十九条: only signatures of every party and the mediator make it effective.
    sources = {s for (s, e) in TRANSITIONS if e is CaseEvent.ALL_SIGNED}
    assert sources == {CaseStatus.SIGNING}
