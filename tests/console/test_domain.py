"""The pure console domain: risk rules and levels, alert routing, the permission matrix."""

from __future__ import annotations

import pytest

from mediation import phrases, risk
from mediation.risk import DEFAULT_RULES, RiskLevel, RiskRule, assess, count_people
from mediation.staff_permissions import (
    PERMISSIONS,
    Action,
    Role,
    can,
    can_see_unit,
    related_units,
    subtree,
)
from services.units import load_units
from tests.console.conftest import UNITS_FILE

UNITS = load_units(UNITS_FILE)


@pytest.mark.parametrize(
    ("text", "people"),
    [
        ("我们二十多名工人被拖欠工资", 20),
        ("十几个人在门口", 10),
        ("几十号工人堵门", 20),
        ("上百名农民工", 100),
        ("共 35 名工人", 35),
        ("３０名员工", 30),  # full-width digits
        ("欠了三个月工资", 0),
        ("2026年3月", 0),
    ],
)
def test_count_people(text: str, people: int) -> None:
    assert count_people(text) == people


@pytest.mark.parametrize(
    ("dispute_type", "text", "level", "rule"),
    [
        ("labour_wages", "老板拖欠二十多名工人工资，明天去工地聚集讨薪", "major", "wage_gathering"),
        ("labour_wages", "六十多名工人准备堵门讨薪", "critical", "wage_mass_gathering"),
        ("labour_wages", "拖欠四十名工人工资", "major", "wage_many_workers"),
        ("labour_wages", "拖欠我一个人的工资，我去讨薪", "normal", None),
        ("neighbour", "他扬言要报复我们家", "major", "violence_threat"),
        ("private_lending", "再不还钱我就拿刀去找他", "critical", "violence_lethal"),
        ("marriage_family", "我真的不想活了", "critical", "self_harm"),
        ("neighbour", "两家积怨多年，上周已经打伤了人", "major", "criminal_escalation"),
        ("marriage_family", "他经常家暴", "major", "domestic_violence"),
        # Domestic violence is told in any dispute (a lending dispute between spouses…).
        ("private_lending", "老公喝醉了把我打了一顿", "major", "domestic_violence"),
        # Issue 20: the wordings that passed the old single-string lists.
        ("neighbour", "再来我就拿刀砍他", "critical", "violence_lethal"),
        ("private_lending", "说不给钱就去我家门口堵我", "major", "violence_threat"),
        ("neighbour", "我去堵你家，让你没法过日子", "major", "violence_threat"),
        ("neighbour", "逼急了我就从楼上跳下去", "critical", "self_harm"),
        ("land_housing", "不解决我们就集体去上访", "major", "petition_gathering"),
        ("neighbour", "他说要去学校找我儿子", "major", "minor_at_risk"),
        # The same words in ordinary complaints raise nothing.
        ("consumer", "对方砍价砍得太狠了", "normal", None),
        ("neighbour", "他把院子边上的树砍了，说挡了他家的光", "normal", None),
        ("property_lease", "早上小区门口堵车很严重", "normal", None),
        ("marriage_family", "学校老师打电话说孩子在学校发烧了", "normal", None),
        ("neighbour", "我真是被气死了", "normal", None),
        ("traffic_accident", "事故造成一人死亡", "critical", "fatal_accident"),
        ("neighbour", "I will KILL YOU", "critical", "violence_lethal"),  # case-insensitive
        ("consumer", "商家拒绝退货", "normal", None),
    ],
)
def test_default_rules(dispute_type: str, text: str, level: str, rule: str | None) -> None:
    result = assess(dispute_type, [text], DEFAULT_RULES)
    assert result.level == RiskLevel(level)
    codes = {m.code for m in result.matches}
    if rule is None:
        assert not codes
    else:
        assert rule in codes


def test_rule_conditions_all_hold_and_disabled_rules_do_nothing() -> None:
    rule = RiskRule("x_y", RiskLevel.MAJOR, keywords=("欠薪",), also=("聚集",))
    assert assess("other", ["欠薪"], [rule]).level == RiskLevel.NORMAL
    assert assess("other", ["欠薪后聚集"], [rule]).matches[0].evidence == ("欠薪", "聚集")
    off = RiskRule("x_y", RiskLevel.MAJOR, keywords=("欠薪",), enabled=False)
    assert assess("other", ["欠薪"], [off]).level == RiskLevel.NORMAL
    only_type = RiskRule("t", RiskLevel.MAJOR, dispute_types=("land_housing",))
    assert assess("land_housing", ["任何内容"], [only_type]).level == RiskLevel.MAJOR


def test_rule_validation() -> None:
    assert RiskRule("ok_code", RiskLevel.MAJOR, keywords=("a",)).problems() == []
    assert "no_condition" in RiskRule("ok_code", RiskLevel.MAJOR).problems()
    assert (
        "also_without_keywords"
        in RiskRule("ok_code", RiskLevel.MAJOR, also=("a",), min_people=3).problems()
    )
    assert "dispute_type" in RiskRule("ok_code", RiskLevel.MAJOR, dispute_types=("x",)).problems()
    assert "code" in RiskRule("Bad Code!", RiskLevel.MAJOR, keywords=("a",)).problems()
    for rule in DEFAULT_RULES:
        assert rule.problems() == [], rule.code


