"""Joint handling of a street case (多跨协同), escalation that hands over, group disputes and the
operations picture (issue 24, items 3-6): the rules, free of I/O.

Why here: who sees what on a joint case, when a raised risk moves the case to the next level's
centre, what a group's representative may do for its members and what 化解率 counts are rules
staff argue about; a test walks every case of them.

- *Roles on a case*: the desk whose open task leads (``lead``), a post that assists
  (``assist``), a department that assists (``department``: 派出所, 司法所…), and the centre (the
  case-running admins of the unit whose subtree holds the case). Each sees and may do what
  :data:`SEES` and :data:`DOES` say; a person with several roles gets the union.
- *Holding*: a case is held by a unit (and, once dispatched, by a lead desk). Raising the risk to
  较大 or 重大 moves it to the centre of the unit above its holder (街道 → 区矛盾纠纷调处中心);
  that centre's staff hand it to a department. Every change of holder is a 流转记录 row.
- *Group disputes*: one side of many. A representative acts for the members; for each member
  the authority is recorded: what it allows is the court-ready rule of ``mediation.parties``
  (only a checked 特别授权 lets the representative settle for a member, 和解). The per-person
  amounts add up to the group's claim.
- *化解率* (:func:`resolution_rate`): settled ÷ concluded, where *concluded* counts every case
  whose handling ended (settled, failed, rejected, withdrawn) and not those still open — a new
  case does not lower the rate before anyone had a chance to settle it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from mediation.parties import Agent, AgentKind, Authority
from mediation.risk import RANK, RiskLevel, higher
from mediation.units import UnitDirectory
from mediation.validation import InvalidInput, clean_name, normalise_phone


class JointRole(StrEnum):
    LEAD = "lead"  # 牵头
    ASSIST = "assist"  # 协办岗位
    DEPARTMENT = "department"  # 协办部门
    CENTRE = "centre"  # 指挥中心


class See(StrEnum):
    FACTS = "facts"
    TIMELINE = "timeline"
    SESSIONS = "sessions"
    TASKS = "tasks"
    HANDOVERS = "handovers"
    ROSTER = "roster"  # the group's members by name
    CONTACTS = "contacts"  # phones of parties and members
    AMOUNTS = "amounts"  # per-person amounts and the total


class Do(StrEnum):
    SESSION = "session"  # schedule and record joint sessions
    ROSTER = "roster"  # add members, record authorities
    OUTCOME = "outcome"  # record the case's one outcome
    RAISE = "raise"  # raise the risk (and so escalate)
    DISPATCH = "dispatch"  # hand the case to a department (the holding centre only)


_ALL_SEE = frozenset(See)
SEES: dict[JointRole, frozenset[See]] = {
    JointRole.LEAD: _ALL_SEE,
    JointRole.CENTRE: _ALL_SEE,
    # A helping post works beside the lead: the case, its history and the roster's names; the
    # contacts and money stay with the lead (it talks to the parties).
    JointRole.ASSIST: frozenset(
        {See.FACTS, See.TIMELINE, See.SESSIONS, See.TASKS, See.HANDOVERS, See.ROSTER}
    ),
    # A helping department (police, 司法所) comes to sessions: what happened, not who is owed
    # how much nor the members' list.
    JointRole.DEPARTMENT: frozenset({See.FACTS, See.TIMELINE, See.SESSIONS, See.TASKS}),
}
DOES: dict[JointRole, frozenset[Do]] = {
    JointRole.LEAD: frozenset({Do.SESSION, Do.ROSTER, Do.OUTCOME, Do.RAISE}),
    JointRole.CENTRE: frozenset({Do.SESSION, Do.OUTCOME, Do.RAISE, Do.DISPATCH}),
    JointRole.ASSIST: frozenset({Do.SESSION}),
    JointRole.DEPARTMENT: frozenset({Do.SESSION}),
}


@dataclass(frozen=True)
class Access:
    roles: frozenset[JointRole]

    @property
    def sees(self) -> frozenset[See]:
        return frozenset().union(*(SEES[r] for r in self.roles))

    @property
    def does(self) -> frozenset[Do]:
        return frozenset().union(*(DOES[r] for r in self.roles))

    def may_see(self, what: See) -> bool:
        return what in self.sees

    def may(self, what: Do) -> bool:
        return what in self.does


def task_role(task_role: str, desk_is_department: bool) -> JointRole:
    """A desk's role on a case from its task: leading, or helping as a post or a department."""
    if task_role == "lead":
        return JointRole.LEAD
    return JointRole.DEPARTMENT if desk_is_department else JointRole.ASSIST


# ---------------------------------------------------------------------- escalation


def escalation_centre(units: UnitDirectory, holder_unit: str) -> str | None:
    """The unit a raised case goes to: the one above its holder (None at the top)."""
    unit = units.by_code.get(holder_unit)
    return unit.parent_code if unit is not None else None


def escalates(before: RiskLevel, after: RiskLevel) -> bool:
    """A raise to 较大 or 重大 hands the case upward; lowering or staying never does."""
    return RANK[after] > RANK[before] and RANK[after] >= RANK[RiskLevel.MAJOR]


