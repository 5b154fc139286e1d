"""Structured offers (调解方案 / 报价): terms, validation, parsing what people type, and the
life of an offer (proposed → accepted, rejected, countered or withdrawn).

Why structured: a party who receives "¥8,000 now and ¥4,000 by 31 January, plus an apology"
as a card with 接受 / 拒绝 / 还价 buttons answers faster, and more calmly, than one who reads it
in a heated chat; and an accepted set of terms can be written into the agreement as it is.

Legal anchors (texts read in the knowledge base, laws.db):

- 人民调解法 第二十二条: the mediator may put forward a proposal for resolving the dispute
  (提出纠纷解决方案) — so the mediator may propose terms, which both parties must accept;
- 人民调解法 第二十三条（四）: parties express their will freely and reach an agreement
  voluntarily — nothing binds a party who has not pressed 接受 on that exact version;
- 人民调解法 第二十九条: the agreement states the terms and the manner and deadline of
  performance — hence amount, instalments with dates, actions with deadlines.

Money is an integer number of fen (分) everywhere: no float ever touches a sum.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise
from typing import Any

from mediation.validation import InvalidInput, clean_text, parse_amount

MAX_INSTALMENTS = 36
MAX_ACTIONS = 10
MAX_FEN = 100_000_000_000 * 100  # parse_amount's ceiling (1,000 亿 yuan), in fen
#: How far ahead a date may lie: a mediation plan beyond ten years is a typing error.
MAX_YEARS_AHEAD = 10


class Side(StrEnum):
    APPLICANT = "applicant"
    RESPONDENT = "respondent"

    @property
    def other(self) -> Side:
        return Side.RESPONDENT if self is Side.APPLICANT else Side.APPLICANT


class ActionKind(StrEnum):
    """Non-monetary undertakings that recur in people's mediation."""

    APOLOGY = "apology"  # 道歉 / 赔礼道歉
    REPAIR = "repair"  # 修复 / 恢复原状
    MOVE_OUT = "move_out"  # 搬离 / 腾退
    STOP = "stop"  # 停止侵害 (噪音、漏水…)
    OTHER = "other"


#: Words people type for each kind (zh and en), matched at the start of a segment.
ACTION_WORDS: dict[ActionKind, tuple[str, ...]] = {
    ActionKind.APOLOGY: ("赔礼道歉", "道歉", "apology", "apologise", "apologize"),
    ActionKind.REPAIR: ("恢复原状", "修复", "维修", "repair"),
    ActionKind.MOVE_OUT: ("搬离", "腾退", "搬出", "move out", "move-out"),
    ActionKind.STOP: ("停止侵害", "停止", "stop"),
    ActionKind.OTHER: ("其他", "other"),
}


@dataclass(frozen=True)
class Instalment:
    due: date
    fen: int


@dataclass(frozen=True)
class OfferAction:
    kind: ActionKind
    detail: str = ""
    deadline: date | None = None


