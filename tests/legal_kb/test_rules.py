"""The rules people ask about are quoted from the interpretation that holds them (issue 22):
the interest cap (民间借贷规定), damages standards (人身损害赔偿解释), time limits; with the kind
of document and its status; in /ask answers and the intake's hints. Local regulations only for
the units' region. Statute text comes from laws.db and the shipped archive only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

import pytest

from features.lawyers.assistant import ArticleRef, answer
from legal_kb import store
from legal_kb.disputes import DISPUTE_TYPES
from legal_kb.engine import SearchFilters
from legal_kb.importers import corpus
from legal_kb.importers.lawsdb import default_path, read_laws_db
from legal_kb.imports import LawBatch, import_corpus
from legal_kb.names import short_title
from legal_kb.service import KnowledgeBase
from storage.db import Database

TODAY = date(2026, 12, 6)
FILES = (
    "司法解释/最高人民法院关于审理民间借贷案件适用法律若干问题的规定(2020-12-29).md",
    "司法解释/最高人民法院关于审理人身损害赔偿案件适用法律若干问题的解释(2020-12-29).md",
    "司法解释/最高人民法院关于审理人身损害赔偿案件适用法律若干问题的解释(2022-04-24).md",
    "司法解释/最高人民法院关于审理劳动争议案件适用法律问题的解释（一）(2020-12-29).md",
    "重庆地方性法规/重庆市合同格式条款监督条例(2010-07-30).md",
)


#: The law holding the labour arbitration time limit (not in the shared subset).
ARBITRATION_LAW = "中华人民共和国劳动争议调解仲裁法"


@pytest.fixture(scope="module")
def arbitration_law() -> LawBatch:
    return read_laws_db(default_path(), (ARBITRATION_LAW,))


@asynccontextmanager
async def knowledge_base(
    db: Database, laws: LawBatch, tmp_path: Path, files: tuple[str, ...]
) -> AsyncIterator[KnowledgeBase]:
    """A started knowledge base over `laws` and these files of the shipped archive, imported
    on TODAY: each test names the interpretations its rule lives in, nothing else is there."""
    root = tmp_path / "legal-corpus"
    archive = dict(corpus.iter_files(corpus.ARCHIVE))
    for rel in files:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(archive[rel], encoding="utf-8")
    async with db.write() as session:
        await store.upsert_laws(session, laws)
    await import_corpus(db, root, today=TODAY)
    service = KnowledgeBase(db, tmp_path, today=lambda: TODAY)
    await service.start()
    try:
        yield service
    finally:
        await service.close()


@pytest.fixture
async def kb(
    sqlite_kb: Database, subset_batch: LawBatch, arbitration_law: LawBatch, tmp_path: Path
) -> AsyncIterator[KnowledgeBase]:
    laws = [*subset_batch, *arbitration_law]
    async with knowledge_base(sqlite_kb, laws, tmp_path, FILES) as service:
        yield service


async def test_interest_cap_from_the_lending_rules(kb: KnowledgeBase) -> None:
    hits = await kb.key_rules("借给朋友五万元，约定月息三分，利息最高能要多少？", "private_lending")
    assert hits, "no rule found"
    top = hits[0]
    assert top.law_short == "民间借贷规定"
    assert "利率" in top.text and top.in_force
    assert top.labelled_citation == f"{top.citation}（司法解释，现行有效）"


async def test_damages_standard_from_the_current_version(kb: KnowledgeBase) -> None:
    hits = await kb.key_rules("被邻居打伤住院，医药费和误工费怎么赔？", "injury_damage")
    assert hits and hits[0].law_short == "人身损害赔偿解释"
    assert hits[0].status == "现行有效"  # the 2022 version, not the historical 2020 one
    assert any(word in hits[0].text for word in ("医疗费", "误工费"))


async def test_no_rule_without_the_topic(kb: KnowledgeBase) -> None:
    assert await kb.key_rules("离婚后孩子归谁", "marriage_family") == []


async def first_shown(kb: KnowledgeBase, question: str) -> ArticleRef:
    """The first article the assistant shows for ``question`` (asked without a case type);
    there must be one."""
    result = await answer(kb, question, dispute_type=None)
    assert result.articles, "no article shown"
    return result.articles[0]


async def test_assistant_quotes_the_interpretation_with_status(kb: KnowledgeBase) -> None:
    first = await first_shown(kb, "借钱给同事，借条上写的年利率30%，法院支持吗")
    assert first.citation.startswith("《民间借贷规定》")
    assert first.citation.endswith("（司法解释，现行有效）")


async def test_assistant_quotes_the_damages_standard_with_status(kb: KnowledgeBase) -> None:
    first = await first_shown(kb, "被邻居打伤住院，医药费和误工费怎么赔？")
    assert first.citation.startswith("《人身损害赔偿解释》第")
    assert first.citation.endswith("（司法解释，现行有效）")
    assert any(word in first.text for word in ("医疗费", "误工费"))


LOAN = "借钱给同事，借条上写的年利率30%，法院支持吗"


async def test_a_question_off_the_cases_subject_is_answered_from_its_own_law(
    kb: KnowledgeBase,
) -> None:
    """A party in a neighbours' case asks about a loan: the loan's law answers, not the
    neighbours' (the case's type narrowed every question before: 治安管理处罚法 for a loan)."""
    in_case = await answer(kb, LOAN, dispute_type="neighbour")
    alone = await answer(kb, LOAN, dispute_type=None)
    assert in_case.articles == alone.articles
    assert in_case.articles[0].citation.startswith("《民间借贷规定》")
    assert in_case.dispute_type == alone.dispute_type != "neighbour"


async def test_a_question_on_the_cases_subject_is_answered_from_its_law(kb: KnowledgeBase) -> None:
    result = await answer(
        kb, "楼上邻居家水管漏水，把我家天花板泡坏了，谁来赔", dispute_type="neighbour"
    )
    assert result.dispute_type == "neighbour" and result.articles
    scopes = DISPUTE_TYPES["neighbour"].scopes
    for art in result.articles:
        law = short_title(art.law)
        assert any(s.law == law and s.covers(art.number) for s in scopes), art.citation


async def test_arbitration_time_limit_from_the_law_that_holds_it(kb: KnowledgeBase) -> None:
    """劳动争议解释（一） is searched first; it has no article on the time limit, so the rule is
    quoted from the arbitration law, checked and in force (national law: no kind label)."""
    question = "公司拖欠我工资，已经离职一年多了，还能申请劳动仲裁吗？仲裁时效是多久"
    (rule,) = await kb.key_rules(question, "labour_wages")
    assert rule.law == ARBITRATION_LAW and "仲裁时效" in rule.text and rule.in_force
    result = await answer(kb, question, dispute_type="labour_wages")
    assert result.articles[0].citation == rule.citation
    assert "仲裁时效" in result.articles[0].text


async def test_dispute_scope_includes_its_interpretation(kb: KnowledgeBase) -> None:
    # A cited article is found only inside the filter's scope.
    inside = await kb.articles_for_dispute("private_lending", "民间借贷规定第二十五条", top=1)
    assert [h.law_short for h in inside] == ["民间借贷规定"]
    outside = await kb.articles_for_dispute("labour_wages", "民间借贷规定第二十五条", top=1)
    assert all(h.law_short != "民间借贷规定" for h in outside)


async def test_local_rules_only_for_the_units_region(kb: KnowledgeBase) -> None:
    question = "格式条款 监督"
    elsewhere = await kb.search(question, top=10, filters=SearchFilters(kinds=("地方性法规",)))
    assert elsewhere == []  # no region configured: no local regulation at all
    kb.set_regions(("重庆",))
    here = await kb.search(question, top=10, filters=SearchFilters(kinds=("地方性法规",)))
    assert here and all(h.law.startswith("重庆市") for h in here)


@pytest.mark.parametrize(
    ("files", "kind", "summary", "quoted"),
    [
        pytest.param(
            FILES[0:1],
            "private_lending",
            "借给老乡三万元，约定月息两分，到期不还，利息能要多少",
            "《民间借贷规定》",
            id="interest-cap",
        ),
        pytest.param(
            FILES[1:3],
            "injury_damage",
            "在小区被邻居家的狗咬伤，打了疫苗花了医疗费，误工三天，对方不肯赔",
            "《人身损害赔偿解释》第",
            id="damages-standard-current-version",
        ),
    ],
)
async def test_intake_hints_quote_the_interpretation(
    sqlite_db: Database,
    subset_batch: LawBatch,
    tmp_path: Path,
    files: tuple[str, ...],
    kind: str,
    summary: str,
    quoted: str,
) -> None:
    """After filing: the hint quotes the interpretation that holds the rule (the interest cap of
    民间借贷规定; 人身损害赔偿解释 in its current version) with its kind and status."""
    from features.intake.hints import suggest_law
    from services.delivery import Address

    async with knowledge_base(sqlite_db, subset_batch, tmp_path, files) as service:
        to = Address("telegram", "42", "zh-CN")
        queued = await suggest_law(sqlite_db, service, to, kind, summary)
    (message,) = queued
    text = message.payload["text"]
    assert quoted in text and "（司法解释，现行有效）" in text