# ---------------------------------------------------------------------- group disputes

#: At or above this many claimants on one side, a dispute is a group dispute at 较大 at least.
GROUP_CLAIMANTS = 10
#: Words of a gathering at a site (聚集, 堵门…): a group there is at 较大 at least.
GATHERING_WORDS = ("聚集", "堵门", "堵大门", "围堵", "堵路", "拉横幅", "打横幅", "集体讨薪")
#: Why a group wage dispute goes to the labour department at once, with the others.
GROUP_WAGES_SOURCE = "《劳动保障监察条例》第十四条第三款"


def group_risk(claimants: int, texts: tuple[str, ...], current: RiskLevel) -> RiskLevel:
    """The level a group dispute calls for: at least 较大 with ten claimants or more, or with
    a gathering at the site named in the record; never lower than it already is."""
    joined = unicodedata.normalize("NFKC", "\n".join(texts))
    if claimants >= GROUP_CLAIMANTS or any(w in joined for w in GATHERING_WORDS):
        return higher(current, RiskLevel.MAJOR)
    return current


@dataclass(frozen=True)
class MemberIn:
    name: str
    phone: str | None
    amount_cents: int


#: Between a member's fields: spaces, 、, semicolons, commas — but not a thousands separator
#: (8,600 is one amount). Lines are NFKC-normalised first, so ， is a comma here.
_LINE_SPLIT = re.compile(r"(?:[\s;、]|,(?!\d{3}(?!\d)))+")
_PHONE_LIKE = re.compile(r"^\+?\d[\d-]{6,}$")
MAX_AMOUNT_CENTS = 100_000_000_00  # one hundred million yuan: beyond is a typing slip


def amount_cents(text: str) -> int:
    """An amount in yuan as typed (8600, 8,600.50, 8600元) in cents."""
    cleaned = unicodedata.normalize("NFKC", text).replace(",", "").removesuffix("元").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise InvalidInput("street.group.error_amount", {"value": text[:20]}) from None
    cents = int((value * 100).to_integral_value())
    if cents < 0 or cents > MAX_AMOUNT_CENTS or value != value:
        raise InvalidInput("street.group.error_amount", {"value": text[:20]})
    return cents


def parse_roster(text: str) -> tuple[list[MemberIn], list[tuple[int, InvalidInput]]]:
    """Members typed one per line — 姓名 [电话] 金额 — as a phone keyboard gives them (spaces,
    commas or 、 between). Returns the members read and each refused line's number and reason
    (the good lines are not lost because one is wrong)."""
    members: list[MemberIn] = []
    errors: list[tuple[int, InvalidInput]] = []
    for number, raw in enumerate(text.splitlines(), 1):
        words = [w for w in _LINE_SPLIT.split(unicodedata.normalize("NFKC", raw).strip()) if w]
        if not words:
            continue
        try:
            if len(words) < 2:
                raise InvalidInput("street.group.error_line", {})
            name = clean_name(words[0])
            phone = None
            rest = words[1:]
            if len(rest) >= 2 and _PHONE_LIKE.match(rest[0]):
                phone = normalise_phone(rest[0])
                rest = rest[1:]
            if len(rest) != 1:
                raise InvalidInput("street.group.error_line", {})
            members.append(MemberIn(name, phone, amount_cents(rest[0])))
        except InvalidInput as exc:
            errors.append((number, exc))
    return members, errors


def member_agent(representative: str, authority: str | None, checked: bool) -> Agent:
    """The representative as the member's agent, for the court-ready rule (``Agent.may_sign``):
    only a checked 特别授权 lets them settle for the member."""
    parsed = Authority(authority) if authority in {a.value for a in Authority} else None
    return Agent(AgentKind.ENTRUSTED, representative, None, parsed, checked)


def yuan(cents: int) -> str:
    return f"{Decimal(cents) / 100:,.2f}"


# ---------------------------------------------------------------------- the picture

SETTLED_STATUSES = frozenset({"agreed", "closed"})
UNSETTLED_STATUSES = frozenset({"failed", "rejected", "withdrawn"})


class Outcome(StrEnum):
    SETTLED = "settled"  # 化解成功
    UNSETTLED = "unsettled"  # 未化解（依法引导、转诉讼等）


def concluded_as(status: str, outcome: str | None) -> Outcome | None:
    """How a case's handling ended, or None while it is open. A street case's recorded outcome
    decides; otherwise the case's status (达成协议/履行完毕 is settled)."""
    if outcome in {o.value for o in Outcome}:
        return Outcome(outcome)
    if status in SETTLED_STATUSES:
        return Outcome.SETTLED
    if status in UNSETTLED_STATUSES:
        return Outcome.UNSETTLED
    return None


def resolution_rate(settled: int, concluded: int) -> float | None:
    """化解率 = settled ÷ concluded (None when nothing concluded yet: no rate, not 0%)."""
    if concluded <= 0:
        return None
    return settled / concluded
