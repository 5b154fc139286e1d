"""Posts, departments and dispatch rules from the units file (``UNITS_FILE``).

Why the units file: a post or department belongs to a unit, and a rule names units; keeping them
beside the units lets one review see the whole organisation. ``[[unit]]`` entries are read by
``services.units``; this module reads the two other arrays::

    [[post]]                      # a post (岗位) or, with kind = "department", a department
    code = "yl-jianguan"
    name = "市政建管岗"
    unit = "yuelai"               # the unit it belongs to
    kind = "post"                 # post | department
    members = ["zhao", "qian"]    # staff usernames who work its tasks

    [[dispatch]]
    code = "yl-wages"
    unit = "yuelai"               # cases of this unit and below it
    dispute_types = ["labour_wages"]
    areas = ["悦来"]
    risk = "normal"               # the lowest risk level it applies to
    lead = "yl-jianguan"
    assist = ["yl-laobao"]
    hours = 4                     # the tasks' deadline after dispatch

A problem names ``UNITS_FILE`` and the entry, and stops the service at start.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from core.config import ConfigError
from mediation.disputes import DisputeType
from mediation.risk import RiskLevel
from mediation.street import Desk, DeskKind, DispatchRule, StreetDirectory
from mediation.units import UnitDirectory

T = TypeVar("T")


def _desk(e: dict[str, Any]) -> Desk:
    return Desk(
        code=str(e["code"]),
        name=str(e["name"]),
        name_en=e.get("name_en"),
        kind=DeskKind(e.get("kind", "post")),
        unit_code=str(e["unit"]),
        members=tuple(str(m) for m in e.get("members", [])),
    )


def _rule(e: dict[str, Any]) -> DispatchRule:
    return DispatchRule(
        code=str(e["code"]),
        unit_code=str(e["unit"]),
        lead=str(e["lead"]),
        assist=tuple(str(a) for a in e.get("assist", [])),
        dispute_types=tuple(DisputeType(t) for t in e.get("dispute_types", [])),
        areas=tuple(str(a) for a in e.get("areas", [])),
        min_risk=RiskLevel(e.get("risk", "normal")),
        hours=int(e.get("hours", 24)),
    )


@cache
def load_street(path: Path) -> StreetDirectory:
    """The file's desks and rules (read once per path; a changed file needs a restart, as the
    units do)."""
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError("UNITS_FILE", f"{path}: {exc}") from exc
    desks = [_entry(path, "post", i, e, _desk) for i, e in enumerate(data.get("post", []), 1)]
    rules = [
        _entry(path, "dispatch", i, e, _rule) for i, e in enumerate(data.get("dispatch", []), 1)
    ]
    try:
        return StreetDirectory(tuple(desks), tuple(rules))
    except ValueError as exc:
        raise ConfigError("UNITS_FILE", f"{path}: {exc}") from exc


def _entry(
    path: Path, kind: str, i: int, e: dict[str, Any], build: Callable[[dict[str, Any]], T]
) -> T:
    where = f"{path}: {kind} #{i} ({e.get('code', '?')})"
    try:
        return build(e)
    except KeyError as exc:
        raise ConfigError("UNITS_FILE", f"{where}: missing field {exc.args[0]}") from exc
    except (ValueError, TypeError) as exc:
        raise ConfigError("UNITS_FILE", f"{where}: {exc}") from exc


def street_directory(path: Path, units: UnitDirectory) -> StreetDirectory:
    """The desks and rules, checked against the configured units."""
    directory = load_street(path)
    try:
        directory.check_units(units)
    except ValueError as exc:
        raise ConfigError("UNITS_FILE", f"{path}: {exc}") from exc
    return directory
