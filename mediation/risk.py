"""Risk levels of a dispute (一般 / 较大 / 重大) and the rules that set them.

Why rules and not a model: staff must be able to read, explain and edit why a case was flagged
(the console shows the matched words), and a missed signal must be fixable the same day by
adding a keyword. The rules look at the dispute type, at the words parties wrote (facts, claims,
later their messages) and at how many people a text says are involved — a wage dispute with
dozens of workers gathering outside a site is a 群体性 risk, the same dispute for one worker is
not.

Automatic assessment only ever *raises* a case's level: a human lowers it, with a reason. Words
are phrase patterns (``mediation.phrases``: 门口*堵*(你|我|他) covers 门口堵我 and 楼下堵他) matched
after Unicode normalisation, so negations ("没有威胁") still match; that errs on the side of a
staff member taking a look, which is the point. Each rule also names the safety notice the room
gets when it matches (``notice``: 110 for violence, 12338 for domestic violence, 12355 where a
child is at risk; see ``NOTICES``).

Levels also decide who is told: 较大 and above alert the staff of the case's unit and of the
units above it up to the level that handles such risks (较大 → street, 重大 → district).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from mediation import phrases
from mediation import risk_families as F
from mediation.disputes import DisputeType
from mediation.units import UnitDirectory, UnitLevel


class RiskLevel(StrEnum):
    NORMAL = "normal"  # 一般
    MAJOR = "major"  # 较大
    CRITICAL = "critical"  # 重大


RANK: dict[RiskLevel, int] = {RiskLevel.NORMAL: 0, RiskLevel.MAJOR: 1, RiskLevel.CRITICAL: 2}

#: The unit level expected to take charge of a case at each risk level.
HANDLING_LEVEL: dict[RiskLevel, UnitLevel] = {
    RiskLevel.NORMAL: UnitLevel.COMMITTEE,
    RiskLevel.MAJOR: UnitLevel.STREET,
    RiskLevel.CRITICAL: UnitLevel.DISTRICT,
}

#: Height of each unit level in the hierarchy (a police station sits beside a committee).
LEVEL_HEIGHT: dict[UnitLevel, int] = {
    UnitLevel.COMMITTEE: 0,
    UnitLevel.STATION: 0,
    UnitLevel.STREET: 1,
    UnitLevel.DISTRICT: 2,
    UnitLevel.CITY: 3,
}


def parse_level(value: str | None) -> RiskLevel:
    """A stored or submitted level; anything unknown reads as 一般 rather than failing a page."""
    try:
        return RiskLevel(value or RiskLevel.NORMAL)
    except ValueError:
        return RiskLevel.NORMAL


def higher(a: RiskLevel, b: RiskLevel) -> RiskLevel:
    return a if RANK[a] >= RANK[b] else b


def needs_alert(level: RiskLevel) -> bool:
    """较大 and above are reported to the responsible staff at once."""
    return RANK[level] >= RANK[RiskLevel.MAJOR]


@dataclass(frozen=True)
class RiskRule:
    """One rule. All given conditions must hold; empty conditions are not checked.

    ``keywords``: any one of these phrase patterns matches (``mediation.phrases``); ``also``:
    and any one of these too (so "wage arrears" AND "gathering" is two lists);
    ``dispute_types``: the case is of one of these types; ``min_people``: some sentence
    mentions at least this many people. ``notice``: the safety notice the room gets (one of
    ``NOTICES``, or empty for none).
    """

    code: str
    level: RiskLevel
    keywords: tuple[str, ...] = ()
    also: tuple[str, ...] = ()
    dispute_types: tuple[str, ...] = ()
    min_people: int = 0
    name: str = ""
    enabled: bool = True
    notice: str = ""

    def problems(self) -> list[str]:
        """Why this rule cannot be saved (catalog keys under ``console.rules.error``)."""
        out: list[str] = []
        if not re.fullmatch(r"[a-z0-9_]{2,48}", self.code):
            out.append("code")
        if not (self.keywords or self.dispute_types or self.min_people > 0):
            out.append("no_condition")
        if self.also and not self.keywords:
            out.append("also_without_keywords")
        if any(t not in _TYPES for t in self.dispute_types):
            out.append("dispute_type")
        if self.min_people < 0 or self.min_people > 100_000:
            out.append("min_people")
        if not all(phrases.valid(normalise(w)) for w in (*self.keywords, *self.also)):
            out.append("phrase")
        if self.notice and self.notice not in NOTICES:
            out.append("notice")
        return out


@dataclass(frozen=True)
class RuleMatch:
    code: str
    level: RiskLevel
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class RiskAssessment:
    level: RiskLevel
    matches: tuple[RuleMatch, ...]


_TYPES = frozenset(d.value for d in DisputeType)
#: What each safety notice is for (catalog ``risk.notice.<kind>``): who gets it in the room is
#: decided by ``NOTICE_TO_SPEAKER_ONLY`` (self-harm and domestic violence are told to the person
#: who wrote, not to the other side).
NOTICES = ("violence", "self_harm", "domestic", "minor", "gathering")
NOTICE_TO_SPEAKER_ONLY = frozenset({"self_harm", "domestic"})

_WAGES = (DisputeType.LABOUR_WAGES.value,)
DEFAULT_RULES: tuple[RiskRule, ...] = (
    RiskRule(
        "wage_gathering", RiskLevel.MAJOR, F.WAGE_GATHERING, (), _WAGES, 10, notice="gathering"
    ),
    RiskRule(
        "wage_mass_gathering",
        RiskLevel.CRITICAL,
        F.WAGE_GATHERING,
        (),
        _WAGES,
        50,
        notice="gathering",
    ),
    RiskRule("wage_many_workers", RiskLevel.MAJOR, dispute_types=_WAGES, min_people=30),
    RiskRule("petition_gathering", RiskLevel.MAJOR, F.GATHERING, notice="gathering"),
    RiskRule("violence_threat", RiskLevel.MAJOR, F.THREAT, notice="violence"),
    RiskRule("violence_lethal", RiskLevel.CRITICAL, F.LETHAL, notice="violence"),
    RiskRule("self_harm", RiskLevel.CRITICAL, F.SELF_HARM, notice="self_harm"),
    RiskRule("criminal_escalation", RiskLevel.MAJOR, F.ESCALATION, notice="violence"),
    RiskRule("domestic_violence", RiskLevel.MAJOR, F.DOMESTIC, notice="domestic"),
    RiskRule("minor_at_risk", RiskLevel.MAJOR, F.MINOR, notice="minor"),
    RiskRule(
        "fatal_accident",
        RiskLevel.CRITICAL,
        F.FATAL,
        dispute_types=(DisputeType.TRAFFIC_ACCIDENT.value,),
    ),
)

_SPLIT = re.compile(r"[,，、;；\s]+")
_PEOPLE_NOUNS = "工人|农民工|员工|工友|村民|业主|家属|人"
_NUM_PEOPLE = re.compile(
    r"(\d+|上[百千]|[一二两三四五六七八九十百千几数]+)\s*(?:多|余|来)?\s*(?:名|个|位|号)?\s*"
    rf"(?:{_PEOPLE_NOUNS})"
)
_CN_DIGIT = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8}
_CN_DIGIT |= {"九": 9, "几": 2, "数": 2}
_CN_MULT = {"十": 10, "百": 100, "千": 1000}


def parse_keywords(text: str) -> tuple[str, ...]:
    """Keywords as typed in the console: separated by commas, 、, semicolons or spaces."""
    seen: dict[str, None] = {}
    for word in _SPLIT.split(normalise(text)):
        if word:
            seen[word] = None
    return tuple(seen)


def normalise(text: str) -> str:
    """NFKC (full-width letters and digits become ASCII) and lower case, for matching."""
    return unicodedata.normalize("NFKC", text).lower()


def _chinese_count(word: str) -> int:
    """``十几`` → 10, ``几十`` → 20, ``二十多`` → 20, ``上百`` → 100 (a cautious lower bound)."""
    if word.startswith("上") and len(word) == 2:
        return _CN_MULT[word[1]]
    total, digit = 0, 0
    for ch in word:
        if ch in _CN_MULT:
            total += (digit or 1) * _CN_MULT[ch]
            digit = 0
        else:
            digit = _CN_DIGIT.get(ch, 0)
    if word[-1] in ("几", "数"):
        digit = 0  # 十几: at least ten
    return total + digit


def count_people(text: str) -> int:
    """The largest number of people any phrase in the text mentions (0 when none)."""
    best = 0
    for m in _NUM_PEOPLE.finditer(normalise(text)):
        word = m.group(1)
        n = int(word) if word.isdigit() else _chinese_count(word)
        best = max(best, n)
    return best


def match_rule(rule: RiskRule, dispute_type: str, texts: Sequence[str]) -> RuleMatch | None:
    """The rule's evidence if every condition holds, else ``None``."""
    if not rule.enabled:
        return None
    if rule.dispute_types and dispute_type not in rule.dispute_types:
        return None
    joined = normalise("\n".join(texts))
    evidence: list[str] = []
    for words in (rule.keywords, rule.also):
        if not words:
            continue
        found = [phrases.find(normalise(w), joined) for w in words if w]
        hits = [f for f in found if f]
        if not hits:
            return None
        evidence.extend(dict.fromkeys(hits))
    if rule.min_people > 0:
        people = count_people(joined)
        if people < rule.min_people:
            return None
        evidence.append(f"≥{rule.min_people}:{people}")
    return RuleMatch(rule.code, rule.level, tuple(evidence))


