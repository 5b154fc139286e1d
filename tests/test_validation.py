from datetime import date
from decimal import Decimal

import pytest

from mediation.masking import mask_id_number, mask_name, mask_phone, scrub_digits
from mediation.numbering import format_case_number, parse_case_number
from mediation.validation import (
    InvalidInput,
    clean_name,
    clean_text,
    id_check_digit,
    normalise_phone,
    parse_amount,
    validate_id_number,
)


def valid_id(first17: str) -> str:
    return first17 + id_check_digit(first17)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("008613812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("+447700900123", "+447700900123"),
        ("447700900123", "+447700900123"),  # Telegram contacts come without "+"
        ("１３８１２３４５６７８", "13812345678"),  # full-width digits
    ],
)
def test_phone_accepted(typed: str, expected: str) -> None:
    assert normalise_phone(typed) == expected


@pytest.mark.parametrize("typed", ["12345", "12812345678", "138123456789", "abc", "", "+12"])
def test_phone_refused(typed: str) -> None:
    with pytest.raises(InvalidInput) as err:
        normalise_phone(typed)
    assert err.value.key == "error.bad_phone"


def test_id_number_checksum_and_birthdate() -> None:
    good = valid_id("11010519491231002")
    assert good[-1] == "X"  # the GB 11643 sample number ends in X
    assert validate_id_number(good.lower()) == good
    wrong_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(InvalidInput) as err:
        validate_id_number(wrong_check)
    assert err.value.key == "error.bad_id_checksum"
    with pytest.raises(InvalidInput) as err:
        validate_id_number("1101051949123100")
    assert err.value.key == "error.bad_id_format"
    future = valid_id("11010520991231002")
    with pytest.raises(InvalidInput) as err:
        validate_id_number(future, today=date(2026, 11, 27))
    assert err.value.key == "error.bad_id_birthdate"
    feb30 = valid_id("11010519900230002")
    with pytest.raises(InvalidInput) as err:
        validate_id_number(feb30)
    assert err.value.key == "error.bad_id_birthdate"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("12000", "12000.00"),
        ("12,000元", "12000.00"),
        ("1.2万", "12000.00"),
        ("￥800", "800.00"),
        ("一万二千", "12000.00"),
        ("三千五百元", "3500.00"),
        ("一万二", "12000.00"),
        ("三千五", "3500.00"),
        ("一万零二", "10002.00"),
        ("十五", "15.00"),
        ("99.5", "99.50"),
    ],
)
def test_amounts(typed: str, expected: str) -> None:
    assert parse_amount(typed) == Decimal(expected)


@pytest.mark.parametrize("typed", ["", "abc", "-5", "0", "12元3"])
def test_bad_amounts(typed: str) -> None:
    with pytest.raises(InvalidInput):
        parse_amount(typed)


def test_clean_text_limits_and_control_chars() -> None:
    assert clean_text(" a\x00b\u2011c\u202e ", max_len=10) == "ab-c"
    with pytest.raises(InvalidInput) as err:
        clean_text("x" * 11, max_len=10)
    assert err.value.key == "error.too_long"
    assert err.value.params == {"max": 10, "length": 11}
    with pytest.raises(InvalidInput):
        clean_text("   ", max_len=10)


def test_names() -> None:
    assert clean_name("张三") == "张三"
    assert clean_name("买买提·艾力") == "买买提·艾力"
    assert clean_name("Alice  Smith") == "Alice Smith"
    for bad in ("张", "张3", "<b>x</b>", "1234"):
        with pytest.raises(InvalidInput):
            clean_name(bad)


def test_masks() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_id_number("11010519491231002X") == "110***********002X"
    assert mask_name("张三") == "张*"
    assert mask_name("Alice Smith") == "A**** S****"
    line = scrub_digits("phone 13812345678 id 11010519491231002X")
    assert "13812345678" not in line and "11010519491231002X" not in line


def test_case_numbers_round_trip() -> None:
    number = format_case_number(2026, "九调", 1)
    assert number == "（2026）九调字第0001号"
    assert parse_case_number(number) == (2026, "九调", 1)
    assert parse_case_number("nonsense") is None
    with pytest.raises(ValueError):
        format_case_number(2026, "九调", 0)


def test_an_estimate_is_read_at_intake_but_refused_where_a_party_commits() -> None:
    """Issue 19: 大概四千八 is 4,800 (approximate) at intake; an offer or a term needs a figure."""
    from mediation.validation import read_amount

    reading = read_amount("大概四千八")
    assert reading.value == Decimal("4800.00") and reading.approximate and not reading.plain
    assert read_amount("¥4,800").plain and read_amount("4800块").plain
    assert read_amount("4.8千").value == Decimal("4800.00")
    assert read_amount("四千八百元整").value == Decimal("4800.00")
    with pytest.raises(InvalidInput) as refused:
        parse_amount("4800左右")
    assert refused.value.key == "error.amount_not_exact"
    assert parse_amount("四千八") == Decimal("4800.00")


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("不知道叫什么 就是1202的", "就是1202的"),
        ("不知道他叫啥，住楼上", "住楼上"),
        ("不认识，是楼下开店的", "是楼下开店的"),
        ("不清楚", ""),
        ("跳过", ""),
        ("没有", ""),
        ("无锡某某装饰公司", None),  # a name starting with 无, not "无"
        ("张三", None),
    ],
)
def test_dont_know_is_an_answer_and_what_else_was_said_is_kept(
    typed: str, kept: str | None
) -> None:
    from mediation.validation import unknown_detail

    assert unknown_detail(typed) == kept


@pytest.mark.parametrize(
    ("typed", "name", "note", "kind"),
    [
        ("张 秀 英", "张秀英", "", "person"),
        ("李志强（装修队老板）", "李志强", "装修队老板", "person"),
        ("王芳 (房东)", "王芳", "房东", "person"),
        ("重庆某某装饰工程有限公司", "重庆某某装饰工程有限公司", "", "organisation"),
        ("某某物业服务中心（小区物业）", "某某物业服务中心", "小区物业", "organisation"),
    ],
)
def test_a_party_named_as_people_write_it(typed: str, name: str, note: str, kind: str) -> None:
    from mediation.validation import PartyName, clean_party_name

    assert clean_party_name(typed) == PartyName(name, note, kind)


@pytest.mark.parametrize("typed", ["8,600", "8600元", "¥4800", "12345"])
def test_an_amount_or_a_bare_number_is_not_a_place(typed: str) -> None:
    from mediation.validation import clean_place

    with pytest.raises(InvalidInput) as refused:
        clean_place(typed, min_len=2, max_len=200)
    assert refused.value.key == "error.place_not_a_place"
    assert clean_place("杨家坪 1202室", min_len=2, max_len=200) == "杨家坪 1202室"
