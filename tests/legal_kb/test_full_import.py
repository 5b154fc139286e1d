"""The whole of laws.db, as on a first start (slow: a few tens of seconds on two cores)."""

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
    assert sum("import done" in m for m in messages) == 1
    async with sqlite_kb.read() as session:
        laws = (await session.execute(select(func.count()).select_from(KbLaw))).scalar_one()
        articles = (await session.execute(select(func.count()).select_from(KbArticle))).scalar_one()
        indexed = len(await store.index_docs(session))
    assert (laws, articles) == (378, 26196)
    assert indexed == 23721  # in force, amendments (修正案, 修改决定) left out
    kb = KnowledgeBase(sqlite_kb, tmp_path)
    await kb.start()
    hits = await kb.search("离婚后孩子由谁抚养", top=5)
    assert any(h.citation == "《民法典》第一千零八十四条" for h in hits)
    await kb.close()