def assess(dispute_type: str, texts: Sequence[str], rules: Iterable[RiskRule]) -> RiskAssessment:
    """The highest level among the matching rules (一般 when none match), and the matches."""
    matches = tuple(m for m in (match_rule(r, dispute_type, texts) for r in rules) if m is not None)
    level = RiskLevel.NORMAL
    for m in matches:
        level = higher(level, m.level)
    return RiskAssessment(level, matches)


def alert_units(directory: UnitDirectory, unit_code: str, level: RiskLevel) -> tuple[str, ...]:
    """The units whose staff are alerted: the case's unit and those above it, up to the first
    unit at or above the level that handles this risk (all the way up if none is that high),
    and the units those units' own rules add at this level or below (units.toml
    ``[unit.risk_alerts]``: a committee that has its 派出所 told of every 较大 risk)."""
    if unit_code not in directory.by_code:
        return ()
    target = LEVEL_HEIGHT[HANDLING_LEVEL[level]]
    chain = [directory.by_code[unit_code], *directory.ancestors(unit_code)]
    out: list[str] = []
    for unit in chain:
        out.append(unit.code)
        if LEVEL_HEIGHT[unit.level] >= target:
            break
    reached = [directory.by_code[code] for code in out]
    for unit in reached:
        for name, codes in unit.risk_alerts:
            if RANK[RiskLevel(name)] <= RANK[level]:
                out += [c for c in codes if c not in out]
    return tuple(out)


def escalation_target(directory: UnitDirectory, unit_code: str) -> str | None:
    """The unit a case goes to when escalated: the parent; ``None`` at the top."""
    unit = directory.by_code.get(unit_code)
    return unit.parent_code if unit is not None else None
