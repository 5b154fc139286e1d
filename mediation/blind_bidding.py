"""Blind bidding (双盲报价) for money claims: the rule, with money in integer fen.

Why: a money dispute often stalls because neither side wants to name a figure first. Each side
names a confidential figure — the payer the most it will pay, the claimant the least it will
accept. If the payer's maximum reaches the claimant's minimum, the case settles at the midpoint;
if not, nobody learns anything but that fact, and the next round begins (three at most).

Rules, all here and all pure:

- both parties opt in first (人民调解法 第三条（一）and 第二十三条（四）: mediation is voluntary
  and an agreement is reached of the parties' own will; neither can be made to bid);
- a figure is a whole number of fen, at least 1 fen and at most ``MAX_FEN``;
- round by round a party may only move towards the other: the payer's maximum may not fall,
  the claimant's minimum may not rise (otherwise a bidder could probe and retreat);
- the midpoint of two figures whose sum is odd is rounded down to the fen (the half fen goes to
  the payer; stated to both before they opt in);
- figures are never part of any result except the settlement amount: :class:`RoundResult`
  carries only ``settled`` and ``amount_fen``;
- the settlement is the midpoint, so it tells each side the other's figure exactly (twice the
  midpoint minus one's own): the invitation says so before anyone opts in;
- a case has at most ``MAX_BIDDINGS`` biddings that reached a round (:func:`may_start`), and
  after a settlement a party cannot start another one: only the mediator can. Why: every
  "no overlap" tells a bidder that the other figure lies beyond theirs, and a settlement tells
  them the other figure; unlimited replays would turn the procedure into a probe of the other
  side's limit — the opposite of a confidential figure named once per round.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from mediation.offers import MAX_FEN, Side

MAX_ROUNDS = 3
#: Biddings per case that opened a round (a declined invitation does not count).
MAX_BIDDINGS = 2


class BidRole(StrEnum):
    PAYER = "payer"  # names the most it will pay
    CLAIMANT = "claimant"  # names the least it will accept


class BiddingStatus(StrEnum):
    OPT_IN = "opt_in"  # waiting for both parties to agree to bid
    OPEN = "open"  # a round is running
    SETTLED = "settled"
    NO_OVERLAP = "no_overlap"  # MAX_ROUNDS rounds without overlap
    CANCELLED = "cancelled"


class BidRefusal(StrEnum):
    """Why a figure is refused; catalog keys under ``negotiation.bid_err_``."""

    RANGE = "range"
    PAYER_LOWERED = "payer_lowered"
    CLAIMANT_RAISED = "claimant_raised"
    NOT_OPEN = "not_open"
    ALREADY = "already"


class StartRefusal(StrEnum):
    """Why a new bidding may not start; catalog keys under ``negotiation.bid_refused_``."""

    SETTLED = "settled"  # the case settled by bidding: only the mediator may start another
    LIMIT = "limit"  # MAX_BIDDINGS already ran


def may_start(
    earlier: list[tuple[BiddingStatus, int]], *, by_mediator: bool
) -> StartRefusal | None:
    """Whether a new bidding may start after the case's ``earlier`` ones, each given as its
    status and the round it reached (0: never opened, so it revealed nothing)."""
    ran = [status for status, reached in earlier if reached >= 1]
    if len(ran) >= MAX_BIDDINGS:
        return StartRefusal.LIMIT
    if BiddingStatus.SETTLED in ran and not by_mediator:
        return StartRefusal.SETTLED
    return None


def role_of(side: Side, payer: Side) -> BidRole:
    return BidRole.PAYER if side is payer else BidRole.CLAIMANT


def midpoint(payer_max: int, claimant_min: int) -> int:
    """Half-way between the two figures, rounded down to the fen."""
    return (payer_max + claimant_min) // 2


def overlaps(payer_max: int, claimant_min: int) -> bool:
    return payer_max >= claimant_min


@dataclass(frozen=True)
class RoundResult:
    """What may be told to anyone about a finished round: nothing but the outcome."""

    round: int
    settled: bool
    amount_fen: int | None
    final: bool  # no further round follows (settled, or the last round failed)


def check_figure(role: BidRole, figure: int, previous: int | None) -> BidRefusal | None:
    """None when ``figure`` is acceptable after the same party's ``previous`` figure."""
    if not 1 <= figure <= MAX_FEN:
        return BidRefusal.RANGE
    if previous is not None:
        if role is BidRole.PAYER and figure < previous:
            return BidRefusal.PAYER_LOWERED
        if role is BidRole.CLAIMANT and figure > previous:
            return BidRefusal.CLAIMANT_RAISED
    return None


def close_round(round_no: int, payer_max: int, claimant_min: int) -> RoundResult:
    """Both figures of a round are in: settle at the midpoint if they overlap."""
    if not 1 <= round_no <= MAX_ROUNDS:
        raise ValueError(f"round {round_no} outside 1..{MAX_ROUNDS}")
    if overlaps(payer_max, claimant_min):
        return RoundResult(round_no, True, midpoint(payer_max, claimant_min), True)
    return RoundResult(round_no, False, None, round_no >= MAX_ROUNDS)


def run(rounds: list[tuple[int, int]]) -> list[RoundResult]:
    """Every round's result for a sequence of (payer_max, claimant_min): stops at the first
    settlement or after ``MAX_ROUNDS``. Used by the property tests and the demo."""
    out: list[RoundResult] = []
    for i, (payer_max, claimant_min) in enumerate(rounds[:MAX_ROUNDS], 1):
        result = close_round(i, payer_max, claimant_min)
        out.append(result)
        if result.final:
            break
    return out
