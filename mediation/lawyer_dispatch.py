"""Which volunteer lawyer gets a request, and when: weekly hours, the on-duty rota, load.

Why a pure module: the rules decide who is woken up at night and who carries the load, so they
are kept apart from Telegram and the database and tested as plain functions.

- A lawyer states *availability* (the hours they can be reached at all) and *rota* (the hours
  they are on duty, the first line), both as weekly slots in local time such as
  ``mon-fri 09:00-18:00; sat 09:00-12:00`` (or ``周一至周五 9:00-18:00``).
- A request is first offered to a small wave of on-duty lawyers with the dispute type as a
  specialty, fewest open cases first (then those who speak the party's language); the first to
  accept joins. With no acceptance after N minutes it widens to every available lawyer, and then
  to each further lawyer as their hours begin — nobody is messaged outside the hours they gave.
- Response times are measured from the offer (per lawyer) and from the request (per party).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from mediation.validation import InvalidInput

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ZH_DAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_DAY_ALIASES = {
    "daily": tuple(range(7)),
    "每天": tuple(range(7)),
    "每日": tuple(range(7)),
    "weekdays": tuple(range(5)),
    "工作日": tuple(range(5)),
    "weekend": (5, 6),
    "周末": (5, 6),
}
_TIME = r"(\d{1,2})[:：](\d{2})"
_ENTRY_RE = re.compile(rf"^(?P<days>\S+?)\s*{_TIME}\s*[-–~至到]\s*{_TIME}$")
_ENTRY_SPLIT_RE = re.compile(r"[;；,，\n]+")
_DAY_RANGE_RE = re.compile(r"^(.+?)(?:-|–|~|至|到)(.+)$")
MINUTES_PER_DAY = 24 * 60

#: How many on-duty lawyers get the first offer of a request.
DUTY_WAVE = 3
#: Largest number of open cases a lawyer may set for themselves.
MAX_OPEN_LIMIT = 50


class Stage(StrEnum):
    DUTY = "duty"  # offered to a wave of on-duty specialists
    WIDE = "wide"  # offered to every available lawyer


@dataclass(frozen=True, order=True)
class Slot:
    """A weekly period: ``weekday`` 0 = Monday, minutes from local midnight, end exclusive."""

    weekday: int
    start: int
    end: int

    def to_json(self) -> list[int]:
        return [self.weekday, self.start, self.end]

    @classmethod
    def from_json(cls, value: Sequence[int]) -> Slot:
        return cls(int(value[0]), int(value[1]), int(value[2]))


_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _day(token: str) -> int | None:
    token = token.strip().lower()
    if token in WEEKDAYS:
        return WEEKDAYS.index(token)
    if token in _DAY_NAMES:
        return _DAY_NAMES.index(token)
    for prefix in ("周", "星期", "礼拜"):
        if token.startswith(prefix) and token[len(prefix) :] in _ZH_DAYS:
            return _ZH_DAYS[token[len(prefix) :]]
    return None


def _days(token: str) -> tuple[int, ...] | None:
    if token.lower() in _DAY_ALIASES:
        return _DAY_ALIASES[token.lower()]
    single = _day(token)
    if single is not None:
        return (single,)
    found = _DAY_RANGE_RE.match(token)
    if found is None:
        return None
    first, last = _day(found.group(1)), _day(found.group(2))
    if first is None or last is None:
        return None
    return tuple((first + i) % 7 for i in range((last - first) % 7 + 1))


def _minutes(hours: str, minutes: str) -> int | None:
    h, m = int(hours), int(minutes)
    if m >= 60 or h > 24 or (h == 24 and m):
        return None
    return h * 60 + m


def parse_week(text: str) -> tuple[Slot, ...]:
    """Weekly slots from ``mon-fri 09:00-18:00; sat 09:00-12:00`` (English or Chinese days).

    A slot that ends before it starts runs past midnight (``fri 22:00-02:00``). An empty text
    means no hours at all. Raises :class:`InvalidInput` (``lawyers.bad_week``) naming the entry
    it could not read.
    """
    slots: set[Slot] = set()
    for raw in _ENTRY_SPLIT_RE.split(text.strip()):
        entry = raw.strip()
        if not entry:
            continue
        match = _ENTRY_RE.match(entry)
        days = _days(match.group("days")) if match else None
        if match is None or days is None:
            raise InvalidInput("lawyers.bad_week", {"entry": entry})
        start = _minutes(match.group(2), match.group(3))
        end = _minutes(match.group(4), match.group(5))
        if start is None or end is None or start in (end, MINUTES_PER_DAY):
            raise InvalidInput("lawyers.bad_week", {"entry": entry})
        for day in days:
            if end > start:
                slots.add(Slot(day, start, end))
            else:  # past midnight: the rest of the day, then the next morning
                slots.add(Slot(day, start, MINUTES_PER_DAY))
                if end:
                    slots.add(Slot((day + 1) % 7, 0, end))
    return tuple(sorted(slots))


def format_week(slots: Iterable[Slot]) -> str:
    """The canonical text of slots (``mon 09:00-12:00; sat 09:00-12:00``), parseable again."""

    def hhmm(minutes: int) -> str:
        return f"{minutes // 60:02d}:{minutes % 60:02d}"

    return "; ".join(f"{WEEKDAYS[s.weekday]} {hhmm(s.start)}-{hhmm(s.end)}" for s in sorted(slots))


def _minute_of_day(when: datetime) -> int:
    return when.hour * 60 + when.minute


def covers(slots: Iterable[Slot], when: datetime) -> bool:
    """Whether local time ``when`` falls in one of the slots."""
    day, minute = when.weekday(), _minute_of_day(when)
    return any(s.weekday == day and s.start <= minute < s.end for s in slots)


def next_start(slots: Sequence[Slot], when: datetime) -> datetime | None:
    """The first moment at or after local time ``when`` that the slots cover (None: never)."""
    if not slots:
        return None
    if covers(slots, when):
        return when
    midnight = when.replace(hour=0, minute=0, second=0, microsecond=0)
    best: datetime | None = None
    for offset in range(8):
        day = (when.weekday() + offset) % 7
        for slot in slots:
            if slot.weekday != day:
                continue
            start = midnight + timedelta(days=offset, minutes=slot.start)
            if start > when and (best is None or start < best):
                best = start
        if best is not None:
            return best
    return best


@dataclass(frozen=True)
class Candidate:
    """A lawyer as dispatch sees them (built from the profile and the current load)."""

    id: int
    specialties: frozenset[str]
    languages: frozenset[str]
    availability: tuple[Slot, ...]
    rota: tuple[Slot, ...]
    open_cases: int
    max_open_cases: int
    paused: bool = False
    reachable: bool = True  # has a channel we can message (Telegram, or the browser chat)

    @property
    def can_take(self) -> bool:
        """Not paused, reachable and below their own limit of open cases."""
        return not self.paused and self.reachable and self.open_cases < self.max_open_cases

    def on_duty(self, when: datetime) -> bool:
        return covers(self.rota, when)

    def available(self, when: datetime) -> bool:
        return self.on_duty(when) or covers(self.availability, when)

    def next_available(self, when: datetime) -> datetime | None:
        return next_start((*self.availability, *self.rota), when)


def _order(language: str | None) -> Callable[[Candidate], tuple[int, bool, int]]:
    def key(c: Candidate) -> tuple[int, bool, int]:
        return (c.open_cases, language is not None and language not in c.languages, c.id)

    return key


def duty_wave(
    candidates: Iterable[Candidate],
    dispute_type: str,
    when: datetime,
    *,
    language: str | None = None,
    size: int = DUTY_WAVE,
) -> tuple[int, ...]:
    """The first offer: on-duty lawyers with the specialty, fewest open cases first."""
    chosen = [
        c for c in candidates if c.can_take and c.on_duty(when) and dispute_type in c.specialties
    ]
    chosen.sort(key=_order(language))
    return tuple(c.id for c in chosen[:size])


@dataclass(frozen=True)
class Plan:
    """Whom to offer the request to now, and when to look again for newly available lawyers."""

    offer_to: tuple[int, ...]
    recheck_at: datetime | None


def widen(
    candidates: Iterable[Candidate],
    when: datetime,
    already: frozenset[int],
    *,
    language: str | None = None,
) -> Plan:
    """Every available lawyer not offered yet; the next time another one becomes available."""
    pool = [c for c in candidates if c.can_take and c.id not in already]
    now = sorted((c for c in pool if c.available(when)), key=_order(language))
    later = [c.next_available(when) for c in pool if not c.available(when)]
    starts = [t for t in later if t is not None]
    return Plan(tuple(c.id for c in now), min(starts) if starts else None)


def expected_at(candidates: Iterable[Candidate], when: datetime) -> datetime | None:
    """When a lawyer is expected to be reachable: ``when`` if one is now, None if never."""
    starts = [c.next_available(when) for c in candidates if c.can_take]
    found = [t for t in starts if t is not None]
    return min(found) if found else None


@dataclass(frozen=True)
class ResponseStats:
    """Response times in seconds (None when there are none)."""

    count: int
    mean: float | None
    median: float | None
    p90: float | None


def response_stats(seconds: Iterable[float]) -> ResponseStats:
    """Count, mean, median and 90th percentile (nearest rank) of response times."""
    values = sorted(float(s) for s in seconds)
    if not values:
        return ResponseStats(0, None, None, None)
    n = len(values)
    middle = n // 2
    median = values[middle] if n % 2 else (values[middle - 1] + values[middle]) / 2
    p90 = values[max(0, math.ceil(0.9 * n) - 1)]
    return ResponseStats(n, sum(values) / n, median, p90)
