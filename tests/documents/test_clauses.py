"""Reusable agreement clauses per dispute type."""

from __future__ import annotations

import pytest

from documents.clauses import COMMON_CLAUSES, DISPUTE_TYPES, clause, clauses_for, fill
from documents.errors import MissingFieldsError

CODES = (
    "marriage_family",
    "neighbour",
    "labour_wages",
    "private_lending",
    "renovation",
    "consumer",
    "property_management",
    "property_lease",
    "contract",
    "traffic_accident",
    "injury_damage",
    "land_housing",
    "other",
)


def test_dispute_type_codes() -> None:
    assert tuple(DISPUTE_TYPES) == CODES


@pytest.mark.parametrize("code", CODES)
def test_each_type_has_own_clauses_that_fill(code: str) -> None:
    items = clauses_for(code)
    own = [item for item in items if item.dispute_type == code]
    assert len(own) >= 2
    assert items[-len(COMMON_CLAUSES) :] == COMMON_CLAUSES
    for item in items:
        values = {
            name: "2026-12-31"
            if name.endswith("date")
            else "1200"
            if name.endswith("amount")
            else "甲"
            for name in item.fields
        }
        text = fill(item, values)
        assert "{" not in text and "}" not in text


def test_amounts_and_dates_are_spelled_out() -> None:
    text = fill(
        clause("pl_repay"),
        {
            "debtor": "乙方",
            "creditor": "甲方",
            "due_date": "2026-12-31",
            "amount": "25000",
            "interest": "不计利息",
        },
    )
    assert text == (
        "乙方于2026年12月31日前向甲方归还借款本金人民币25,000.00元（大写：贰万伍仟元整），不计利息。"
    )


def test_missing_blanks_are_all_reported() -> None:
    with pytest.raises(MissingFieldsError) as info:
        fill(clause("pl_repay"), {"debtor": "乙方", "amount": ""})
    assert info.value.fields == ("due_date", "creditor", "amount", "interest")


def test_unknown_type() -> None:
    with pytest.raises(KeyError):
        clauses_for("weather")
