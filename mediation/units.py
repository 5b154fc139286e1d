"""Mediation units (调解组织) and how a new case is routed to one of them.

Who may issue a 人民调解协议书: only a 人民调解委员会 (人民调解法 第二条、第七条; the committee's seal
makes it effective, 第二十九条). Another unit (a 派出所 hosting a 驻所调解室, a street office) issues
through the committee its ``committee`` names in units.toml, or not at all. ``kind`` says which
units are committees; left out, a unit is one when its level is ``committee`` or its name ends
with 人民调解委员会.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from mediation.disputes import DisputeType


class UnitLevel(StrEnum):
    COMMITTEE = "committee"  # 人民调解委员会
    STATION = "station"  # 派出所 / 警调对接工作室
    STREET = "street"  # 街道 / 乡镇
    DISTRICT = "district"  # 区县
    CITY = "city"  # 市


@dataclass(frozen=True)
class UnitInfo:
    code: str
    name: str
    level: UnitLevel
    case_prefix: str
    court: str
    address: str = ""
    name_en: str | None = None
    parent_code: str | None = None
    areas: tuple[str, ...] = ()
    dispute_types: tuple[DisputeType, ...] = ()
    is_default: bool = False
    #: For a unit that is not a committee: the code of the 人民调解委员会 that issues its
    #: agreements (e.g. the committee of the 驻所调解室 at a 派出所).
    committee_code: str | None = None
    #: Whether the unit is a 人民调解委员会 (units.toml ``kind``; ``level`` is only its place in
    #: the hierarchy: a street or district has its committee too).
    is_committee: bool = True
    #: A police unit (units.toml ``kind = "police"``; left out: a ``station``): it may host a
    #: 治安调解 and issue its 治安调解协议书 (治安管理处罚法 第九条, mediation.police).
    is_police: bool = False
    #: The unit's own escalation rules for risk (units.toml ``[unit.risk_alerts]``): at a risk
    #: level ("major" 较大, "critical" 重大), which other units' staff are alerted besides the
    #: chain above the case (a community committee that wants its 派出所 told of every 较大
    #: risk). A level's list also applies to the levels above it.
    risk_alerts: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class UnitDirectory:
    """All configured units; validates the hierarchy once, then answers routing questions."""

    units: tuple[UnitInfo, ...]
    by_code: dict[str, UnitInfo] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        by_code = {u.code: u for u in self.units}
        if len(by_code) != len(self.units):
            raise ValueError("duplicate unit code")
        for u in self.units:
            if u.parent_code is not None and u.parent_code not in by_code:
                raise ValueError(f"unit {u.code}: unknown parent {u.parent_code}")
            if not u.case_prefix:
                raise ValueError(f"unit {u.code}: case_prefix is required")
            if u.committee_code is not None:
                issuer = by_code.get(u.committee_code)
                if issuer is None or not issuer.is_committee:
                    raise ValueError(
                        f"unit {u.code}: committee {u.committee_code} is not a configured "
                        "unit of kind committee"
                    )
            for level, codes in u.risk_alerts:
                unknown = [c for c in codes if c not in by_code]
                if unknown:
                    raise ValueError(
                        f"unit {u.code}: risk_alerts.{level} names unknown units {unknown}"
                    )
        defaults = [u for u in self.units if u.is_default]
        if len(defaults) != 1:
            raise ValueError("exactly one unit must have default = true")
        object.__setattr__(self, "by_code", by_code)
        for u in self.units:  # no cycles
            seen: set[str] = set()
            node: UnitInfo | None = u
            while node is not None:
                if node.code in seen:
                    raise ValueError(f"unit {u.code}: parent cycle")
                seen.add(node.code)
                node = by_code.get(node.parent_code) if node.parent_code else None

    @property
    def default(self) -> UnitInfo:
        return next(u for u in self.units if u.is_default)

    def issuer(self, code: str) -> UnitInfo | None:
        """The 人民调解委员会 that issues the unit's 人民调解协议书: the unit itself, the committee
        it names, or None (it may not issue one)."""
        unit = self.by_code.get(code, self.default)
        if unit.is_committee:
            return unit
        return self.by_code.get(unit.committee_code) if unit.committee_code else None

    def ancestors(self, code: str) -> list[UnitInfo]:
        """The unit's parents, nearest first (escalation goes up this chain)."""
        out: list[UnitInfo] = []
        node = self.by_code[code]
        while node.parent_code is not None:
            node = self.by_code[node.parent_code]
            out.append(node)
        return out

    def route(self, place: str, dispute_type: DisputeType) -> UnitInfo:
        """The unit for a new case, among units whose area appears in the stated place.

        A unit that lists the dispute type wins (units that list types accept only those);
        then the longest matching place name. With no match the default unit takes the case.
        """
        candidates: list[tuple[int, int, UnitInfo]] = []
        for u in self.units:
            if u.dispute_types and dispute_type not in u.dispute_types:
                continue
            match = max((len(a) for a in u.areas if a and a in place), default=0)
            if match:
                candidates.append((match, 1 if u.dispute_types else 0, u))
        if not candidates:
            return self.default
        # A unit specialised in the dispute type (行业性、专业性调解) wins over a general one;
        # among equals, the most specific place name wins.
        candidates.sort(key=lambda c: (c[1], c[0]), reverse=True)
        return candidates[0][2]
