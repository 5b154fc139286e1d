"""Which numbers typed into the room are personal (mediation.masking, issue 19): mobiles,
居民身份证号码 and bank cards are masked; amounts, dates and case numbers are left alone."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mediation.masking import find_personal_numbers, luhn_ok, mask_personal_numbers
from mediation.validation import id_check_digit


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        (
            "我电话13912345678，身份证500101199001011234",
            "我电话139****5678，身份证5001**********1234",
        ),
        ("139 1234 5678", "139****5678"),
        ("139-1234-5678", "139****5678"),
        ("138.1234.5678", "138****5678"),
        ("+86 139 1234 5678", "139****5678"),
        ("8613912345678", "139****5678"),
        ("1 3 9 1 2 3 4 5 6 7 8", "139****5678"),
        ("身份证11010519491231002x", "身份证1101**********002x"),
        ("卡号 6222 0212 3456 7890 128 转账", "卡号 6222***********0128 转账"),
        ("4111111111111111", "4111********1111"),
        ("欠12000元，电话13912345678，2026年付", "欠12000元，电话139****5678，2026年付"),
    ],
)
def test_personal_numbers_are_masked(typed: str, shown: str) -> None:
    assert mask_personal_numbers(typed) == shown


@pytest.mark.parametrize(
    "typed",
    [
        "欠款12000元",
        "一共12,000.00元",
        "1200000",
        "2026-12-31前付清",
        "20261231",
        "2026年12月31日",
        "（2026）示调字第0001号",
        "座机023-68881234",
        "12345678901",  # 11 digits, not a mobile prefix
        "139123456789",  # 12 digits: not a mobile
        "4111111111111112",  # 16 digits failing Luhn
        "12345678901234567890123",  # too long for any
        "sha 3f13912345678ab",  # inside a hash
        "版本 v1.13912345678",
        "3.1415926535897932",  # a decimal
    ],
)
def test_what_only_looks_long_is_left_alone(typed: str) -> None:
    assert mask_personal_numbers(typed) == typed
    assert find_personal_numbers(typed) == []


def _id(body: str) -> str:
    return body + id_check_digit(body)


def _card(body: str) -> str:
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
ids = st.from_regex(
    r"[1-6][0-9]{5}(19[0-9]{2}|20[0-2][0-9])(0[1-9]|1[0-2])(0[1-9]|[12][0-9])[0-9]{3}",
    fullmatch=True,
).map(_id)
cards = st.from_regex(r"62[0-9]{13,16}", fullmatch=True).map(_card)
filler = st.text(alphabet="我的电话是，。号码卡身份证元年月日 ", max_size=8)
#: Two numbers typed with nothing between them are one long run, which is no number at all.
apart = st.text(alphabet="我的电话是，。号码卡身份证元年月日", min_size=1, max_size=8)


@settings(max_examples=60)
@given(st.lists(st.tuples(apart, st.one_of(mobiles, ids, cards)), min_size=1, max_size=4), filler)
def test_every_personal_number_in_free_text_is_hidden(
    parts: list[tuple[str, str]], tail: str
) -> None:
    text = "".join(f"{before}{number}" for before, number in parts) + tail
    masked = mask_personal_numbers(text)
    for _before, number in parts:
        assert number not in masked
        assert number[-4:] in masked  # the last four stay, for the reader to recognise it
    assert len(find_personal_numbers(text)) == len(parts)


@settings(max_examples=60)
@given(
    st.integers(min_value=0, max_value=10**9),
    st.dates(),
    st.integers(min_value=1, max_value=9999),
)
def test_amounts_dates_and_case_numbers_pass_untouched(
    amount: int, day: object, serial: int
) -> None:
    text = f"金额{amount}元，{amount:,}.00元，{day}前，{str(day).replace('-', '')}，（2026）示调字第{serial:04d}号"
    assert mask_personal_numbers(text) == text


@settings(max_examples=60)
@given(st.text(max_size=300))
def test_masking_twice_changes_nothing_more(text: str) -> None:
    masked = mask_personal_numbers(text)
    assert mask_personal_numbers(masked) == masked  # masking twice changes nothing more
