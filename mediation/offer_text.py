"""Terms as people type them, into :class:`mediation.offers.OfferTerms`.

Why so forgiving: a worker typing on a phone writes "12000，12月31日前付清，道歉" — Chinese commas,
a date without a year, a verb after the date — and a parser that refuses that, one error at a
time, makes people give up on structured offers. So:

- items are separated by new lines, ``；``/``;``, the Chinese comma ``，``, the enumeration
  comma ``、`` and ``, `` (an ASCII comma followed by a space; ``12,000`` stays an amount);
- a date is ``2027-01-31``, ``2027/1/31``, ``2027年1月31日``, ``1月31日`` / ``1月31号`` (the next
  such day, today included), ``月底`` / ``本月底`` / ``下月底``, ``年底`` / ``明年年底``; ``前``,
  ``之前``, ``以前`` after it, and words of paying (付清, 支付, 还清…) around it, are read as the
  deadline they mean;
- a ``备注`` takes the rest of its line, commas included, and stays a note: it is shown on the
  offer's card, never written into the agreement as a clause;
- a word that continues an undertaking ("修复 墙面、天花板") belongs to it;
- every problem is reported at once (:class:`mediation.offers.TermsInvalid`).
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date

from mediation.offers import (
    ACTION_WORDS,
    Instalment,
    OfferAction,
    OfferTerms,
    Side,
    TermsInvalid,
    date_problems,
    unique,
    yuan_to_fen,
)
from mediation.validation import InvalidInput, clean_text, parse_amount

_LINES = re.compile(r"[;；\n]+")
_ITEMS = re.compile(r"[，、]+|,\s+")
_NOTE = re.compile(r"(?:备注|附注|note)\s*[:：]?\s*", re.IGNORECASE)
_AFTER_DATE = r"\s*(?:之前|以前|前)?"
_FULL_DATE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?" + _AFTER_DATE
)
_MONTH_DAY = re.compile(r"(?<![\d/.-])(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?" + _AFTER_DATE)
_MONTH_END = re.compile(r"(本|这个|下个?)?月底" + _AFTER_DATE)
_YEAR_END = re.compile(r"(今年|明年)?年底" + _AFTER_DATE)
#: Words of paying around a date or an amount: "12月31日前付清", "一次性支付12000元".
_PAYING = re.compile(r"一次性|一次|付清|结清|还清|支付|付款|给付|偿还|履行完毕")
_PAYER_APPLICANT = ("申请人支付", "申请人付", "applicant pays")
_PAYER_RESPONDENT = ("被申请人支付", "被申请人付", "respondent pays")


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _date_in(text: str, today: date) -> tuple[date | None, str]:
    """The first date in ``text`` and the text without it (:class:`InvalidInput` for a day
    that does not exist, such as 2月30日)."""
    for pattern in (_FULL_DATE, _MONTH_DAY, _MONTH_END, _YEAR_END):
        match = pattern.search(text)
        if match is not None:
            break
    else:
        return None, text
    rest = (text[: match.start()] + " " + text[match.end() :]).strip()
    try:
        if pattern is _FULL_DATE:
            return date(int(match[1]), int(match[2]), int(match[3])), rest
        if pattern is _MONTH_DAY:
            day = date(today.year, int(match[1]), int(match[2]))
            return (day if day >= today else day.replace(year=today.year + 1)), rest
    except ValueError:
        raise InvalidInput("negotiation.err_date_format", {"date": match[0].strip()}) from None
    if pattern is _MONTH_END:
        if match[1] and match[1].startswith("下"):
            year, month = (
                (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
            )
            return _month_end(year, month), rest
        return _month_end(today.year, today.month), rest
    return date(today.year + (1 if match[1] == "明年" else 0), 12, 31), rest


def _action(segment: str, day: date | None) -> OfferAction | None:
    lowered = segment.lower()
    for kind, words in ACTION_WORDS.items():
        for word in words:
            if lowered.startswith(word):
                detail = segment[len(word) :].strip(" ：:，,")
                detail = clean_text(detail, max_len=200) if detail else ""
                return OfferAction(kind, detail, day)
    return None


@dataclass
class _Draft:
    """What the items read so far say."""

    total: int | None = None
    payer: Side = Side.RESPONDENT
    instalments: list[Instalment] = field(default_factory=list)
    actions: list[OfferAction] = field(default_factory=list)
    deadline: date | None = None
    note: str = ""
    problems: list[InvalidInput] = field(default_factory=list)

    def payer_word(self, item: str) -> str:
        for words, side in (
            (_PAYER_RESPONDENT, Side.RESPONDENT),
            (_PAYER_APPLICANT, Side.APPLICANT),
        ):
            word = next((w for w in words if item.lower().startswith(w)), None)
            if word is not None:
                self.payer = side
                return item[len(word) :].strip(" ：:，,")
        return item

    def item(self, item: str, today: date, continues_action: bool) -> bool:
        """Read one item; True when it is (or continues) an undertaking."""
        try:
            day, rest = _date_in(item, today)
        except InvalidInput as exc:
            self.problems.append(exc)
            return False
        action = _action(rest.strip(), day)
        if action is not None:
            self.actions.append(action)
            return True
        amount_text = _PAYING.sub(" ", rest).strip(" ：:，,")
        if not amount_text:
            if day is not None:
                self.deadline = day
            return False
        try:
            fen = yuan_to_fen(parse_amount(amount_text))
        except InvalidInput:
            if continues_action and self.actions:
                self._continue_action(rest.strip(), day)
                return True
            self.problems.append(InvalidInput("negotiation.err_segment", {"segment": item[:40]}))
            return False
        if day is not None:
            self.instalments.append(Instalment(day, fen))
        elif self.total is None:
            self.total = fen
        else:
            self.problems.append(InvalidInput("negotiation.err_two_totals"))
        return False

    def _continue_action(self, more: str, day: date | None) -> None:
        last = self.actions[-1]
        detail = clean_text(f"{last.detail}、{more}" if last.detail else more, max_len=200)
        self.actions[-1] = replace(last, detail=detail, deadline=last.deadline or day)


def _items(line: str) -> tuple[list[str], str]:
    """A line's items and its note (everything after 备注)."""
    match = _NOTE.search(line)
    note = ""
    if match is not None and (match.start() == 0 or line[match.start() - 1] in "，、,; "):
        note, line = line[match.end() :].strip(), line[: match.start()]
    items = [unicodedata.normalize("NFKC", i).strip() for i in _ITEMS.split(line)]
    return [i for i in items if i], note


