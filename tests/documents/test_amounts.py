"""Chinese capital numerals (大写金额) and amount parsing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from documents.amounts import AmountError, format_amount, parse_amount, to_capital

_DIGIT = {c: i for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")}
_SMALL = {"拾": 10, "佰": 100, "仟": 1000}


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("12000", "壹万贰仟元整"),
        (0, "零元整"),
        ("0.5", "伍角"),
        ("0.05", "伍分"),
        ("0.55", "伍角伍分"),
        (1, "壹元整"),
        (10, "壹拾元整"),
        (15, "壹拾伍元整"),
        (101, "壹佰零壹元整"),
        (110, "壹佰壹拾元整"),
        ("100.05", "壹佰元零伍分"),
        ("1680.32", "壹仟陆佰捌拾元叁角贰分"),
        ("16409.02", "壹万陆仟肆佰零玖元零贰分"),
        ("325.04", "叁佰贰拾伍元零肆分"),
        ("107000.53", "壹拾万柒仟元伍角叁分"),
        (100010, "壹拾万零壹拾元整"),
        (1000000, "壹佰万元整"),
        (10000100, "壹仟万零壹佰元整"),
        (100000000, "壹亿元整"),
        (100000001, "壹亿零壹元整"),
        (1001000000, "壹拾亿零壹佰万元整"),
        ("25000.00", "贰万伍仟元整"),
        ("1,234,567.89", "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"),
        ("30000元", "叁万元整"),
        (Decimal("61800.00"), "陆万壹仟捌佰元整"),
    ],
)
def test_to_capital(amount: Decimal | int | str, expected: str) -> None:
    assert to_capital(amount) == expected


@pytest.mark.parametrize("bad", ["-1", "1.234", "abc", "NaN", "Infinity", 1.5, True, "1e20"])
def test_refuses_non_amounts(bad: object) -> None:
    with pytest.raises(AmountError):
        to_capital(bad)  # type: ignore[arg-type]


def test_format_amount() -> None:
    assert format_amount("12000") == "12,000.00"
    assert format_amount(Decimal("0.5")) == "0.50"
    assert parse_amount(" 8,650.5 元") == Decimal("8650.50")


def _parse_capital(text: str) -> Decimal:
    """Independent reader of capital numerals, to check the writer by round trip."""
    text = text.removesuffix("整")
    yuan_part, _, cents_part = text.partition("元") if "元" in text else ("", "", text)
    total = 0
    section = 0
    digit = 0
    for char in yuan_part:
        if char in _DIGIT:
            digit = _DIGIT[char]
        elif char in _SMALL:
            section += digit * _SMALL[char]
            digit = 0
        elif char == "万":
            total += (section + digit) * 10_000
            section = digit = 0
        elif char == "亿":
            total = (total + section + digit) * 100_000_000
            section = digit = 0
    total += section + digit
    cents = 0
    jiao = cents_part.find("角")
    if jiao > 0:
        cents += _DIGIT[cents_part[jiao - 1]] * 10
    fen = cents_part.find("分")
    if fen > 0:
        cents += _DIGIT[cents_part[fen - 1]]
    return Decimal(total) + Decimal(cents) / 100


@given(st.integers(min_value=0, max_value=99_999_999_999_999))
def test_round_trip(cents: int) -> None:
    amount = Decimal(cents) / 100
    text = to_capital(amount)
    assert _parse_capital(text) == amount
    assert "零零" not in text
    assert not text.startswith("零") or text == "零元整"