@dataclass(frozen=True)
class OfferTerms:
    """What one side (or the mediator) proposes.

    ``amount_fen`` is paid by ``payer`` to the other side: in one sum by ``deadline``, or in
    ``instalments`` whose amounts add up to it exactly.
    """

    amount_fen: int = 0
    payer: Side = Side.RESPONDENT
    instalments: tuple[Instalment, ...] = ()
    deadline: date | None = None
    actions: tuple[OfferAction, ...] = ()
    note: str = ""

    @property
    def payee(self) -> Side:
        return self.payer.other

    def schedule(self) -> tuple[Instalment, ...]:
        """The payments due: the instalments, or the single sum on the deadline."""
        if self.instalments:
            return self.instalments
        if self.amount_fen and self.deadline is not None:
            return (Instalment(self.deadline, self.amount_fen),)
        return ()

    def last_date(self) -> date | None:
        dates = [i.due for i in self.schedule()]
        dates += [a.deadline for a in self.actions if a.deadline is not None]
        return max(dates) if dates else None

    def validate(self, today: date) -> OfferTerms:
        """The terms, or :class:`InvalidInput` naming the first problem (catalog keys)."""
        if self.amount_fen < 0 or self.amount_fen > MAX_FEN:
            raise InvalidInput("negotiation.err_amount")
        if not self.amount_fen and not self.actions:
            raise InvalidInput("negotiation.err_empty")
        if len(self.instalments) > MAX_INSTALMENTS:
            raise InvalidInput("negotiation.err_too_many_instalments", {"max": MAX_INSTALMENTS})
        if len(self.actions) > MAX_ACTIONS:
            raise InvalidInput("negotiation.err_too_many_actions", {"max": MAX_ACTIONS})
        if self.amount_fen and not self.instalments and self.deadline is None:
            raise InvalidInput("negotiation.err_no_date")
        if self.instalments:
            if sum(i.fen for i in self.instalments) != self.amount_fen:
                raise InvalidInput("negotiation.err_instalment_sum")
            if any(i.fen <= 0 for i in self.instalments):
                raise InvalidInput("negotiation.err_amount")
            dates = [i.due for i in self.instalments]
            if any(b <= a for a, b in pairwise(dates)):
                raise InvalidInput("negotiation.err_instalment_order")
        for day in self._dates():
            check_date(day, today)
        return self

    def _dates(self) -> list[date]:
        days = [i.due for i in self.instalments]
        days += [d for d in (self.deadline,) if d is not None]
        days += [a.deadline for a in self.actions if a.deadline is not None]
        return days

    def to_json(self) -> dict[str, Any]:
        return {
            "amount_fen": self.amount_fen,
            "payer": self.payer.value,
            "instalments": [{"due": i.due.isoformat(), "fen": i.fen} for i in self.instalments],
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "actions": [
                {
                    "kind": a.kind.value,
                    "detail": a.detail,
                    "deadline": a.deadline.isoformat() if a.deadline else None,
                }
                for a in self.actions
            ],
            "note": self.note,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OfferTerms:
        return cls(
            amount_fen=int(data.get("amount_fen", 0)),
            payer=Side(data.get("payer", Side.RESPONDENT.value)),
            instalments=tuple(
                Instalment(date.fromisoformat(i["due"]), int(i["fen"]))
                for i in data.get("instalments", ())
            ),
            deadline=date.fromisoformat(data["deadline"]) if data.get("deadline") else None,
            actions=tuple(
                OfferAction(
                    ActionKind(a["kind"]),
                    str(a.get("detail", "")),
                    date.fromisoformat(a["deadline"]) if a.get("deadline") else None,
                )
                for a in data.get("actions", ())
            ),
            note=str(data.get("note", "")),
        )


def check_date(day: date, today: date) -> None:
    if day < today:
        raise InvalidInput("negotiation.err_date_past", {"date": day.isoformat()})
    if day > today + timedelta(days=366 * MAX_YEARS_AHEAD):
        raise InvalidInput("negotiation.err_date_far", {"date": day.isoformat()})


def yuan_to_fen(value: Decimal) -> int:
    return int((value * 100).to_integral_value())


# ---------------------------------------------------------------------------- parsing

_SEGMENT_SPLIT = re.compile(r"[;；\n]+")
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:前|之前)?")
_PAYER_APPLICANT = ("申请人支付", "申请人付", "applicant pays")
_PAYER_RESPONDENT = ("被申请人支付", "被申请人付", "respondent pays")


def _date_in(text: str) -> tuple[date | None, str]:
    """The first date in ``text`` and the text without it."""
    match = _DATE.search(text)
    if match is None:
        return None, text
    try:
        day = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise InvalidInput("negotiation.err_date_format") from None
    return day, (text[: match.start()] + " " + text[match.end() :]).strip()


def _action(segment: str, day: date | None) -> OfferAction | None:
    lowered = segment.lower()
    for kind, words in ACTION_WORDS.items():
        for word in words:
            if lowered.startswith(word):
                detail = segment[len(word) :].strip(" ：:，,")
                detail = clean_text(detail, max_len=200) if detail else ""
                return OfferAction(kind, detail, day)
    return None