@pytest.mark.parametrize(
    ("phrase", "text", "found"),
    [
        ("门口*堵*(你|我)", "去我家门口堵我", "门口堵我"),
        ("门口*堵*(你|我)", "在门口等了大半天结果也没堵到我", None),  # more than the gap allows
        ("拿*刀", "他拿着一把菜刀", "拿着一把菜刀"),
        ("拿*刀", "他拿走了钥匙。刀还在桌上", None),  # gaps stay within a sentence
        ("(老公|丈夫)*打我", "丈夫昨晚又打我", "丈夫昨晚又打我"),
        ("拿刀", "拿刀", "拿刀"),
    ],
)
def test_phrase_patterns(phrase: str, text: str, found: str | None) -> None:
    assert phrases.find(phrase, text) == found


@pytest.mark.parametrize("phrase", ["(a|b", "a|b", "(a|)", "*a", "a**b", "a*", "()", " "])
def test_malformed_phrases_are_refused(phrase: str) -> None:
    assert not phrases.valid(phrase)
    assert "phrase" in RiskRule("ok_code", RiskLevel.MAJOR, keywords=(phrase,)).problems()


def test_a_rule_names_a_known_notice() -> None:
    assert "notice" in RiskRule("ok_code", RiskLevel.MAJOR, ("a",), notice="x").problems()
    assert {r.notice for r in DEFAULT_RULES} - {""} == set(risk.NOTICES)


def test_keywords_are_split_as_people_type_them() -> None:
    assert risk.parse_keywords("聚集、堵门，拉横幅; 上访  讨薪,聚集") == (
        "聚集",
        "堵门",
        "拉横幅",
        "上访",
        "讨薪",
    )


def test_alert_units_go_up_to_the_level_that_handles_the_risk() -> None:
    assert risk.alert_units(UNITS, "yjp_c1", RiskLevel.NORMAL) == ("yjp_c1",)
    assert risk.alert_units(UNITS, "yjp_c1", RiskLevel.MAJOR) == ("yjp_c1", "yjp")
    assert risk.alert_units(UNITS, "yjp_c1", RiskLevel.CRITICAL) == ("yjp_c1", "yjp", "jlp")
    assert risk.alert_units(UNITS, "yjp_ps", RiskLevel.MAJOR) == ("yjp_ps", "yjp")
    assert risk.alert_units(UNITS, "jlp", RiskLevel.MAJOR) == ("jlp",)  # already above
    assert risk.escalation_target(UNITS, "yjp_c1") == "yjp"
    assert risk.escalation_target(UNITS, "cq") is None


def test_unit_subtree_visibility() -> None:
    assert subtree(UNITS, "yjp") == {"yjp", "yjp_c1", "yjp_c2", "yjp_ps"}
    assert subtree(UNITS, "cq") == set(UNITS.by_code)
    assert subtree(UNITS, "nope") == frozenset()
    assert can_see_unit(UNITS, "jlp", "yjp_c2")
    assert not can_see_unit(UNITS, "yjp_c1", "yjp_c2")
    assert not can_see_unit(UNITS, "yjp_c1", "yjp")  # a committee does not see its street
    assert related_units(UNITS, "yjp_c1") == {"yjp_c1", "yjp", "jlp", "cq"}


EXPECTED = {
    # role: actions it may perform — written out by hand so a change to the matrix shows here.
    Role.ADMIN: set(Action),
    # A mediator records a signature on paper, but a 治安调解 is the police's (治安管理处罚法 第九条).
    Role.MEDIATOR: set(Action)
    - {Action.MANAGE_RULES, Action.MANAGE_USERS, Action.VIEW_AUDIT, Action.POLICE_MEDIATE},
    Role.POLICE: set(Action)
    - {
        Action.SIGN_ON_PAPER,
        Action.MANAGE_RULES,
        Action.MANAGE_USERS,
        Action.VIEW_AUDIT,
        Action.ASSIGN,
        Action.CHANGE_STATUS,
    },
    # Lawyers: assigned cases only (features.console.case_view.load_case); issue 21. The
    # station's lawyer works the tasks of their 司法所 (issue 24).
    Role.LAWYER: {
        Action.VIEW_LEDGER,
        Action.VIEW_CASE,
        Action.VIEW_NAMES,
        Action.ADD_NOTE,
        Action.DOWNLOAD_DOCUMENTS,
        Action.HANDLE_TASKS,
    },
    Role.VIEWER: {Action.VIEW_DASHBOARD, Action.VIEW_LEDGER, Action.VIEW_CASE},
    # 网格员 register what they meet and work their posts' tasks; names stay masked for them.
    Role.GRID: {
        Action.VIEW_LEDGER,
        Action.VIEW_CASE,
        Action.ADD_NOTE,
        Action.REGISTER_CASE,
        Action.HANDLE_TASKS,
    },
}


def test_permission_matrix_is_as_documented() -> None:
    for role in Role:
        assert set(PERMISSIONS[role]) == EXPECTED[role], role
        for action in Action:
            assert can(role, action) == (action in EXPECTED[role])
            assert can(role.value, action) == (action in EXPECTED[role])
    assert not can("superuser", Action.VIEW_CASE)
    # Only roles that may see contact data in full may ask for it; viewers never see names.
    assert not can(Role.LAWYER, Action.REVEAL_PII)
    assert not can(Role.VIEWER, Action.VIEW_NAMES)
