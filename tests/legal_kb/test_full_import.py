"""The whole of laws.db and the shipped corpus, as on a first start (slow: tens of seconds)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.config import Settings
from legal_kb import store
from legal_kb.imports import ensure_kb
from legal_kb.models import KbArticle, KbLaw
from legal_kb.service import KnowledgeBase
from storage.db import Database


@pytest.mark.slow
async def test_first_start_imports_everything(sqlite_kb: Database, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url=sqlite_kb.url)
    messages: list[str] = []
    await ensure_kb(sqlite_kb, settings, messages.append)
    await ensure_kb(sqlite_kb, settings, messages.append)  # second start: nothing to do
    assert sum(m.startswith("import done") for m in messages) == 1
    assert sum(m.startswith("corpus import done") for m in messages) == 1
    assert "corpus unchanged" in messages[-1]
    national = KbLaw.key.startswith("lawsdb:")
    async with sqlite_kb.read() as session:
        laws = (
            await session.execute(select(func.count()).select_from(KbLaw).where(national))
        ).scalar_one()
        articles = (
            await session.execute(
                select(func.count())
                .select_from(KbArticle)
                .join(KbLaw, KbLaw.id == KbArticle.law_id)
                .where(national)
            )
        ).scalar_one()
        docs = await store.index_docs(session)
    assert (laws, articles) == (378, 26196)
    kinds = {d.law_kind for d in docs}
    assert sum(d.law_kind in ("法律", "宪法", "立法解释") for d in docs) == 23721
    assert {"司法解释", "行政法规", "部门规章", "地方性法规"} <= kinds
    assert all(d.status in ("现行有效", "已被修改", "效力待核实") for d in docs)
    kb = KnowledgeBase(sqlite_kb, tmp_path)
    await kb.start()
    hits = await kb.search("离婚后孩子由谁抚养", top=5)
    assert any(h.citation == "《民法典》第一千零八十四条" for h in hits)
    await kb.close()
