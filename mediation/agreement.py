"""The written mediation agreement (人民调解协议书) as a pure domain: its terms, versions, who must
sign it, and the rules for carrying it on to judicial confirmation (司法确认).

Why a domain module: the bot, the Mini App, the console and the demo all need the same answers
("is this draft complete?", "who still has to sign?", "which court, until when?", "can a court
confirm this term?"), and those answers come from statute, not from any adapter.

Legal anchors (texts read in laws.db unless marked otherwise):

- 人民调解法 第二十八条: an agreement reached in mediation *may* be written as a 调解协议书 (the
  oral alternative stays in ``features.room.staff``).
- 人民调解法 第二十九条: the 协议书 states (一) the parties' basic details; (二) the main facts,
  the matters in dispute and each party's responsibility; (三) the agreed terms and the manner
  and time limit of performance. It takes effect when every party has signed (sealed or put a
  fingerprint on it), the mediator has signed and the committee's seal is affixed; each party
  keeps one copy and the committee keeps one.
- 人民调解法 第三十三条 and 民事诉讼法 第二百零五条: both parties may *jointly* apply for 司法确认
  within 30 days of the agreement taking effect, (一) to the court that invited the mediation,
  or (二) to the basic court where a party lives, where the subject matter is, or where the
  mediation organisation is (an intermediate court where the dispute belongs there).
- 民事诉讼法 第八十五条: the day a period starts is not counted; a last day falling on a public
  holiday moves to the next working day (we do not know the holiday calendar, so the date we
  show is never later than the real one).
- Which clauses a court can confirm (民诉法解释 第三百五十五条、第三百五十八条): see
  :mod:`mediation.confirmability`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from mediation.validation import InvalidInput, clean_text

#: 人民调解法 第三十三条 / 民事诉讼法 第二百零五条: the window for a joint application.
CONFIRMATION_DAYS = 30
#: Reminders before the last day of the window (days before it).
CONFIRMATION_REMINDERS = (7, 2)

MAX_SECTION_CHARS = 3000
MAX_TERM_CHARS = 1000
MAX_TERMS = 30
MAX_COPIES = 20


class Section(StrEnum):
    """The parts of a 协议书 the mediator fills, in the order 第二十九条 lists them."""

    FACTS = "facts"  # 纠纷的主要事实
    DISPUTES = "disputes"  # 争议事项
    RESPONSIBILITIES = "responsibilities"  # 各方当事人的责任
    TERMS = "terms"  # 协议内容
    METHOD = "method"  # 履行方式
    PLACE = "place"  # 履行地点
    DEADLINE = "deadline"  # 履行期限
    COPIES = "copies"  # 份数


_TEXT_SECTIONS = (
    Section.FACTS,
    Section.DISPUTES,
    Section.RESPONSIBILITIES,
    Section.METHOD,
    Section.PLACE,
)


@dataclass(frozen=True)
class AgreementTerms:
    """What the mediator writes; the parties' details come from the case record."""

    facts: str = ""
    disputes: str = ""
    responsibilities: str = ""
    terms: tuple[str, ...] = ()
    method: str = ""
    place: str = ""
    deadline: str = ""  # ISO date
    copies: int = 0

    def missing(self, parties: int) -> tuple[Section, ...]:
        """Sections still empty (or copies too few for ``parties``), in filling order."""
        out: list[Section] = []
        for section in Section:
            if section is Section.TERMS:
                empty = not self.terms
            elif section is Section.COPIES:
                empty = self.copies < minimum_copies(parties)
            else:
                empty = not str(getattr(self, section.value)).strip()
            if empty:
                out.append(section)
        return tuple(out)

    def with_text(
        self, section: Section, text: str, *, today: date | None = None
    ) -> AgreementTerms:
        """Set one text section from what the mediator typed (validated)."""
        if section in _TEXT_SECTIONS:
            limit = MAX_SECTION_CHARS if section in _LONG_SECTIONS else 300
            value = clean_text(text, max_len=limit, min_len=2)
            data = self.to_json()
            data[section.value] = value
            return AgreementTerms.from_json(data)
        if section is Section.DEADLINE:
            return replace(self, deadline=parse_deadline(text, today or date.today()).isoformat())
        raise ValueError(f"{section} is not a text section")

    def add_term(self, text: str) -> AgreementTerms:
        if len(self.terms) >= MAX_TERMS:
            raise InvalidInput("agreements.err_too_many_terms", {"max": MAX_TERMS})
        term = clean_text(text, max_len=MAX_TERM_CHARS, min_len=4)
        return replace(self, terms=(*self.terms, term))

    def drop_last_term(self) -> AgreementTerms:
        return replace(self, terms=self.terms[:-1])

    def with_copies(self, value: int | str, parties: int) -> AgreementTerms:
        try:
            copies = int(str(value).strip())
        except ValueError:
            raise InvalidInput("agreements.err_copies", {"min": minimum_copies(parties)}) from None
        if not minimum_copies(parties) <= copies <= MAX_COPIES:
            raise InvalidInput("agreements.err_copies", {"min": minimum_copies(parties)})
        return replace(self, copies=copies)

    def to_json(self) -> dict[str, Any]:
        return {
            "facts": self.facts,
            "disputes": self.disputes,
            "responsibilities": self.responsibilities,
            "terms": list(self.terms),
            "method": self.method,
            "place": self.place,
            "deadline": self.deadline,
            "copies": self.copies,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AgreementTerms:
        return cls(
            facts=str(data.get("facts", "")),
            disputes=str(data.get("disputes", "")),
            responsibilities=str(data.get("responsibilities", "")),
            terms=tuple(str(t) for t in data.get("terms", ())),
            method=str(data.get("method", "")),
            place=str(data.get("place", "")),
            deadline=str(data.get("deadline", "")),
            copies=int(data.get("copies", 0) or 0),
        )


_LONG_SECTIONS = frozenset({Section.FACTS, Section.DISPUTES, Section.RESPONSIBILITIES})


def minimum_copies(parties: int) -> int:
    """人民调解法 第二十九条: one copy for each party and one kept by the committee."""
    return max(parties, 1) + 1


_DATE_FORMS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?(?:前|之前)?$"),
)


