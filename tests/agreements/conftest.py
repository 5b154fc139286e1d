"""One render pool and one seal key per test session: spawning WeasyPrint workers costs ~1.5 s
and an RSA-3072 key ~1 s, and every end-to-end test here needs both."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from documents.pool import RenderPool
from documents.seal import Sealer
from legal_kb.statutes import LawsDbStatutes


@pytest.fixture(scope="session")
def statutes() -> Iterator[LawsDbStatutes]:
    source = LawsDbStatutes()
    yield source
    source.close()


@pytest.fixture(scope="session")
def render_pool(statutes: LawsDbStatutes) -> Iterator[RenderPool]:
    """Two workers shared by every test of the directory (the pool holds no loop state)."""
    pool = RenderPool(2, statutes=statutes, timeout=120)
    asyncio.run(pool.start())
    yield pool
    asyncio.run(pool.close())


@pytest.fixture(scope="session")
def seal(tmp_path_factory: pytest.TempPathFactory) -> Sealer:
    return Sealer.from_directory(
        tmp_path_factory.mktemp("seal") / "keys", organisation="示范人民调解委员会"
    )
