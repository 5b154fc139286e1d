"""Chinese numerals and article numbers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from legal_kb.numerals import cn_to_int, format_article_no, int_to_cn, parse_article_no


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("一千零八十四", 1084),
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("一百零五", 105),
        ("一百二十", 120),
        ("两百", 200),
        ("一千二百六十", 1260),
        ("一〇八四", 1084),
        ("1084", 1084),
        ("１０８４", 1084),
        ("零", 0),
    ],
)
def test_cn_to_int(text: str, value: int) -> None:
    assert cn_to_int(text) == value


@pytest.mark.parametrize("text", ["", "条", "一x", "abc"])
def test_cn_to_int_rejects(text: str) -> None:
    assert cn_to_int(text) is None


def test_int_to_cn_as_laws_write_it() -> None:
    assert int_to_cn(1084) == "一千零八十四"
    assert int_to_cn(10) == "十"
    assert int_to_cn(110) == "一百一十"
    assert int_to_cn(1001) == "一千零一"


@given(st.integers(min_value=1, max_value=99999))
def test_round_trip(n: int) -> None:
    assert cn_to_int(int_to_cn(n)) == n


def test_article_numbers() -> None:
    assert parse_article_no("第一千零八十四条") == (1084, 0)
    assert parse_article_no("第一百二十条之一") == (120, 1)
    assert parse_article_no("第30条") == (30, 0)
    assert parse_article_no("条目一") is None
    assert format_article_no(287, 2) == "第二百八十七条之二"
