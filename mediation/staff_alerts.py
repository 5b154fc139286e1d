"""When staff are alerted in the chat, and what one alert holds: quiet hours and batching.

A mediator hears of what needs them — a new case while it is night, a party's messages left
unanswered, a mediation period running out — in one message per batch rather than one per
event, and never during their quiet hours (default 22:00–08:00 local time): an alert falling in
them waits for their end. Pure rules; ``services.staff_alerts`` keeps the batch in a durable
timer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class QuietHours:
    """A daily window in local time; ``start > end`` spans midnight (22:00–08:00)."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietHours | None:
        """``"22:00-08:00"``; empty or ``"off"``: none. ValueError for anything else."""
        if text.strip().lower() in ("", "off", "none"):
            return None
        found = _WINDOW.match(text)
        if found is None:
            raise ValueError(f"not a window like 22:00-08:00: {text!r}")
        h1, m1, h2, m2 = (int(g) for g in found.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
            raise ValueError(f"not a time of day: {text!r}")
        if (h1, m1) == (h2, m2):
            raise ValueError(f"an empty window: {text!r}")
        return cls(time(h1, m1), time(h2, m2))

    def contains(self, local: datetime) -> bool:
        t = local.time().replace(tzinfo=None)
        if self.start < self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end

    def next_allowed(self, local: datetime) -> datetime:
        """``local`` itself outside the window, else the window's end (same zone)."""
        if not self.contains(local):
            return local
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        return end if end > local else end + timedelta(days=1)


def allowed_at(quiet: QuietHours | None, local: datetime) -> datetime:
    """When an alert meant for ``local`` may be sent."""
    return local if quiet is None else quiet.next_allowed(local)


@dataclass(frozen=True)
class Item:
    """One thing an alert tells: ``kind`` is ``new`` (a case to take), ``away`` (a party's
    messages wait for an answer) or ``deadline`` (``days`` left of the mediation period); a
    feature's own notice held for the morning has a kind named ``<feature>.<what>`` and the
    row it is about in ``ref`` (a street task: ``street.task``)."""

    kind: str
    case: int
    days: int = 0
    ref: int = 0

    def to_json(self) -> dict[str, object]:
        found: dict[str, object] = {"kind": self.kind, "case": self.case, "days": self.days}
        return found | {"ref": self.ref} if self.ref else found

    @classmethod
    def from_json(cls, raw: object) -> Item | None:
        if not isinstance(raw, dict) or not is_kind(raw.get("kind")):
            return None
        try:
            return cls(
                str(raw["kind"]),
                int(raw["case"]),
                int(raw.get("days", 0)),
                int(raw.get("ref", 0)),
            )
        except (KeyError, TypeError, ValueError):
            return None


KINDS = ("new", "deadline", "away")


def is_kind(kind: object) -> bool:
    """One of :data:`KINDS`, or a feature's namespaced kind (``street.task``)."""
    if not isinstance(kind, str):
        return False
    feature, dot, what = kind.partition(".")
    return kind in KINDS or bool(dot and feature.isidentifier() and what.isidentifier())


def merge(held: list[Item], new: Item) -> list[Item]:
    """The batch with ``new`` in it once (a second message in the same case adds nothing; the
    nearer deadline of one case replaces the farther)."""
    same = (new.case, new.kind, new.ref)
    return [*(i for i in held if (i.case, i.kind, i.ref) != same), new]


def by_case(items: list[Item]) -> dict[int, list[Item]]:
    """The batch grouped by case, in the batch's order (a case's newest item moves it back);
    within a case, new before deadline before away, a feature's notices last."""
    grouped: dict[int, list[Item]] = {}
    for item in items:
        grouped.setdefault(item.case, []).append(item)
    rank = {kind: n for n, kind in enumerate(KINDS)}
    return {c: sorted(v, key=lambda i: rank.get(i.kind, len(KINDS))) for c, v in grouped.items()}
