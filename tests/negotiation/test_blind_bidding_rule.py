"""The blind-bidding rule, property-tested: it settles if and only if the figures overlap, at
the midpoint (rounded down to the fen), within both figures; at most three rounds; figures may
only move towards the other side."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mediation.blind_bidding import (
    MAX_ROUNDS,
    BidRefusal,
    BidRole,
    check_figure,
    close_round,
    midpoint,
    run,
)
from mediation.offers import MAX_FEN

fen = st.integers(min_value=1, max_value=MAX_FEN)


@given(fen, fen, st.integers(min_value=1, max_value=MAX_ROUNDS))
def test_settles_iff_overlap_at_the_midpoint(payer_max: int, claimant_min: int, n: int) -> None:
    result = close_round(n, payer_max, claimant_min)
    assert result.settled == (payer_max >= claimant_min)
    if result.settled:
        assert result.amount_fen == (payer_max + claimant_min) // 2
        assert claimant_min <= result.amount_fen <= payer_max
        assert result.final
    else:
        assert result.amount_fen is None
        assert result.final == (n == MAX_ROUNDS)


@given(st.lists(st.tuples(fen, fen), min_size=1, max_size=6))
def test_a_procedure_stops_at_the_first_overlap_or_after_three_rounds(
    rounds: list[tuple[int, int]],
) -> None:
    results = run(rounds)
    assert 1 <= len(results) <= MAX_ROUNDS
    first = next((i for i, (p, c) in enumerate(rounds[:MAX_ROUNDS]) if p >= c), None)
    if first is None:
        assert not any(r.settled for r in results) and len(results) == min(len(rounds), 3)
    else:
        assert len(results) == first + 1 and results[-1].settled
        assert results[-1].amount_fen == midpoint(*rounds[first])


@given(fen, fen)
def test_figures_only_move_towards_the_other_side(previous: int, figure: int) -> None:
    payer = check_figure(BidRole.PAYER, figure, previous)
    claimant = check_figure(BidRole.CLAIMANT, figure, previous)
    assert (payer is BidRefusal.PAYER_LOWERED) == (figure < previous)
    assert (claimant is BidRefusal.CLAIMANT_RAISED) == (figure > previous)


def test_out_of_range_and_odd_sums() -> None:
    assert check_figure(BidRole.PAYER, 0, None) is BidRefusal.RANGE
    assert check_figure(BidRole.CLAIMANT, MAX_FEN + 1, None) is BidRefusal.RANGE
    assert close_round(1, 800_001, 800_000).amount_fen == 800_000  # the half fen to the payer
