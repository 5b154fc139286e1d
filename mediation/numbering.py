"""Case numbers in the customary form （2026）九调字第0001号."""

from __future__ import annotations

import re

_NUMBER_RE = re.compile(r"^（(\d{4})）(.+?)字第(\d+)号$")


def format_case_number(year: int, prefix: str, sequence: int) -> str:
    """Readable, unique per unit and year; the prefix comes from the unit's configuration."""
    if sequence < 1:
        raise ValueError("sequence starts at 1")
    return f"（{year}）{prefix}字第{sequence:04d}号"


def parse_case_number(number: str) -> tuple[int, str, int] | None:
    """Inverse of :func:`format_case_number`; ``None`` for anything else."""
    m = _NUMBER_RE.match(number.strip())
    if m is None:
        return None
    return int(m.group(1)), m.group(2), int(m.group(3))