def parse_deadline(text: str, today: date) -> date:
    """A performance deadline as people type it (2027-04-30, 2027/4/30, 2027年4月30日前);
    it must not lie in the past."""
    value = "".join(text.split())
    for form in _DATE_FORMS:
        match = form.match(value)
        if match:
            try:
                day = date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                break
            if day < today:
                raise InvalidInput("agreements.err_deadline_past")
            if day > today + timedelta(days=365 * 30):
                raise InvalidInput("agreements.err_deadline_format")
            return day
    raise InvalidInput("agreements.err_deadline_format")


def iso_date_or_text(text: str) -> str:
    """A date typed in any of the forms :func:`parse_deadline` knows, as ISO; other text (such as
    "每月月底") unchanged, since clause blanks may legitimately hold either."""
    value = "".join(text.split())
    for form in _DATE_FORMS:
        match = form.match(value)
        if match:
            try:
                return date(int(match[1]), int(match[2]), int(match[3])).isoformat()
            except ValueError:
                return text.strip()
    return text.strip()


def next_version(existing: Iterable[int]) -> int:
    """Versions are numbered 1, 2, 3… per case; a revision never reuses a number."""
    return max(existing, default=0) + 1


# ---------------------------------------------------------------------------- who signs
# Every party of the case, each bound only by themselves or by someone with authority to bind
# them: mediation.parties (a side's "代表" no longer signs for the others).


# ---------------------------------------------------------------------------- 司法确认


def confirmation_deadline(effective_on: date) -> date:
    """Last day to apply (民事诉讼法 第二百零五条, counted per 第八十五条: day one is the day
    after the agreement took effect)."""
    return effective_on + timedelta(days=CONFIRMATION_DAYS)


def reminder_days(effective_on: date, today: date) -> tuple[tuple[int, date], ...]:
    """``(days_left, day)`` of each reminder still ahead of ``today``."""
    last = confirmation_deadline(effective_on)
    out = []
    for before in CONFIRMATION_REMINDERS:
        day = last - timedelta(days=before)
        if day >= today:
            out.append((before, day))
    return tuple(out)


