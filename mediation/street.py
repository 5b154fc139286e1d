"""Disputes met on the street: registering for someone, posts and departments, dispatch rules
and the tasks they create (issue 24, 基层矛盾纠纷"一站式"受理与派单).

Why a domain module: who leads and who helps on a case, what a task may go through and what
counts as overdue are rules staff must be able to read and argue about; they stay free of I/O so
that a test can walk every case of them. The configuration (posts, departments, rules) is read
by ``features.street.config`` from the units file.

- A *desk* is where tasks land: a post (岗位, e.g. 市政建管岗, 政务劳保岗) of a unit, or a
  department (部门: 人社局, 住建委, 司法所, 派出所). Its members are staff accounts.
- A *dispatch rule* names a lead desk and helper desks for cases of a unit (and the units below
  it) by dispute type, place words and the lowest risk level it applies to. The most specific
  matching rule wins.
- A *task* is one desk's share of a case: assigned → accepted or returned (with a reason);
  accepted → done, or returned. A task not done by its deadline is overdue and alerts upward.
- A registration for someone records the parties as far as the reporter knows them: a name may
  be unknown (不知道). Nothing is presumed for a party: each one confirms the record and consents
  to mediation themselves (人民调解法 第十七条: mediation rests on the parties' consent).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from mediation.disputes import DisputeType
from mediation.risk import RANK, RiskLevel
from mediation.units import UnitDirectory
from mediation.validation import InvalidInput, clean_name


class DeskKind(StrEnum):
    POST = "post"  # 岗位
    DEPARTMENT = "department"  # 部门


class TaskRole(StrEnum):
    LEAD = "lead"  # 牵头
    ASSIST = "assist"  # 协办


class TaskStatus(StrEnum):
    ASSIGNED = "assigned"  # 待接单
    ACCEPTED = "accepted"  # 已接单
    RETURNED = "returned"  # 已退回
    DONE = "done"  # 已办结
    HANDED = "handed"  # 已移交 (the case went to another desk above)


class TaskEvent(StrEnum):
    ACCEPT = "accept"
    RETURN = "return"
    FINISH = "finish"
    HAND_OVER = "hand_over"  # the holding centre gave the case to another lead
    CLOSE = "close"  # the case's one outcome was recorded: every open task ends


TASK_TRANSITIONS: dict[tuple[TaskStatus, TaskEvent], TaskStatus] = {
    (TaskStatus.ASSIGNED, TaskEvent.ACCEPT): TaskStatus.ACCEPTED,
    (TaskStatus.ASSIGNED, TaskEvent.RETURN): TaskStatus.RETURNED,
    (TaskStatus.ACCEPTED, TaskEvent.RETURN): TaskStatus.RETURNED,
    (TaskStatus.ACCEPTED, TaskEvent.FINISH): TaskStatus.DONE,
    (TaskStatus.ASSIGNED, TaskEvent.HAND_OVER): TaskStatus.HANDED,
    (TaskStatus.ACCEPTED, TaskEvent.HAND_OVER): TaskStatus.HANDED,
    (TaskStatus.ASSIGNED, TaskEvent.CLOSE): TaskStatus.DONE,
    (TaskStatus.ACCEPTED, TaskEvent.CLOSE): TaskStatus.DONE,
}

#: Tasks still owed: these go overdue at their deadline.
OPEN_TASKS = frozenset({TaskStatus.ASSIGNED, TaskStatus.ACCEPTED})


class TaskRefused(Exception):
    """A task cannot go through this step from where it stands (catalogue key in ``key``)."""

    def __init__(self, status: TaskStatus, event: TaskEvent) -> None:
        super().__init__(f"{event.value} from {status.value}")
        self.key = f"street.task_not_{status.value}"


def task_transition(status: TaskStatus, event: TaskEvent) -> TaskStatus:
    found = TASK_TRANSITIONS.get((status, event))
    if found is None:
        raise TaskRefused(status, event)
    return found


def is_overdue(status: TaskStatus, deadline: datetime, now: datetime) -> bool:
    return status in OPEN_TASKS and now >= deadline


@dataclass(frozen=True)
class Desk:
    code: str
    name: str
    kind: DeskKind
    unit_code: str
    name_en: str | None = None
    #: Staff usernames who work at this desk (they get its tasks).
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class DispatchRule:
    code: str
    unit_code: str  # applies to cases of this unit and of the units below it
    lead: str  # desk code
    assist: tuple[str, ...] = ()
    dispute_types: tuple[DisputeType, ...] = ()
    areas: tuple[str, ...] = ()
    min_risk: RiskLevel = RiskLevel.NORMAL
    hours: int = 24  # the tasks' deadline after dispatch


@dataclass(frozen=True)
class Dispatch:
    """What one rule decided for one case."""

    rule: str
    lead: Desk
    assist: tuple[Desk, ...]
    deadline: timedelta


@dataclass(frozen=True)
class StreetDirectory:
    """The configured desks and dispatch rules, validated against the units once."""

    desks: tuple[Desk, ...] = ()
    rules: tuple[DispatchRule, ...] = ()
    by_code: dict[str, Desk] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        by_code = {d.code: d for d in self.desks}
        if len(by_code) != len(self.desks):
            raise ValueError("duplicate post/department code")
        codes = [r.code for r in self.rules]
        if len(set(codes)) != len(codes):
            raise ValueError("duplicate dispatch rule code")
        for r in self.rules:
            for desk in (r.lead, *r.assist):
                if desk not in by_code:
                    raise ValueError(f"dispatch rule {r.code}: unknown post/department {desk}")
            if r.lead in r.assist:
                raise ValueError(f"dispatch rule {r.code}: {r.lead} both leads and assists")
            if r.hours <= 0:
                raise ValueError(f"dispatch rule {r.code}: hours must be positive")
        object.__setattr__(self, "by_code", by_code)

    def check_units(self, units: UnitDirectory) -> None:
        """Every desk and rule names a configured unit (ValueError otherwise)."""
        for d in self.desks:
            if d.unit_code not in units.by_code:
                raise ValueError(f"post/department {d.code}: unknown unit {d.unit_code}")
        for r in self.rules:
            if r.unit_code not in units.by_code:
                raise ValueError(f"dispatch rule {r.code}: unknown unit {r.unit_code}")

    def desks_of(self, username: str) -> tuple[Desk, ...]:
        return tuple(d for d in self.desks if username in d.members)

    def dispatch(
        self,
        units: UnitDirectory,
        *,
        case_unit: str,
        place: str,
        dispute_type: DisputeType,
        risk: RiskLevel,
    ) -> Dispatch | None:
        """The most specific rule for a case, or None (the unit's staff dispatch by hand).

        A rule applies when the case's unit is the rule's unit or below it, the type is among
        its types (or it lists none), a place word of it is in the place (or it lists none) and
        the case's risk is at least its lowest level. Among those: the highest risk level
        first (a 较大 case goes where 较大 cases go), then a rule naming the type, then the
        longest place word, then the nearest unit.
        """
        chain = [case_unit, *(u.code for u in units.ancestors(case_unit))]
        best: tuple[tuple[int, int, int, int], DispatchRule] | None = None
        for r in self.rules:
            if r.unit_code not in chain:
                continue
            if r.dispute_types and dispute_type not in r.dispute_types:
                continue
            area = max((len(a) for a in r.areas if a and a in place), default=0)
            if r.areas and not area:
                continue
            if RANK[risk] < RANK[r.min_risk]:
                continue
            key = (RANK[r.min_risk], 1 if r.dispute_types else 0, area, -chain.index(r.unit_code))
            if best is None or key > best[0]:
                best = (key, r)
        if best is None:
            return None
        rule = best[1]
        return Dispatch(
            rule=rule.code,
            lead=self.by_code[rule.lead],
            assist=tuple(self.by_code[c] for c in rule.assist),
            deadline=timedelta(hours=rule.hours),
        )


# ---------------------------------------------------------------------- what the reporter types

#: Answers meaning "I do not know" (a party's name, a phone): the field stays empty, and the
#: record says so instead of inventing a value.
UNKNOWN_WORDS = frozenset(
    {"不知道", "不清楚", "不详", "未知", "不晓得", "不认识", "unknown", "dont know", "don't know"}
)

_CJK_SPACES = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")


def is_unknown(text: str) -> bool:
    folded = unicodedata.normalize("NFKC", text).strip().lower().rstrip("。.!！")
    return folded in UNKNOWN_WORDS


def party_name(text: str) -> str | None:
    """A party's name as typed on the street, or None when the reporter does not know it.

    Spaces between Chinese characters are dropped (张 秀 英 is 张秀英); the rest is the usual
    name check, whose message explains a refusal.
    """
    if is_unknown(text):
        return None
    return clean_name(_CJK_SPACES.sub("", unicodedata.normalize("NFKC", text).strip()))


_POLICE_REF = re.compile(r"^[A-Z0-9][A-Z0-9-]{4,38}[A-Z0-9]$")


def police_ref(text: str) -> str:
    """A 110 警情 number as the police give it (letters and digits, e.g. J50011220261206001);
    full-width characters and spaces are accepted as typed."""
    cleaned = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).upper()
    if not _POLICE_REF.match(cleaned):
        raise InvalidInput("street.error_police_ref")
    return cleaned
