"""治安调解's rules (mediation.police): when the police may mediate, and the procedure's states —
an agreement performed means no punishment, a broken one or none returns the case to the police
(治安管理处罚法 第九条、第一百零八条; 公安机关办理行政案件程序规定 第一百七十九条、第一百八十一条)."""

from __future__ import annotations

import pytest

from mediation import case_state
from mediation import police as p
from mediation.case_state import CaseEvent, CaseStatus

OK = p.Intake(
    violation=p.Violation.ASSAULT,
    from_civil_dispute=True,
    minor_circumstances=True,
    exclusions=frozenset(),
    officers=2,
    recording_ref="",
    offender_party_id=1,
    injured_party_id=2,
)


def test_a_minor_fight_from_a_civil_dispute_may_be_mediated() -> None:
    assert p.problems(OK) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"violation": None}, "violation"),
        ({"from_civil_dispute": False}, "not_civil"),  # 第九条: 因民间纠纷引起
        ({"minor_circumstances": False}, "not_minor"),  # 第九条: 情节较轻
        ({"exclusions": frozenset({p.Exclusion.GANG})}, "excluded"),  # 程序规定 第一百七十九条
        ({"officers": 0}, "officers"),
        ({"officers": 1}, "recording"),  # 第一百零八条: one officer, recorded in full
        ({"injured_party_id": 1}, "sides"),
        ({"injured_party_id": None}, "sides"),
        ({"offender_has_agent": True}, "offender_agent"),  # 程序规定 第一百八十一条
        ({"minors_without_guardian": 1}, "guardian"),
    ],
)
def test_what_rules_police_mediation_out(change: dict[str, object], problem: str) -> None:
    from dataclasses import replace

    assert p.problems(replace(OK, **change)) == [problem]  # type: ignore[arg-type]


def test_one_officer_with_a_recording_may_mediate() -> None:
    from dataclasses import replace

    assert p.problems(replace(OK, officers=1, recording_ref="YJP-0001")) == []


def test_performed_means_no_punishment_broken_or_none_returns_to_the_police() -> None:
    agreed = p.transition(p.PoliceStatus.MEDIATING, p.PoliceEvent.AGREEMENT_SIGNED)
    assert agreed is p.PoliceStatus.AGREED
    performed = p.transition(agreed, p.PoliceEvent.PERFORMED)
    assert p.PUNISHMENT[performed] == "不予处罚" and not p.returned_to_police(performed)
    broken = p.transition(agreed, p.PoliceEvent.BROKEN)
    assert p.returned_to_police(broken) and p.PUNISHMENT[broken] == "依法作出处理"
    # A 第一百七十九条 situation arising during the mediation ends it at once.
    assert p.returned_to_police(p.transition(p.PoliceStatus.MEDIATING, p.PoliceEvent.EXCLUDED))
    with pytest.raises(p.PoliceTransitionError):
        p.transition(p.PoliceStatus.RETURNED, p.PoliceEvent.PERFORMED)
    with pytest.raises(p.PoliceTransitionError):  # performed before any agreement
        p.transition(p.PoliceStatus.MEDIATING, p.PoliceEvent.PERFORMED)


def test_a_first_failure_allows_one_second_mediation_only() -> None:
    """公安机关办理行政案件程序规定 第一百八十三条: 调解一般为一次; once more when necessary or a party
    applies; a second failure returns the case to the police."""
    once = p.transition(p.PoliceStatus.MEDIATING, p.PoliceEvent.FAILED)
    assert once is p.PoliceStatus.FAILED_ONCE and not p.returned_to_police(once)
    again = p.transition(once, p.PoliceEvent.AGAIN)
    assert again in p.MEDIATING_STATES
    assert p.transition(again, p.PoliceEvent.AGREEMENT_SIGNED) is p.PoliceStatus.AGREED
    assert p.returned_to_police(p.transition(again, p.PoliceEvent.FAILED))
    assert p.returned_to_police(p.transition(again, p.PoliceEvent.EXCLUDED))
    assert p.returned_to_police(p.transition(once, p.PoliceEvent.GIVE_UP))
    with pytest.raises(p.PoliceTransitionError):  # no third mediation
        p.transition(again, p.PoliceEvent.AGAIN)
    with pytest.raises(p.PoliceTransitionError):  # nothing to sign after a failure
        p.transition(once, p.PoliceEvent.AGREEMENT_SIGNED)


@pytest.mark.parametrize(
    ("first", "deadline"),
    [
        ("2026-12-07", "2026-12-16"),  # a Monday: seven working days end on the next Wednesday
        ("2026-12-11", "2026-12-22"),  # a Friday: the weekend is not counted
        ("2026-12-12", "2026-12-22"),  # a Saturday: the count starts on Monday
    ],
)
def test_the_second_mediation_deadline_counts_seven_working_days(first: str, deadline: str) -> None:
    from datetime import date

    last = p.again_deadline(date.fromisoformat(first))
    assert last.isoformat() == deadline
    assert p.again_open(last, last) and not p.again_open(
        last, date.fromordinal(last.toordinal() + 1)
    )
    assert not p.again_open(None, last)


def test_the_case_follows_the_police_procedure() -> None:
    t = case_state.transition
    assert t(CaseStatus.MEDIATING, CaseEvent.POLICE_AGREEMENT) is CaseStatus.AGREED
    assert t(CaseStatus.AGREED, CaseEvent.RETURN_TO_POLICE) is CaseStatus.TRANSFERRED
    assert t(CaseStatus.MEDIATING, CaseEvent.RETURN_TO_POLICE) is CaseStatus.TRANSFERRED
    assert t(CaseStatus.AGREED, CaseEvent.PERFORMANCE_COMPLETE) is CaseStatus.CLOSED
    with pytest.raises(case_state.InvalidTransition):
        t(CaseStatus.SUBMITTED, CaseEvent.POLICE_AGREEMENT)


def test_ethnic_groups_are_the_56_standard_names() -> None:
    from mediation.ethnicity import ETHNIC_GROUPS, code_of, match
    from mediation.validation import InvalidInput, parse_ethnicity

    assert len(set(ETHNIC_GROUPS)) == 56
    assert code_of("汉族") == "01" and code_of("基诺族") == "56"
    assert match("汉") == "汉族" and parse_ethnicity(" 土家族 ") == "土家族"
    for wrong in ("汉民", "Han", "火星族", ""):
        with pytest.raises(InvalidInput):
            parse_ethnicity(wrong)