class CourtBasis(StrEnum):
    """Which limb of 民事诉讼法 第二百零五条 makes a court competent."""

    INVITING_COURT = "inviting_court"  # （一）the court that invited the mediation
    ORGANISATION = "organisation"  # （二）where the mediation organisation sits
    PARTY_DOMICILE = "party_domicile"  # （二）where a party lives
    SUBJECT_MATTER = "subject_matter"  # （二）where the subject matter is


@dataclass(frozen=True)
class CourtChoice:
    court: str
    basis: CourtBasis


def allowed_bases(referred_by_court: bool) -> tuple[CourtBasis, ...]:
    """第二百零五条（一）: after a court-invited mediation only the inviting court; otherwise
    （二）any of the three basic courts."""
    if referred_by_court:
        return (CourtBasis.INVITING_COURT,)
    return (CourtBasis.ORGANISATION, CourtBasis.PARTY_DOMICILE, CourtBasis.SUBJECT_MATTER)


def default_court(
    unit_court: str, *, referred_by_court: bool = False, inviting_court: str = ""
) -> CourtChoice:
    """The court offered first: the inviting court (（一）) or the basic court where the
    mediation organisation sits (（二）; each unit names it in units.toml)."""
    if referred_by_court:
        if not inviting_court.strip():
            raise ValueError("a court-invited mediation needs the inviting court's name")
        return CourtChoice(inviting_court.strip(), CourtBasis.INVITING_COURT)
    if not unit_court.strip():
        raise ValueError("the mediation unit has no court configured")
    return CourtChoice(unit_court.strip(), CourtBasis.ORGANISATION)


def check_court(choice: CourtChoice, *, referred_by_court: bool) -> CourtChoice:
    """Refuse a basis 第二百零五条 does not allow here, and names that are not a court."""
    if choice.basis not in allowed_bases(referred_by_court):
        raise InvalidInput("agreements.err_court_basis")
    name = clean_text(choice.court, max_len=60, min_len=4)
    if not name.endswith("法院"):
        raise InvalidInput("agreements.err_court_name")
    return CourtChoice(name, choice.basis)


def joint_court(
    choices: Mapping[str, CourtChoice | None], signers: Sequence[str]
) -> CourtChoice | None:
    """The court of a *joint* application (第二百零五条): every applicant chose the same one."""
    picked = [choices.get(s) for s in signers]
    if not picked or any(c is None for c in picked):
        return None
    first = picked[0]
    assert first is not None
    return first if all(c is not None and c.court == first.court for c in picked) else None


# ---------------------------------------------------------------------------- party details


@dataclass(frozen=True)
class IdDetails:
    gender: str  # "男" | "女" as documents print it
    age: int


def details_from_id(id_number: str | None, today: date) -> IdDetails | None:
    """Gender and age from an 18-character 居民身份证号码 (GB 11643: characters 7–14 are the
    birth date, the 17th is odd for men and even for women). None when absent or malformed."""
    if not id_number or not re.fullmatch(r"\d{17}[\dX]", id_number):
        return None
    try:
        born = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return IdDetails("男" if int(id_number[16]) % 2 else "女", age)


# ---------------------------------------------------------------------------- what to tell people


class ConfirmationStage(StrEnum):
    """Where an agreement stands on the way to court, as every text about 司法确认 must say it."""

    OPEN = "open"  # the 30 days run: the parties may still apply jointly (第三十三条)
    APPLIED = "applied"  # the application was made: the court decides, then enforcement
    COURT = "court"  # referred after registration (委托): the court makes a 调解书 itself
    CLOSED = "closed"  # window passed or nothing confirmable: 诉讼 (第三十二条) or 支付令
    NONE = "none"  # no written agreement (an oral one): 诉讼 or 支付令 as well


def confirmation_stage(status: str | None, deadline: date | None, today: date) -> ConfirmationStage:
    """From the stored offer (``JudicialConfirmation.status``, its last day) and today: never an
    open window after its last day, never an invitation to apply after the application."""
    if status is None:
        return ConfirmationStage.NONE
    if status == "entrusted":
        return ConfirmationStage.COURT
    if status in ("applied", "submitted"):
        return ConfirmationStage.APPLIED
    if status == "offered" and deadline is not None and today <= deadline:
        return ConfirmationStage.OPEN
    return ConfirmationStage.CLOSED
