"""Mediation units from the configuration file, mirrored into the ``units`` table."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.config import ConfigError
from mediation.disputes import DisputeType
from mediation.units import UnitDirectory, UnitInfo, UnitLevel
from storage.models import Unit


def load_units(path: Path) -> UnitDirectory:
    """Parse and validate the units file; any problem names UNITS_FILE and the unit."""
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError("UNITS_FILE", f"{path}: {exc}") from exc
    entries: list[dict[str, Any]] = data.get("unit", [])
    units = []
    for i, e in enumerate(entries, 1):
        where = f"{path}: unit #{i} ({e.get('code', '?')})"
        try:
            units.append(
                UnitInfo(
                    code=str(e["code"]),
                    name=str(e["name"]),
                    name_en=e.get("name_en"),
                    level=UnitLevel(e.get("level", "committee")),
                    parent_code=e.get("parent"),
                    address=str(e.get("address", "")),
                    case_prefix=str(e["case_prefix"]),
                    court=str(e.get("court", "")),
                    areas=tuple(str(a) for a in e.get("areas", [])),
                    dispute_types=tuple(DisputeType(t) for t in e.get("dispute_types", [])),
                    is_default=bool(e.get("default", False)),
                    committee_code=e.get("committee"),
                    is_committee=_is_committee(e),
                    is_police=e.get("kind", "police" if e.get("level") == "station" else "")
                    == "police",
                    risk_alerts=_risk_alerts(e.get("risk_alerts", {})),
                )
            )
        except KeyError as exc:
            raise ConfigError("UNITS_FILE", f"{where}: missing field {exc.args[0]}") from exc
        except ValueError as exc:
            raise ConfigError("UNITS_FILE", f"{where}: {exc}") from exc
    try:
        return UnitDirectory(tuple(units))
    except ValueError as exc:
        raise ConfigError("UNITS_FILE", f"{path}: {exc}") from exc


KINDS = ("committee", "police", "office")
#: The risk levels a unit's ``[unit.risk_alerts]`` may name (mediation.risk.RiskLevel above 一般).
RISK_ALERT_LEVELS = ("major", "critical")


def _risk_alerts(table: object) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``[unit.risk_alerts]``: ``major = ["yjp_ps"]``, ``critical = ["yjp_ps", "jlp"]``."""
    if not isinstance(table, dict):
        raise ValueError('risk_alerts must be a table such as { major = ["yjp_ps"] }')
    out = []
    for level, codes in table.items():
        if level not in RISK_ALERT_LEVELS:
            raise ValueError(f"risk_alerts.{level}: the levels are {', '.join(RISK_ALERT_LEVELS)}")
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise ValueError(f"risk_alerts.{level} must be a list of unit codes")
        out.append((str(level), tuple(codes)))
    return tuple(out)


def _is_committee(entry: dict[str, Any]) -> bool:
    """``kind`` when given; else a unit of level committee, or named 人民调解委员会, is one."""
    kind = entry.get("kind")
    if kind is not None:
        if kind not in KINDS:
            raise ValueError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
        return bool(kind == "committee")
    return entry.get("level", "committee") == "committee" or str(entry["name"]).endswith(
        "人民调解委员会"
    )


async def sync_units(session: AsyncSession, directory: UnitDirectory) -> None:
    """Upsert every configured unit (units removed from the file stay: cases refer to them)."""
    # Parents first, so foreign keys hold at every step.
    ordered = sorted(directory.units, key=lambda u: len(directory.ancestors(u.code)))
    for u in ordered:
        row = await session.get(Unit, u.code)
        if row is None:
            row = Unit(code=u.code)
            session.add(row)
        row.name, row.name_en, row.level = u.name, u.name_en, u.level.value
        row.parent_code, row.address, row.case_prefix = u.parent_code, u.address, u.case_prefix
        row.court, row.areas, row.is_default = u.court, list(u.areas), u.is_default
        await session.flush()
