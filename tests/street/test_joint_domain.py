"""The rules of joint handling, escalation, group disputes and the 化解率 (``mediation.street_joint``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from features.street.config import street_directory
from mediation.disputes import DisputeType
from mediation.risk import RiskLevel
from mediation.street import TaskEvent, TaskRefused, TaskStatus, task_transition
from mediation.street_joint import (
    GROUP_CLAIMANTS,
    Access,
    Do,
    JointRole,
    Outcome,
    See,
    amount_cents,
    concluded_as,
    escalates,
    escalation_centre,
    group_risk,
    member_agent,
    parse_roster,
    resolution_rate,
    task_role,
)
from mediation.validation import InvalidInput
from services.units import load_units

HERE = Path(__file__).parent


UNITS_FILE = HERE / "units_joint.toml"
UNITS = load_units(UNITS_FILE)


def test_each_role_sees_and_does_its_share() -> None:
    lead, assist = Access(frozenset({JointRole.LEAD})), Access(frozenset({JointRole.ASSIST}))
    dept, centre = Access(frozenset({JointRole.DEPARTMENT})), Access(frozenset({JointRole.CENTRE}))
    assert lead.sees == frozenset(See) and centre.sees == frozenset(See)
    assert not assist.may_see(See.CONTACTS) and not assist.may_see(See.AMOUNTS)
    assert assist.may_see(See.ROSTER) and assist.may_see(See.HANDOVERS)
    assert not dept.may_see(See.ROSTER) and not dept.may_see(See.HANDOVERS)
    assert dept.may(Do.SESSION) and not dept.may(Do.OUTCOME) and not dept.may(Do.RAISE)
    assert lead.may(Do.OUTCOME) and lead.may(Do.ROSTER) and not lead.may(Do.DISPATCH)
    assert centre.may(Do.DISPATCH) and not centre.may(Do.ROSTER)
    both = Access(frozenset({JointRole.ASSIST, JointRole.DEPARTMENT}))
    assert both.sees == assist.sees | dept.sees
    assert Access(frozenset()).sees == frozenset() and not Access(frozenset()).may(Do.SESSION)
    assert task_role("lead", True) is JointRole.LEAD
    assert task_role("assist", True) is JointRole.DEPARTMENT
    assert task_role("assist", False) is JointRole.ASSIST


def test_escalation_goes_to_the_unit_above_only_on_a_raise_to_major() -> None:
    units = UNITS
    assert escalation_centre(units, "yuelai") == "yubei"
    assert escalation_centre(units, "yuelai-sq") == "yuelai"
    assert escalation_centre(units, "yubei") is None
    assert escalation_centre(units, "nowhere") is None
    n, m, c = RiskLevel.NORMAL, RiskLevel.MAJOR, RiskLevel.CRITICAL
    assert escalates(n, m) and escalates(n, c) and escalates(m, c)
    assert not escalates(m, m) and not escalates(c, m) and not escalates(n, n)


def test_hand_over_and_close_end_open_tasks_only() -> None:
    s = TaskStatus
    for start in (s.ASSIGNED, s.ACCEPTED):
        assert task_transition(start, TaskEvent.HAND_OVER) is s.HANDED
        assert task_transition(start, TaskEvent.CLOSE) is s.DONE
    for ended in (s.RETURNED, s.DONE, s.HANDED):
        for event in (TaskEvent.HAND_OVER, TaskEvent.CLOSE, TaskEvent.ACCEPT):
            with pytest.raises(TaskRefused):
                task_transition(ended, event)


def test_group_rule_ten_claimants_or_a_gathering_is_at_least_major() -> None:
    n, m, c = RiskLevel.NORMAL, RiskLevel.MAJOR, RiskLevel.CRITICAL
    assert GROUP_CLAIMANTS == 10
    assert group_risk(9, ("工人在工地门口反映欠薪",), n) is n
    assert group_risk(10, ("工人在工地门口反映欠薪",), n) is m
    assert group_risk(3, ("工人在工地大门聚集",), n) is m
    assert group_risk(3, ("工人堵门讨要工资",), n) is m
    assert group_risk(50, ("",), c) is c, "never lowers"


def test_roster_lines_as_a_phone_keyboard_types_them() -> None:
    members, errors = parse_roster(
        "张秀英 138 0000 1111 8600\n李强，13800002222，8,600.50元\n\n王伟 9000\n赵六 八千\n孤零零"
    )
    assert [(m.name, m.phone, m.amount_cents) for m in members] == [
        ("李强", "13800002222", 860050),
        ("王伟", None, 900000),
    ]
    assert [n for n, _ in errors] == [1, 5, 6], "spaces inside a phone make the line unreadable"
    assert errors[1][1].key == "street.group.error_amount"
    assert amount_cents("８６００") == 860000
    with pytest.raises(InvalidInput):
        amount_cents("-5")


def test_only_a_checked_special_authority_lets_the_representative_settle() -> None:
    assert member_agent("张秀英", "special", True).may_sign
    assert not member_agent("张秀英", "special", False).may_sign
    assert not member_agent("张秀英", "general", True).may_sign
    assert not member_agent("张秀英", None, False).may_sign
    assert not member_agent("张秀英", "bogus", True).may_sign


def test_resolution_rate_counts_concluded_cases_only() -> None:
    assert concluded_as("submitted", None) is None
    assert concluded_as("mediating", None) is None
    assert concluded_as("agreed", None) is Outcome.SETTLED
    assert concluded_as("closed", None) is Outcome.SETTLED
    assert concluded_as("failed", None) is Outcome.UNSETTLED
    assert concluded_as("withdrawn", None) is Outcome.UNSETTLED
    assert concluded_as("submitted", "settled") is Outcome.SETTLED, "the street outcome decides"
    assert concluded_as("agreed", "unsettled") is Outcome.UNSETTLED
    assert resolution_rate(0, 0) is None
    assert resolution_rate(3, 4) == 0.75


def test_the_example_rules_suggest_the_labour_department_at_major() -> None:
    street = street_directory(UNITS_FILE, UNITS)
    found = street.dispatch(
        UNITS,
        case_unit="yuelai",
        place="渝北区悦来街道",
        dispute_type=DisputeType.LABOUR_WAGES,
        risk=RiskLevel.MAJOR,
    )
    assert found is not None and found.lead.code == "yb-renshe"
    assert [d.code for d in found.assist] == ["yl-paichusuo", "yl-sifasuo"]
