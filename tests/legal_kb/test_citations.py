"""Finding citations in free text, in every usual form."""

from __future__ import annotations

import pytest

from legal_kb.citations import extract_citations, parse_citation
from legal_kb.names import NameResolver

NAMES = [
    "中华人民共和国民法典",
    "中华人民共和国劳动法",
    "中华人民共和国劳动合同法",
    "中华人民共和国道路交通安全法",
    "中华人民共和国刑法",
    "中华人民共和国人民调解法",
    "中华人民共和国民事诉讼法",
    "中华人民共和国治安管理处罚法",
    "中华人民共和国消费者权益保护法",
    "中华人民共和国妇女权益保障法",
    "中华人民共和国未成年人保护法",
]


@pytest.fixture(scope="module")
def resolver() -> NameResolver:
    return NameResolver(NAMES)


@pytest.mark.parametrize(
    ("text", "law", "number", "suffix"),
    [
        ("《民法典》第一千零八十四条", "中华人民共和国民法典", 1084, 0),
        ("《中华人民共和国民法典》第一千零八十四条", "中华人民共和国民法典", 1084, 0),
        ("民法典1084条", "中华人民共和国民法典", 1084, 0),
        ("民法典第1084条", "中华人民共和国民法典", 1084, 0),
        ("根据劳动合同法第30条", "中华人民共和国劳动合同法", 30, 0),
        ("劳动法第五十条", "中华人民共和国劳动法", 50, 0),
        ("道交法第七十六条", "中华人民共和国道路交通安全法", 76, 0),
        ("道路交通安全法第七十六条", "中华人民共和国道路交通安全法", 76, 0),
        ("刑法第二百八十七条之二", "中华人民共和国刑法", 287, 2),
        ("人民调解法第三十三条", "中华人民共和国人民调解法", 33, 0),
        ("民诉法第一百二十二条", "中华人民共和国民事诉讼法", 122, 0),
        ("依照治安管理处罚法第四十三条", "中华人民共和国治安管理处罚法", 43, 0),
        ("消保法第五十五条", "中华人民共和国消费者权益保护法", 55, 0),
        ("妇女权益保障法第一条", "中华人民共和国妇女权益保障法", 1, 0),
        ("未成年人保护法第一条", "中华人民共和国未成年人保护法", 1, 0),
    ],
)
def test_forms(resolver: NameResolver, text: str, law: str, number: int, suffix: int) -> None:
    found = parse_citation(text, resolver)
    assert found is not None
    assert (found.law, found.number, found.suffix) == (law, number, suffix)


def test_paragraph_and_item(resolver: NameResolver) -> None:
    found = parse_citation("《民法典》第一千零八十四条第二款第（三）项", resolver)
    assert found is not None
    assert (found.number, found.paragraph, found.item) == (1084, 2, 3)
    assert found.canonical == "《中华人民共和国民法典》第一千零八十四条第二款第（三）项"
    assert found.short == "《民法典》第一千零八十四条"


def test_law_carries_over_in_a_list(resolver: NameResolver) -> None:
    text = "依据《民法典》第一千零八十四条、第一千零八十五条和第1086条，以及劳动合同法第30条"
    found = extract_citations(text, resolver)
    assert [(c.law, c.number) for c in found] == [
        ("中华人民共和国民法典", 1084),
        ("中华人民共和国民法典", 1085),
        ("中华人民共和国民法典", 1086),
        ("中华人民共和国劳动合同法", 30),
    ]
    assert text[found[0].start : found[0].end] == "《民法典》第一千零八十四条"


def test_back_reference(resolver: NameResolver) -> None:
    found = extract_citations("劳动合同法第三十条规定……依照该法第八十五条", resolver)
    assert [(c.law, c.number) for c in found] == [
        ("中华人民共和国劳动合同法", 30),
        ("中华人民共和国劳动合同法", 85),
    ]


def test_unknown_law_is_reported_not_guessed(resolver: NameResolver) -> None:
    found = extract_citations("根据婚姻法第三十二条，以及《民间借贷规定》第二十五条", resolver)
    assert [(c.law, c.law_written, c.number) for c in found] == [
        (None, "婚姻法", 32),
        (None, "民间借贷规定", 25),
    ]


def test_name_suffix_is_not_a_back_reference(resolver: NameResolver) -> None:
    # 合同法 ends like 同法 ("the same law") but is the (repealed) Contract Law.
    found = extract_citations("《民法典》第五条，合同法第五十二条", resolver)
    assert [(c.law, c.law_written) for c in found][1] == (None, "合同法")


@pytest.mark.parametrize("text", ["我有3条建议", "第三条路", "第二条", "合同第五条约定"])
def test_not_citations(resolver: NameResolver, text: str) -> None:
    assert extract_citations(text, resolver) == []
