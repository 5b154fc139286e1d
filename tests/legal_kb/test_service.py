"""The async service on a subset of laws.db, on SQLite and PostgreSQL: import, lookup, checks."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from legal_kb import checks, store
from legal_kb.imports import LawBatch
from legal_kb.service import KnowledgeBase
from storage.db import Database

TODAY = date(2026, 11, 27)


@pytest.fixture
async def kb(
    kb_db: Database, subset_batch: LawBatch, tmp_path: Path
) -> AsyncIterator[KnowledgeBase]:
    async with kb_db.write() as session:
        await store.upsert_laws(session, subset_batch)
    # Not started: citation checks and lookups need only the database, not the search index.
    service = KnowledgeBase(kb_db, tmp_path, today=lambda: TODAY)
    yield service
    await service.close()


def _text(batch: LawBatch, law: str, article_no: str, status: str = "现行有效") -> str:
    for record, articles in batch:
        if record.name == law and record.status == status:
            return next(a.text for a in articles if a.article_no == article_no)
    raise LookupError(law)


async def test_import_keeps_versions_and_status(kb_db: Database, subset_batch: LawBatch) -> None:
    async with kb_db.write() as session:
        stats = await store.upsert_laws(session, subset_batch)
    assert stats.added == len(subset_batch)
    async with kb_db.write() as session:
        again = await store.upsert_laws(session, subset_batch)
    assert (again.added, again.updated, again.unchanged) == (0, 0, len(subset_batch))
    async with kb_db.read() as session:
        catalog = await store.law_catalog(session)
        criminal = await store.find_article_versions(session, "中华人民共和国刑法", 287, 2)
        noise = await store.find_article_versions(session, "中华人民共和国噪声污染防治法", 1)
    statuses = {(law.name, law.status) for law in catalog}
    assert ("中华人民共和国农业法", "历史版本") in statuses
    assert ("中华人民共和国农业法", "现行有效") in statuses
    assert [a.status for a in criminal] == ["已被修改"]
    assert criminal[0].article_no == "第二百八十七条之二"
    assert [a.status for a in noise] == ["已废止"]


async def test_lookup_any_form(kb: KnowledgeBase, subset_batch: LawBatch) -> None:
    expected = _text(subset_batch, "中华人民共和国民法典", "第一千零八十四条")
    for form in ("《民法典》第一千零八十四条", "民法典1084条", "中华人民共和国民法典第1084条"):
        verdict = await kb.lookup(form)
        assert verdict is not None and verdict.ok, form
        assert verdict.article is not None and verdict.article.text == expected
    labour = await kb.lookup("劳动合同法第30条")
    assert labour is not None and labour.article is not None
    assert labour.article.text == _text(subset_batch, "中华人民共和国劳动合同法", "第三十条")
    traffic = await kb.lookup("道交法第七十六条")
    assert traffic is not None and traffic.article is not None
    assert traffic.article.law == "中华人民共和国道路交通安全法"
    assert await kb.lookup("今天天气不错") is None


async def test_check_citations(kb: KnowledgeBase) -> None:
    text = (
        "依据《民法典》第一千零八十四条、民法典第九千条、民法典1084条第九款、合同法第五十二条、"
        "噪声污染防治法第一条、刑法第二百八十七条之二、农业法第一条、《民间借贷规定》第一条。"
    )
    verdicts = await kb.check_citations(text)
    got = [(v.citation.number, v.problem, v.in_force) for v in verdicts]
    assert got == [
        (1084, None, True),
        (9000, checks.NO_SUCH_ARTICLE, False),
        (1084, checks.NO_SUCH_PARAGRAPH, True),
        (52, checks.REPEALED, False),  # learned from 民法典第一千二百六十条
        (1, checks.REPEALED, False),  # 已废止 in laws.db
        (287, None, True),
        (1, None, True),  # new text from 2027-01-01; the earlier version applies today
        (1, checks.UNKNOWN_LAW, False),
    ]
    assert verdicts[1].exists is False and "第九千条" in verdicts[1].message
    assert "民法典" in verdicts[3].message and "第一千二百六十条" in verdicts[3].message
    assert verdicts[5].status == "已被修改"
    assert verdicts[6].article is not None and verdicts[6].article.status == "历史版本"


async def test_not_yet_effective_then_effective(
    kb_db: Database, subset_batch: LawBatch, tmp_path: Path
) -> None:
    async with kb_db.write() as session:
        await store.upsert_laws(session, subset_batch)
    later = KnowledgeBase(kb_db, tmp_path, today=lambda: date(2027, 6, 1))
    # 第一百一十五条 exists only in the new text, which applies from 2027-01-01.
    [before] = await KnowledgeBase(kb_db, tmp_path, today=lambda: TODAY).check_citations(
        "农业法第一百一十五条"
    )
    [after] = await later.check_citations("农业法第一百一十五条")
    assert (before.problem, before.in_force) == (checks.NOT_YET_EFFECTIVE, False)
    assert (after.problem, after.in_force) == (None, True)


async def test_current_text(kb: KnowledgeBase, subset_batch: LawBatch) -> None:
    article = await kb.current_text("劳动合同法", 30)
    assert article is not None
    assert article.text == _text(subset_batch, "中华人民共和国劳动合同法", "第三十条")
    assert await kb.current_text("劳动合同法", "第三十条") == article
    assert await kb.current_text("噪声污染防治法", 1) is None
    assert await kb.current_text("不存在法", 1) is None


async def test_search_and_dispute_filter(kb: KnowledgeBase) -> None:
    await kb.start()
    hits = await kb.search("用人单位拖欠劳动报酬", top=5)
    assert hits and all(h.text for h in hits)
    assert kb.status().keyword_ready and not kb.status().dense_ready
    family = await kb.articles_for_dispute("marriage_family", "离婚后孩子的抚养费", top=5)
    assert family
    assert all(h.law_short == "民法典" and 1040 <= (h.number or 0) <= 1163 for h in family)


async def test_new_import_is_picked_up(kb: KnowledgeBase, kb_db: Database) -> None:
    await kb.start()
    before = kb.status().version
    async with kb_db.write() as session:
        await store.bump_content_version(session)
    await kb.refresh()
    assert kb.status().version not in (None, before)
    assert await kb.search("劳动报酬", top=1)


async def test_empty_kb(kb_db: Database, tmp_path: Path) -> None:
    service = KnowledgeBase(kb_db, tmp_path)
    await service.start()
    assert await service.search("拖欠工资") == []
    assert not service.status().keyword_ready
    [verdict] = await service.check_citations("民法典第一条")
    assert verdict.problem == checks.UNKNOWN_LAW
    await service.close()


async def test_dense_built_in_background_and_work_off_the_loop(
    kb_db: Database, subset_batch: LawBatch, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from legal_kb.engine import SearchEngine
    from tests.legal_kb.test_search import BigramEncoder

    async with kb_db.write() as session:
        await store.upsert_laws(session, subset_batch)
    messages: list[str] = []
    service = KnowledgeBase(kb_db, tmp_path, encoder=BigramEncoder(), progress=messages.append)
    await service.start()
    assert service.status().keyword_ready  # keyword search serves while dense is built
    for _ in range(200):
        if service.status().dense_ready:
            break
        await asyncio.sleep(0.05)
    status = service.status()
    assert status.dense_ready and status.dense_done == status.dense_total > 0
    assert "dense search ready" in messages
    threads: list[str] = []
    original = SearchEngine.search

    def recording(self: SearchEngine, *args: object, **kwargs: object) -> object:
        threads.append(threading.current_thread().name)
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(SearchEngine, "search", recording)
    hits = await service.search("老板拖欠工资三个月怎么办", top=3)
    assert hits and {h.via for h in hits} <= {"both", "dense", "citation"}
    assert threads and threads[0].startswith("kb")
    await service.close()


async def test_an_amended_law_is_never_called_in_force(kb: KnowledgeBase) -> None:
    """/law and /ask quote what the knowledge base says of a rule: an article of a law amended
    since (刑法 in the subset is 已被修改) is marked so, and its card does not say 现行有效."""
    from features.lawyers.assistant import card_reply
    from i18n import translate
    from legal_kb.records import kind_label

    verdict = await kb.lookup("刑法第二百八十七条之二")
    assert verdict is not None and verdict.article is not None
    article = verdict.article
    assert article.status == "已被修改"
    assert kind_label(article.law_kind, article.status) == "（已被修改）"
    assert kind_label("法律", "现行有效") == ""
    for language, amended, in_force in (
        ("zh-CN", "已被修改", "现行有效"),
        ("en", "since been amended", "checked: in force"),
    ):
        card = translate(
            language, card_reply("刑法第二百八十七条之二", None, article.text, article.status).text
        )
        assert amended in card and in_force not in card
        current = translate(
            language, card_reply("民法典第一千零八十四条", None, "……", "现行有效").text
        )
        assert in_force in current and amended not in current
    for language, doubt in (("zh-CN", "效力待核实"), ("en", "validity to be checked")):
        card = translate(
            language, card_reply("出口退税托管帐户规定第一条", None, "……", "效力待核实").text
        )
        assert doubt in card and "现行有效" not in card and "checked: in force" not in card
