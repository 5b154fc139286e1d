"""The street rules without I/O: which rule dispatches a case, what a task may go through, what
a reporter's answers mean, and a units file with a mistake in it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.config import ConfigError
from features.street.config import load_street, street_directory
from mediation.disputes import DisputeType
from mediation.risk import RiskLevel
from mediation.street import (
    TaskEvent,
    TaskRefused,
    TaskStatus,
    is_overdue,
    is_unknown,
    party_name,
    police_ref,
    task_transition,
)
from mediation.validation import InvalidInput
from services.units import load_units

UNITS_FILE = Path(__file__).parent / "units.toml"
UNITS = load_units(UNITS_FILE)
STREET = street_directory(UNITS_FILE, UNITS)


def dispatch(unit: str, place: str, kind: DisputeType, risk: RiskLevel = RiskLevel.NORMAL) -> str:
    found = STREET.dispatch(UNITS, case_unit=unit, place=place, dispute_type=kind, risk=risk)
    return "" if found is None else found.rule


def test_the_most_specific_rule_dispatches() -> None:
    wages = DisputeType.LABOUR_WAGES
    # The street's rule for wage disputes in 悦来, for the street's cases and its community's.
    assert dispatch("yuelai", "渝北区悦来街道某工地", wages) == "yl-wages"
    assert dispatch("yuelai-sq", "悦来社区", wages) == "yl-wages"
    found = STREET.dispatch(
        UNITS, case_unit="yuelai", place="悦来", dispute_type=wages, risk=RiskLevel.NORMAL
    )
    assert found is not None
    assert (found.lead.name, [d.name for d in found.assist]) == ("市政建管岗", ["政务劳保岗"])
    assert found.deadline == timedelta(hours=4)
    # At 较大 the district's rule applies: 人社局 leads (the risk outranks the place).
    assert dispatch("yuelai", "悦来", wages, RiskLevel.MAJOR) == "yb-wages-major"
    assert dispatch("yuelai", "悦来", wages, RiskLevel.CRITICAL) == "yb-wages-major"
    # No rule: another type, another place, or a unit the rules do not cover.
    assert dispatch("yuelai", "悦来", DisputeType.NEIGHBOUR) == ""
    assert dispatch("yuelai", "礼嘉街道", wages) == ""
    assert dispatch("yubei", "悦来", wages) == ""  # the street's rule is not the district's


def test_a_task_goes_only_where_it_may() -> None:
    s = TaskStatus
    assert task_transition(s.ASSIGNED, TaskEvent.ACCEPT) is s.ACCEPTED
    assert task_transition(s.ASSIGNED, TaskEvent.RETURN) is s.RETURNED
    assert task_transition(s.ACCEPTED, TaskEvent.RETURN) is s.RETURNED
    assert task_transition(s.ACCEPTED, TaskEvent.FINISH) is s.DONE
    for status, event in (
        (s.ASSIGNED, TaskEvent.FINISH),  # finishing what nobody accepted
        (s.ACCEPTED, TaskEvent.ACCEPT),
        (s.RETURNED, TaskEvent.ACCEPT),
        (s.DONE, TaskEvent.RETURN),
    ):
        with pytest.raises(TaskRefused) as refused:
            task_transition(status, event)
        assert refused.value.key == f"street.task_not_{status.value}"
    due = datetime(2026, 12, 6, 12, tzinfo=UTC)
    assert is_overdue(s.ACCEPTED, due, due) and is_overdue(s.ASSIGNED, due, due)
    assert not is_overdue(s.ACCEPTED, due, due - timedelta(seconds=1))
    assert not is_overdue(s.DONE, due, due + timedelta(days=1))
    assert not is_overdue(s.RETURNED, due, due + timedelta(days=1))


def test_what_a_reporter_types() -> None:
    assert party_name("张 秀 英") == "张秀英"
    assert party_name(" 不知道。") is None and party_name("不清楚") is None
    assert party_name("Unknown") is None
    assert party_name("欧阳 娜娜") == "欧阳娜娜"
    with pytest.raises(InvalidInput):
        party_name("张3")
    assert is_unknown("不晓得") and not is_unknown("张三")
    assert police_ref("j500112 20261206001") == "J50011220261206001"
    assert police_ref("Ｊ５００１１２２０２６") == "J5001122026"  # full-width, as typed on a phone
    for bad in ("12", "不知道", "J5001-", "J50011220261206001!"):
        with pytest.raises(InvalidInput) as refused:
            police_ref(bad)
        assert refused.value.key == "street.error_police_ref"


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ('[[post]]\ncode = "x"\nname = "X岗"\nunit = "nowhere"\n', "unknown unit nowhere"),
        ('[[dispatch]]\ncode = "r"\nunit = "u"\nlead = "ghost"\n', "unknown post/department ghost"),
        ('[[post]]\ncode = "x"\nunit = "u"\n', "missing field name"),
        ('[[post]]\ncode = "x"\nname = "X"\nunit = "u"\nkind = "office"\n', "'office'"),
        (
            '[[post]]\ncode = "x"\nname = "X"\nunit = "u"\n'
            '[[dispatch]]\ncode = "r"\nunit = "u"\nlead = "x"\nrisk = "huge"\n',
            "'huge'",
        ),
    ],
)
def test_a_mistake_in_the_units_file_names_it(tmp_path: Path, extra: str, problem: str) -> None:
    path = tmp_path / "units.toml"
    path.write_text(
        '[[unit]]\ncode = "u"\nname = "U"\ncase_prefix = "U调"\ndefault = true\n' + extra,
        encoding="utf-8",
    )
    load_street.cache_clear()
    with pytest.raises(ConfigError) as refused:
        street_directory(path, load_units(path))
    assert "UNITS_FILE" in str(refused.value) and problem in str(refused.value)
