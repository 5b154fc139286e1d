"""Memory bounds the 30-minute soak relies on (docs/reliability.md §3, "Memory").

SQLite's page caches are allocated in C, invisible to tracemalloc, and fill as the database
grows: each connection ``Database`` opens must hold at most ``PAGE_CACHE_KIB``, whatever the
size of the file it reads. Measured with ``sqlite3_memory_used()`` of the process's real
libsqlite3, against a control connection with SQLite's default cache.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from core.memprobe import sqlite_memory_used
from storage.db import PAGE_CACHE_KIB, Database

BOUND = PAGE_CACHE_KIB * 1024
#: Per cached page SQLite adds a header (~200 bytes on 4 KiB pages) to the page itself.
SLACK = 1.15
SCAN = "SELECT sum(length(b)) FROM t"

pytestmark = pytest.mark.skipif(
    sqlite_memory_used() is None, reason="sqlite3 is not a shared libsqlite3 here"
)


def _used() -> int:
    used = sqlite_memory_used()
    assert used is not None
    return used


@pytest.fixture
def big_db(tmp_path: Path) -> Path:
    """A 16 MB table, one row per page: a full scan touches every page."""
    path = tmp_path / "big.db"
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)")
    con.executemany("INSERT INTO t (b) VALUES (?)", ((os.urandom(3000),) for _ in range(4000)))
    con.commit()
    con.close()
    return path


def test_default_cache_would_exceed_the_bound(big_db: Path) -> None:
    """Control: without the bound a single scan keeps far more than PAGE_CACHE_KIB cached
    (so the test below can fail)."""
    con = sqlite3.connect(big_db)
    try:
        before = _used()
        con.execute(SCAN).fetchone()
        assert _used() - before > 1.5 * BOUND
    finally:
        con.close()


async def test_every_connection_keeps_its_page_cache_within_the_bound(big_db: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{big_db}", pool_size=2)
    try:
        for opener in (db.write, db.read, db.write, db.read):
            async with opener() as session:
                size = (await session.execute(text("PRAGMA cache_size"))).scalar_one()
                assert size == -PAGE_CACHE_KIB
                before = _used()
                assert (await session.execute(text(SCAN))).scalar_one() == 3000 * 4000
                # The pages stay cached after the scan: this is what a soak's RSS would keep.
                assert _used() - before <= SLACK * BOUND
        # Two readers at once, each scanning: two caches, each bounded.
        async with db.read() as r1, db.read() as r2:
            before = _used()
            await r1.execute(text(SCAN))
            await r2.execute(text(SCAN))
            assert _used() - before <= 2 * SLACK * BOUND
    finally:
        await db.dispose()


async def test_memory_probe_writes_what_it_promises(tmp_path: Path) -> None:
    """MEMORY_PROBE_FILE's records: RSS, malloc, SQLite, Python objects, gauges, tracemalloc."""
    import asyncio
    import json
    import tracemalloc

    from core.memprobe import MemoryProbe

    chats: dict[int, int] = {}
    probe = MemoryProbe(
        tmp_path / "probe.jsonl", every=0.05, frames=2, gauges={"chats": chats.__len__}
    )
    was_tracing = tracemalloc.is_tracing()
    await probe.start()
    try:
        for i in range(3):
            chats[i] = i
            await asyncio.sleep(0.06)
        await probe.stop()
    finally:
        if not was_tracing:
            tracemalloc.stop()
    records = [json.loads(line) for line in (tmp_path / "probe.jsonl").read_text().splitlines()]
    assert len(records) >= 3
    last = records[-1]
    assert last["rss_mb"] > 0 and last["gauges"] == {"chats": 3}
    assert last["py"]["gc_objects"] > 0 and last["py"]["top_types"]
    assert "in_use_mb" in last["malloc"] and last["sqlite"]["used_mb"] >= 0
    assert "since_prev" in last["tracemalloc"] and "since_first" in last["tracemalloc"]
