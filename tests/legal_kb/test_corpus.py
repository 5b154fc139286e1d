"""The shipped legal corpus (issue 22): reading the archive, versions and status, repeals, the
import into the database (SQLite and PostgreSQL), idempotence and typical cases.

Statute text comes from the shipped archive itself (legal_kb/data), never from this file.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from legal_kb import store
from legal_kb.importers import corpus
from legal_kb.imports import LawBatch, import_corpus
from legal_kb.models import KbCase, KbLaw
from legal_kb.service import KnowledgeBase
from storage.db import Database

TODAY = date(2026, 12, 6)
INJURY = "最高人民法院关于审理人身损害赔偿案件适用法律若干问题的解释"
LENDING = "最高人民法院关于审理民间借贷案件适用法律若干问题的规定"
CIVIL_PROCEDURE = "最高人民法院关于适用《中华人民共和国民事诉讼法》的解释"
MARRIAGE_2 = "最高人民法院关于适用《中华人民共和国婚姻法》若干问题的解释（二）"
PROSECUTION_TRIAL = "人民检察院刑事诉讼规则（试行）"
#: Files of the archive used by the database tests (a small corpus with every behaviour).
PICK = (
    "司法解释/最高人民法院关于审理人身损害赔偿案件适用法律若干问题的解释(2020-12-29).md",
    "司法解释/最高人民法院关于审理人身损害赔偿案件适用法律若干问题的解释(2022-04-04).md",
    "司法解释/最高人民法院关于审理人身损害赔偿案件适用法律若干问题的解释(2022-04-24).md",
    "司法解释/最高人民法院关于审理民间借贷案件适用法律若干问题的规定(2020-12-29).md",
    "司法解释/最高人民法院关于适用《婚姻法》若干问题的解释（二）(2003-12-25).md",
    "司法解释/人民检察院刑事诉讼规则（试行）(2012-11-22).md",
    "司法解释/人民检察院刑事诉讼规则(2019-12-02).md",
    "司法解释/最高人民法院关于审理劳动争议案件适用法律问题的解释（一）(2020-12-29).md",
    "行政法规/人民调解委员会组织条例(1989-06-16).md",
    "部门规章/公安部/公安机关办理行政案件程序规定(2019-04-27).md",
    "重庆地方性法规/重庆市合同格式条款监督条例(2010-07-30).md",
    "案例/劳动人事/加班费的仲裁时效应当如何认定.md",
    "案例/消费购物/张某等人诉某销售公司、孟某某服务合同纠纷案.md",
)


@pytest.fixture(scope="module")
def shipped() -> corpus.CorpusBatch:
    return corpus.read_corpus()


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    """A directory holding :data:`PICK`, copied out of the shipped archive."""
    root = tmp_path / "legal-corpus"
    files = dict(corpus.iter_files(corpus.ARCHIVE))
    for rel in PICK:
        if rel not in files:  # the file names of the archive are part of the test's contract
            pytest.fail(f"{rel} is not in the shipped corpus")
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files[rel], encoding="utf-8")
    return root


def _docs(batch: corpus.CorpusBatch, name: str) -> list[corpus.CorpusDoc]:
    return sorted(
        (d for d in batch.docs if d.law.name == name),
        key=lambda d: d.law.version_date or date.min,
    )


def test_archive_holds_every_kind(shipped: corpus.CorpusBatch) -> None:
    kinds = Counter(d.law.kind for d in shipped.docs)
    # 修改决定: decisions that only amend other documents (kept, not searched).
    assert set(kinds) == {"司法解释", "行政法规", "部门规章", "地方性法规", "修改决定"}
    assert kinds["司法解释"] > 400 and kinds["行政法规"] > 600 and kinds["地方性法规"] > 90
    assert len(shipped.cases) > 50
    # Only files without any body are left out, each with its reason.
    assert all(why.startswith("no article") for _, why in shipped.skipped)
    assert len(shipped.skipped) <= 5
    assert all(d.law.version_date is not None for d in shipped.docs)
    for doc in shipped.docs:
        assert (doc.law.region == "重庆") == (doc.law.kind == "地方性法规")
        assert doc.articles and all(a.text for a in doc.articles)


def test_issuing_body_and_department(shipped: corpus.CorpusBatch) -> None:
    (police,) = _docs(shipped, "公安机关办理行政案件程序规定")
    assert (police.law.kind, police.law.department, police.law.issuing_body) == (
        "部门规章",
        "公安部",
        "公安部",
    )
    (committee,) = _docs(shipped, "人民调解委员会组织条例")
    assert (committee.law.kind, committee.law.issuing_body) == ("行政法规", "国务院")
    (lending,) = _docs(shipped, LENDING)
    assert lending.law.issuing_body == "最高人民法院"
    local = next(d for d in shipped.docs if d.law.name == "重庆市合同格式条款监督条例")
    assert local.law.issuing_body and local.law.issuing_body.startswith("重庆市")


def test_versions_newest_current_others_historical(shipped: corpus.CorpusBatch) -> None:
    injury = _docs(shipped, INJURY)
    # Three files, two versions: the 2022 text was published twice under two file dates.
    assert [d.law.status for d in injury] == ["历史版本", "现行有效"]
    old, new = injury
    assert new.law.version_date == date(2022, 2, 15)
    assert new.law.effective_date == date(2022, 5, 1)
    assert old.law.note == "已被2022-02-15的版本取代"
    procedure = _docs(shipped, CIVIL_PROCEDURE)
    assert [d.law.status for d in procedure] == ["历史版本", "现行有效"]
    assert any(a.article_no == "第三百五十五条" for a in procedure[-1].articles)
    # One current version per title, whatever the kind.
    current = Counter((d.law.kind, d.law.name) for d in shipped.docs if d.law.status == "现行有效")
    assert max(current.values()) == 1


def test_repeals_by_later_documents_and_by_repealed_laws(shipped: corpus.CorpusBatch) -> None:
    repealed_laws = {"婚姻法": "已于2021-01-01起依《民法典》第一千二百六十条废止"}
    docs = corpus.apply_repeals(shipped.docs, repealed_laws)
    by_name = {d.law.name: d for d in docs if d.law.status != "历史版本"}
    trial = by_name[PROSECUTION_TRIAL]
    assert trial.law.status == "已废止"
    assert trial.law.note is not None and "《人民检察院刑事诉讼规则》" in trial.law.note
    assert by_name["人民检察院刑事诉讼规则"].law.status == "现行有效"
    marriage = by_name[MARRIAGE_2]
    assert marriage.law.status == "已废止"
    assert marriage.law.note is not None and "婚姻法" in marriage.law.note
    assert by_name[LENDING].law.status == "现行有效"


async def test_import_is_idempotent_with_progress(
    kb_db: Database, subset_batch: LawBatch, small_corpus: Path, tmp_path: Path
) -> None:
    async with kb_db.write() as session:
        await store.upsert_laws(session, subset_batch)  # 民法典 (repeals 婚姻法) and others
    messages: list[str] = []
    stats = await import_corpus(kb_db, small_corpus, messages.append, today=TODAY)
    assert stats.laws.added == 10  # 11 statute files, two of them one version
    assert stats.duplicates == 1
    assert any("articles" in m for m in messages) and "corpus import done" in messages[-1]
    again = await import_corpus(kb_db, small_corpus, today=TODAY)
    assert again.unchanged_archive
    forced = await import_corpus(kb_db, small_corpus, force=True, today=TODAY)
    assert (forced.laws.added, forced.laws.updated) == (0, 0)
    assert forced.cases.unchanged == 2

    async with kb_db.read() as session:
        catalog = {(law.name, law.status): law for law in await store.law_catalog(session)}
        lending = await store.find_article_versions(session, LENDING, 25)
        injury = await store.find_article_versions(session, INJURY, 12)
    assert (MARRIAGE_2, "已废止") in catalog
    assert (PROSECUTION_TRIAL, "已废止") in catalog
    assert catalog[("重庆市合同格式条款监督条例", "现行有效")].region == "重庆"
    assert lending[0].law_kind == "司法解释" and lending[0].in_force
    assert [a.status for a in injury] == ["现行有效", "历史版本"]

    # A file gone from the corpus is gone from the base.
    (small_corpus / PICK[8]).unlink()
    shrunk = await import_corpus(kb_db, small_corpus, today=TODAY)
    assert shrunk.removed == 1
    async with kb_db.read() as session:
        count = await session.execute(
            select(func.count()).select_from(KbLaw).where(KbLaw.name == "人民调解委员会组织条例")
        )
    assert count.scalar_one() == 0


async def test_cases_parsed_and_citations_verified(
    kb_db: Database, subset_batch: LawBatch, small_corpus: Path, tmp_path: Path
) -> None:
    async with kb_db.write() as session:
        await store.upsert_laws(session, subset_batch)
    stats = await import_corpus(kb_db, small_corpus, today=TODAY)
    assert stats.cases.added == 2
    async with kb_db.read() as session:
        rows = (await session.execute(select(KbCase).order_by(KbCase.key))).scalars().all()
    cases = {c.title: c for c in rows}
    overtime = cases["加班费的仲裁时效应当如何认定"]
    assert overtime.dispute_type == "labour_wages"
    assert overtime.facts.startswith("张某于2016年7月入职")
    assert "诉讼请求" in overtime.facts
    assert overtime.outcome.startswith("一审法院判决")
    assert "特别仲裁时效" in overtime.analysis
    # Cited articles of laws in the base are verified; the others are kept with the reason.
    assert "《中华人民共和国劳动法》第四十四条" in overtime.citations
    assert any("关于工资总额组成的规定" in u for u in overtime.unverified)
    prepaid = next(c for c in rows if c.dispute_type == "consumer")
    assert prepaid.outcome and prepaid.facts

    kb = KnowledgeBase(kb_db, tmp_path, today=lambda: TODAY)
    try:
        similar = await kb.similar_cases("公司不给加班费，已经离职半年了还能要吗", top=1)
    finally:
        await kb.close()
    assert similar and similar[0].title == "加班费的仲裁时效应当如何认定"
    assert similar[0].analysis


def test_archive_is_reproducible(tmp_path: Path) -> None:
    """Packing the archive's own content again gives the same bytes (a stable corpus hash)."""
    root = tmp_path / "legal-corpus"
    for rel, text in corpus.iter_files(corpus.ARCHIVE):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    first = corpus.pack(root, tmp_path / "a.tar.xz")
    second = corpus.pack(root, tmp_path / "b.tar.xz")
    assert corpus.corpus_hash(first) == corpus.corpus_hash(second)
    assert dict(corpus.iter_files(first)) == dict(corpus.iter_files(corpus.ARCHIVE))


async def test_ensure_corpus_once(sqlite_kb: Database, small_corpus: Path) -> None:
    """The start-up step: imports once, then reports nothing to do."""
    from legal_kb.imports import ensure_corpus

    assert await ensure_corpus(sqlite_kb, source=small_corpus) is True
    assert await ensure_corpus(sqlite_kb, source=small_corpus) is False
    assert await ensure_corpus(sqlite_kb, source=small_corpus.parent / "missing") is False
