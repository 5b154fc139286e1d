"""Typed per-chat state: a variant slot gives back what was stored, in the JSON shape the state
has always had, and a value that no longer reads is over rather than a crash."""

from __future__ import annotations

import pytest

from features.agreements.common import PENDING as AGREEMENT_INPUT
from features.agreements.common import AwaitCourtName, AwaitTypedName
from features.negotiation.common import PENDING as NEGOTIATION_INPUT
from features.negotiation.common import AwaitFigure, AwaitTerms, Previewing
from services.chat_state import variant_slot


@pytest.mark.parametrize(
    ("slot", "value", "stored"),
    [
        (NEGOTIATION_INPUT, AwaitFigure(7, 2), {"kind": "bid", "bidding": 7, "round": 2}),
        (NEGOTIATION_INPUT, AwaitTerms(3), {"kind": "terms", "case": 3, "parent": None}),
        (
            NEGOTIATION_INPUT,
            Previewing(3, {"amount": 1}, 9),
            {"kind": "preview", "case": 3, "terms": {"amount": 1}, "parent": 9},
        ),
        (AGREEMENT_INPUT, AwaitTypedName(4, "ab"), {"kind": "typed", "doc": 4, "sha": "ab"}),
        (
            AGREEMENT_INPUT,
            AwaitCourtName(5, "party"),
            {"kind": "jc_court", "jc": 5, "basis": "party"},
        ),
    ],
)
def test_round_trip_in_the_old_shape(slot: object, value: object, stored: object) -> None:
    assert slot.encode(value) == stored  # type: ignore[attr-defined]
    assert slot.read({slot.key: stored}) == value  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "raw", [{"kind": "bid"}, {"kind": "gone", "case": 1}, "bid", 7, {"case": 1}]
)
def test_a_value_that_no_longer_reads_is_none(raw: object) -> None:
    assert NEGOTIATION_INPUT.read({NEGOTIATION_INPUT.key: raw}) is None
    assert NEGOTIATION_INPUT.read({}) is None


def test_a_kind_declared_twice_is_refused() -> None:
    with pytest.raises(ValueError):
        variant_slot("x", AwaitTerms, AwaitTerms)
