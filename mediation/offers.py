"""Structured offers (调解方案 / 报价): terms, validation, and the life of an offer (proposed → accepted, rejected, countered or withdrawn).

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

Money is an integer number of fen (分) everywhere: no float ever touches a sum. What people
type becomes terms in ``mediation.offer_text``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise
from typing import Any

from mediation.validation import InvalidInput

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
        """The terms, or :class:`TermsInvalid` naming every problem (catalog keys)."""
        found = self.problems(today)
        if found:
            raise TermsInvalid(found)
        return self

    def problems(self, today: date) -> list[InvalidInput]:
        """Every problem of these terms, in the order a person fixes them."""
        out: list[InvalidInput] = []
        if self.amount_fen < 0 or self.amount_fen > MAX_FEN:
            out.append(InvalidInput("negotiation.err_amount"))
        if not self.amount_fen and not self.actions:
            out.append(InvalidInput("negotiation.err_empty"))
        if len(self.instalments) > MAX_INSTALMENTS:
            out.append(
                InvalidInput("negotiation.err_too_many_instalments", {"max": MAX_INSTALMENTS})
            )
        if len(self.actions) > MAX_ACTIONS:
            out.append(InvalidInput("negotiation.err_too_many_actions", {"max": MAX_ACTIONS}))
        if self.amount_fen and not self.instalments and self.deadline is None:
            out.append(InvalidInput("negotiation.err_no_date"))
        if self.instalments:
            if sum(i.fen for i in self.instalments) != self.amount_fen:
                out.append(InvalidInput("negotiation.err_instalment_sum"))
            if any(i.fen <= 0 for i in self.instalments):
                out.append(InvalidInput("negotiation.err_amount"))
            dates = [i.due for i in self.instalments]
            if any(b <= a for a, b in pairwise(dates)):
                out.append(InvalidInput("negotiation.err_instalment_order"))
        out += date_problems(self._dates(), today)
        return unique(out)

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


class TermsInvalid(InvalidInput):
    """Terms with one or more problems: ``problems`` lists them all (people fix everything
    at once); ``key`` and ``params`` are the first, for callers that show one."""

    def __init__(self, problems: list[InvalidInput]) -> None:
        super().__init__(problems[0].key, problems[0].params)
        self.problems = tuple(problems)


def unique(problems: list[InvalidInput]) -> list[InvalidInput]:
    out: list[InvalidInput] = []
    for p in problems:
        if not any(p.key == q.key and p.params == q.params for q in out):
            out.append(p)
    return out


def date_problems(days: list[date], today: date) -> list[InvalidInput]:
    out: list[InvalidInput] = []
    for day in days:
        if day < today:
            out.append(InvalidInput("negotiation.err_date_past", {"date": day.isoformat()}))
        elif day > today + timedelta(days=366 * MAX_YEARS_AHEAD):
            out.append(InvalidInput("negotiation.err_date_far", {"date": day.isoformat()}))
    return out


def yuan_to_fen(value: Decimal) -> int:
    return int((value * 100).to_integral_value())


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
