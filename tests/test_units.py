from collections.abc import Callable
from pathlib import Path

import pytest

from core.config import ConfigError
from mediation import risk
from mediation.disputes import DisputeType
from mediation.risk import RiskLevel
from mediation.units import UnitDirectory
from services.units import load_units

UNITS = """
[[unit]]
code = "city"
name = "重庆市人民调解委员会"
level = "city"
case_prefix = "渝调"
court = "重庆市第一中级人民法院"

[[unit]]
code = "jlp"
name = "九龙坡区人民调解委员会"
level = "district"
parent = "city"
case_prefix = "九调"
court = "重庆市九龙坡区人民法院"
areas = ["九龙坡区"]
default = true

[[unit]]
code = "yjp"
name = "杨家坪街道人民调解委员会"
level = "street"
parent = "jlp"
case_prefix = "杨调"
court = "重庆市九龙坡区人民法院"
areas = ["杨家坪街道", "杨家坪"]

[[unit]]
code = "yjp-labour"
name = "杨家坪劳动争议调解室"
level = "committee"
parent = "yjp"
case_prefix = "杨劳调"
court = "重庆市九龙坡区人民法院"
areas = ["杨家坪"]
dispute_types = ["labour_wages"]

[[unit]]
code = "yjp-home"
name = "杨家坪家装和物业纠纷调解室"
level = "committee"
parent = "yjp"
case_prefix = "杨家调"
court = "重庆市九龙坡区人民法院"
areas = ["杨家坪"]
dispute_types = ["renovation", "property_management"]
"""


def directory(tmp_path: Path, text: str = UNITS) -> UnitDirectory:
    path = tmp_path / "units.toml"
    path.write_text(text, encoding="utf-8")
    return load_units(path)


def test_routing_by_area_and_type(tmp_path: Path) -> None:
    units = directory(tmp_path)
    assert units.route("九龙坡区杨家坪街道", DisputeType.NEIGHBOUR).code == "yjp"
    assert units.route("九龙坡区杨家坪街道", DisputeType.LABOUR_WAGES).code == "yjp-labour"
    # The types added in issue 19 route like any other.
    assert units.route("九龙坡区杨家坪街道", DisputeType.RENOVATION).code == "yjp-home"
    assert units.route("杨家坪", DisputeType.PROPERTY_MANAGEMENT).code == "yjp-home"
    assert units.route("九龙坡区杨家坪街道", DisputeType.CONTRACT).code == "yjp"
    assert units.route("九龙坡区谢家湾", DisputeType.NEIGHBOUR).code == "jlp"
    assert units.route("渝中区解放碑", DisputeType.NEIGHBOUR).code == "jlp"  # the default
    assert [u.code for u in units.ancestors("yjp-labour")] == ["yjp", "jlp", "city"]


def test_the_shipped_default_file_works() -> None:
    from core.config import DEFAULT_UNITS_FILE

    units = load_units(DEFAULT_UNITS_FILE)
    assert units.default.case_prefix and units.default.court


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace('parent = "city"', 'parent = "nowhere"'), "unknown parent"),
        (lambda t: t.replace("default = true", ""), "default"),
        (lambda t: t.replace('case_prefix = "杨调"\n', ""), "case_prefix"),
        (lambda t: t.replace('level = "street"', 'level = "galaxy"'), "galaxy"),
        (
            lambda t: t.replace('dispute_types = ["labour_wages"]', 'dispute_types = ["duel"]'),
            "duel",
        ),
        (lambda t: t + "\n[[unit]\n", "UNITS_FILE"),
        (
            lambda t: t.replace(
                'code = "city"\nname = "重庆市人民调解委员会"',
                'code = "city"\nname = "x"\nparent = "yjp"',
            ),
            "cycle",
        ),
    ],
)
def test_bad_units_files_name_the_problem(
    tmp_path: Path, change: Callable[[str], str], message: str
) -> None:
    with pytest.raises(ConfigError) as err:
        directory(tmp_path, change(UNITS))
    assert err.value.variable == "UNITS_FILE"
    assert message in str(err.value)


LABOUR_ROOM = 'dispute_types = ["labour_wages"]\n'


def with_risk_alerts(text: str, table: str) -> str:
    """The labour room with its own escalation rules (a sub-table of its ``[[unit]]``)."""
    return text.replace(LABOUR_ROOM, LABOUR_ROOM + "\n[unit.risk_alerts]\n" + table + "\n", 1)


def test_a_units_own_rules_add_who_hears_of_a_risk(tmp_path: Path) -> None:
    """The labour room has the district told of every 较大 risk (wage protests move fast) and
    the city of every 重大 one; its siblings keep the chain's default."""
    units = directory(tmp_path, with_risk_alerts(UNITS, 'major = ["jlp"]\ncritical = ["city"]'))
    assert risk.alert_units(units, "yjp-labour", RiskLevel.NORMAL) == ("yjp-labour",)
    assert risk.alert_units(units, "yjp-labour", RiskLevel.MAJOR) == ("yjp-labour", "yjp", "jlp")
    assert risk.alert_units(units, "yjp-labour", RiskLevel.CRITICAL) == (
        "yjp-labour",
        "yjp",
        "jlp",
        "city",
    )
    assert risk.alert_units(units, "yjp-home", RiskLevel.MAJOR) == ("yjp-home", "yjp")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('major = ["nowhere"]', "risk_alerts.major names unknown units ['nowhere']"),
        ('serious = ["jlp"]', "risk_alerts.serious: the levels are major, critical"),
        ('major = "jlp"', "risk_alerts.major must be a list of unit codes"),
    ],
)
def test_bad_risk_alert_rules_name_the_problem(tmp_path: Path, table: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        directory(tmp_path, with_risk_alerts(UNITS, table))
    assert err.value.variable == "UNITS_FILE" and message in str(err.value)


def test_only_a_committee_issues_agreements(tmp_path: Path) -> None:
    """Issue 18, item 6: a 派出所's 驻所调解室 issues through its committee, or not at all."""
    police = """
[[unit]]
code = "yjp-police"
name = "杨家坪派出所驻所调解室"
level = "station"
kind = "police"
parent = "yjp"
committee = "yjp"
case_prefix = "杨警调"
court = "重庆市九龙坡区人民法院"

[[unit]]
code = "xjw-police"
name = "谢家湾派出所"
level = "station"
parent = "jlp"
case_prefix = "谢警调"
court = "重庆市九龙坡区人民法院"
"""
    units = directory(tmp_path, UNITS + police)

    def issuer_code(code: str) -> str | None:
        found = units.issuer(code)
        return found.code if found is not None else None

    assert issuer_code("yjp-police") == "yjp"
    assert units.issuer("xjw-police") is None  # no committee named: no 协议书
    assert issuer_code("yjp") == "yjp"  # a street's committee
    assert issuer_code("yjp-labour") == "yjp-labour"
    with pytest.raises(ConfigError) as err:
        directory(tmp_path, UNITS + police.replace('committee = "yjp"', 'committee = "xjw-police"'))
    assert "kind committee" in str(err.value)
    with pytest.raises(ConfigError) as err:
        directory(tmp_path, UNITS + police.replace('kind = "police"', 'kind = "bank"'))
    assert "bank" in str(err.value)
