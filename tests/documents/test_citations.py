"""Citation finding and checking; no document prints a citation the base cannot verify."""

from __future__ import annotations

import copy

import pytest

from documents.catalog import SPC_CONFIRMATION
from documents.citations import (
    CitationProblem,
    FoundCitation,
    LawRef,
    StatuteCitationChecker,
    article_no_from_int,
    find_citations,
    format_refs,
)
from documents.errors import CitationError, StatuteUnavailableError
from documents.registry import document_keys, get_spec, load_sample
from documents.render import DocumentRenderer
from legal_kb.statutes import LawsDbStatutes

MED = "中华人民共和国人民调解法"


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (1, "第一条"),
        (10, "第十条"),
        (15, "第十五条"),
        (20, "第二十条"),
        (110, "第一百一十条"),
        (205, "第二百零五条"),
        (1076, "第一千零七十六条"),
        (1208, "第一千二百零八条"),
        (1000, "第一千条"),
    ],
)
def test_article_numbers(number: int, text: str) -> None:
    assert article_no_from_int(number) == text


def test_find_citations() -> None:
    text = (
        f"依照《{MED}》第二十八条、第二十九条和《中华人民共和国民事诉讼法》第205条的规定；"
        "《人民调解协议书》第二条不是法律；《中华人民共和国民法典》第一千零七十六条第一款。"
    )
    assert list(find_citations(text)) == [
        FoundCitation(MED, "第二十八条"),
        FoundCitation(MED, "第二十九条"),
        FoundCitation("中华人民共和国民事诉讼法", "第二百零五条"),
        FoundCitation("中华人民共和国民法典", "第一千零七十六条"),
    ]


def test_format_refs_groups_by_law() -> None:
    refs = [LawRef(MED, "第二十八条"), LawRef("B法", "第一条"), LawRef(MED, "第二十九条")]
    assert format_refs(refs) == f"《{MED}》第二十八条、第二十九条；《B法》第一条"


def test_checker_against_laws_db(statutes: LawsDbStatutes) -> None:
    checker = StatuteCitationChecker(statutes)
    assert checker.check(f"《{MED}》第二十九条") == []
    problems = checker.check(f"《{MED}》第九十九条；《{SPC_CONFIRMATION}》第三条")
    assert [(p.law, p.article_no) for p in problems] == [
        (MED, "第九十九条"),
        (SPC_CONFIRMATION, "第三条"),
    ]


@pytest.mark.parametrize("key", document_keys())
def test_every_sample_passes_the_check_and_cites_its_basis(
    key: str, statutes: LawsDbStatutes
) -> None:
    renderer = DocumentRenderer(statutes)
    prepared = renderer.prepare(key, load_sample(key))
    found = set(find_citations(prepared.text))
    spec = get_spec(key)
    if spec.print_basis:
        assert {FoundCitation(r.law, r.article_no) for r in spec.printed_laws} <= found
    assert SPC_CONFIRMATION not in prepared.text


def test_unverifiable_citation_in_user_text_stops_rendering(statutes: LawsDbStatutes) -> None:
    ctx = copy.deepcopy(load_sample("mediation_agreement"))
    ctx["facts"] += f"甲方称依据《{MED}》第九十九条应当赔偿。"
    with pytest.raises(CitationError) as info:
        DocumentRenderer(statutes).prepare("mediation_agreement", ctx)
    assert info.value.problems == (CitationProblem(MED, "第九十九条", "not in the statute base"),)


def test_custom_checker_sees_final_text(statutes: LawsDbStatutes) -> None:
    seen: list[str] = []

    class Recorder:
        def check(self, text: str) -> list[CitationProblem]:
            seen.append(text)
            return []

    DocumentRenderer(statutes, Recorder()).prepare("iou_loan", load_sample("iou_loan"))
    assert "借条" in seen[0] and "陈晓东" in seen[0] and "<" not in seen[0]


def test_quoted_statute_text_comes_from_the_source(statutes: LawsDbStatutes) -> None:
    prepared = DocumentRenderer(statutes).prepare("rights_notice", load_sample("rights_notice"))
    for article in ("第三条", "第二十三条", "第二十四条"):
        quoted = statutes.article_text(MED, article)
        assert quoted is not None
        assert "".join(quoted.split()) in "".join(prepared.text.split())

    class Empty:
        def article_text(self, law: str, article_no: str) -> str | None:
            return None

    with pytest.raises(StatuteUnavailableError):
        DocumentRenderer(Empty(), StatuteCitationChecker(statutes)).prepare(
            "rights_notice", load_sample("rights_notice")
        )