def parse_terms(text: str, today: date) -> OfferTerms:
    """Terms as people type them (see the module's docstring): ``12000`` (the total),
    ``2027-01-31 8000`` (an instalment), ``12月31日前付清`` (the deadline of one payment),
    ``道歉`` / ``修复 天花板 2027-03-20`` / ``搬离 2027-03-01`` (undertakings, with details and a
    deadline), ``申请人支付`` (who pays; the respondent by default), ``备注 …``. A total may be
    left out when instalments are given: it is their sum. Raises :class:`TermsInvalid` with
    every problem found."""
    draft = _Draft()
    for line in _LINES.split(text):
        items, note = _items(line)
        if note:
            draft.note = clean_text(note, max_len=300)  # as typed: a note is prose
        in_action = False
        for raw in items:
            item = draft.payer_word(raw)
            if item:
                in_action = draft.item(item, today, in_action)
    draft.instalments.sort(key=lambda i: i.due)
    amount = draft.total if draft.total is not None else sum(i.fen for i in draft.instalments)
    deadline = draft.deadline
    if draft.instalments and deadline is None:
        deadline = draft.instalments[-1].due
    terms = OfferTerms(
        amount,
        draft.payer,
        tuple(draft.instalments),
        deadline,
        tuple(draft.actions),
        draft.note,
    )
    if draft.problems:
        # Items that could not be read make the structural checks guess; dates still count.
        days = [i.due for i in terms.instalments] + [
            a.deadline for a in terms.actions if a.deadline
        ]
        days += [terms.deadline] if terms.deadline else []
        raise TermsInvalid(unique(draft.problems + date_problems(days, today)))
    return terms.validate(today)
