"""The hint after filing stays within the dispute's field of law, or is not sent (issue 19).

The issue's case: a 装修 dispute was shown 民法典 第九百六十七条 (合伙合同) and 第三百零一条 (共有).
Precision is measured by ``benchmarks/intake_hints.py``; here, what must always hold."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from features.intake.hints import in_field, select_articles, suggest_law
from legal_kb import store
from legal_kb.imports import LawBatch
from legal_kb.service import KnowledgeBase
from services.delivery import Address
from storage.db import Database

TODAY = date(2026, 12, 6)
RENOVATION = (
    "去年请装修队装修新房，和老板合伙买的材料，完工后卫生间漏水、墙面开裂，共有的墙也裂了，"
    "找老板返工一直拖着不来。\n返工修好漏水，或者退还部分装修款"
)


async def test_hints_come_from_the_disputes_field_or_not_at_all(
    sqlite_db: Database, subset_batch: LawBatch, tmp_path: Path
) -> None:
    async with sqlite_db.write() as session:
        await store.upsert_laws(session, subset_batch)
    kb = KnowledgeBase(sqlite_db, tmp_path, today=lambda: TODAY)
    await kb.start()
    try:
        # Unfiltered, the search does reach the articles the issue saw for these words …
        anywhere = await kb.articles_for_dispute("other", RENOVATION, top=10)
        assert any(h.number in (967, 301) or not in_field("renovation", h) for h in anywhere)
        # … the hint for a 装修 dispute never does.
        shown = await select_articles(kb, "renovation", RENOVATION)
        assert len(shown) <= 1
        assert all(in_field("renovation", h) and h.number not in (967, 301) for h in shown)
        # "其他" has no field of law: nothing is sent rather than a guess.
        to = Address("telegram", "42", "zh-CN")
        assert await suggest_law(sqlite_db, kb, to, "other", RENOVATION) == []
    finally:
        await kb.close()