def parse_terms(text: str, today: date) -> OfferTerms:
    """Terms as people type them, one item per line or separated by ；:

    ``12000`` (the total), ``2027-01-31 8000`` (an instalment: date and amount),
    ``2027-01-31`` (the deadline of a single payment), ``道歉`` / ``修复 墙面 2027-01-15`` /
    ``搬离 2027-03-01`` (actions, optionally with details and a deadline),
    ``申请人支付`` (who pays; the respondent by default), ``备注 …``.
    A total may be left out when instalments are given: it is their sum.
    """
    raw = unicodedata.normalize("NFKC", text)
    total: int | None = None
    payer = Side.RESPONDENT
    instalments: list[Instalment] = []
    actions: list[OfferAction] = []
    deadline: date | None = None
    note = ""
    for segment in (s.strip() for s in _SEGMENT_SPLIT.split(raw)):
        if not segment:
            continue
        for words, side in (
            (_PAYER_RESPONDENT, Side.RESPONDENT),
            (_PAYER_APPLICANT, Side.APPLICANT),
        ):
            word = next((w for w in words if segment.lower().startswith(w)), None)
            if word is not None:
                payer = side
                segment = segment[len(word) :].strip(" ：:，,")
                break
        if not segment:
            continue
        if segment.startswith(("备注", "note")):
            note = clean_text(
                segment.removeprefix("备注").removeprefix("note").strip(" ：:"), max_len=300
            )
            continue
        day, rest = _date_in(segment)
        action = _action(rest.strip(), day)
        if action is not None:
            actions.append(action)
            continue
        rest = rest.strip(" ：:，,")
        if not rest:
            if day is None:
                continue
            deadline = day
            continue
        try:
            fen = yuan_to_fen(parse_amount(rest))
        except InvalidInput as exc:
            raise InvalidInput("negotiation.err_segment", {"segment": segment[:40]}) from exc
        if day is not None:
            instalments.append(Instalment(day, fen))
        elif total is None:
            total = fen
        else:
            raise InvalidInput("negotiation.err_two_totals")
    instalments.sort(key=lambda i: i.due)
    amount = total if total is not None else sum(i.fen for i in instalments)
    terms = OfferTerms(amount, payer, tuple(instalments), deadline, tuple(actions), note)
    if instalments and deadline is None:
        terms = replace(terms, deadline=instalments[-1].due)
    return terms.validate(today)


# ---------------------------------------------------------------------------- the offer's life


class OfferStatus(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    COUNTERED = "countered"  # answered by a counter-offer (a new version)
    WITHDRAWN = "withdrawn"
    SUPERSEDED = "superseded"  # another offer was accepted, or the case moved on


OPEN = frozenset({OfferStatus.PROPOSED})


class Response(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    COUNTER = "counter"


class OfferRefusal(StrEnum):
    """Why a response is refused; catalog keys under ``negotiation.refused_``."""

    NOT_OPEN = "not_open"
    NOT_ADDRESSEE = "not_addressee"
    ALREADY_ANSWERED = "already_answered"
    HELD = "held"  # back-to-back: the mediator has not passed it on yet
    OWN_OFFER = "own_offer"


@dataclass(frozen=True)
class OfferView:
    """What the rules need to know about one offer."""

    status: OfferStatus
    #: The side that proposed, or None for the mediator.
    proposer: Side | None
    #: Sides that must accept (the other side; both parties for a mediator's proposal).
    needs: frozenset[Side]
    accepted_by: frozenset[Side] = field(default_factory=frozenset)
    held: bool = False


def addressees(proposer: Side | None) -> frozenset[Side]:
    """Who must accept: the other side, or both parties when the mediator proposes
    (第二十三条（四）: each party agrees for itself)."""
    if proposer is None:
        return frozenset(Side)
    return frozenset({proposer.other})


def respond(offer: OfferView, side: Side | None, response: Response) -> OfferView | OfferRefusal:
    """The offer after ``side`` answers (None: the mediator, who cannot answer offers)."""
    if offer.status not in OPEN:
        return OfferRefusal.NOT_OPEN
    if side is None or (offer.proposer is not None and side is offer.proposer):
        return OfferRefusal.OWN_OFFER if side is not None else OfferRefusal.NOT_ADDRESSEE
    if side not in offer.needs:
        return OfferRefusal.NOT_ADDRESSEE
    if offer.held:
        return OfferRefusal.HELD
    if side in offer.accepted_by:
        return OfferRefusal.ALREADY_ANSWERED
    if response is Response.REJECT:
        return replace(offer, status=OfferStatus.REJECTED)
    if response is Response.COUNTER:
        return replace(offer, status=OfferStatus.COUNTERED)
    accepted = offer.accepted_by | {side}
    status = OfferStatus.ACCEPTED if accepted >= offer.needs else OfferStatus.PROPOSED
    return replace(offer, status=status, accepted_by=accepted)


def may_withdraw(offer: OfferView, side: Side | None, by_mediator: bool) -> bool:
    """The proposer takes back an offer nobody has fully accepted yet."""
    if offer.status not in OPEN:
        return False
    if offer.proposer is None:
        return by_mediator
    return side is offer.proposer
