"""The /verify upload limits are shared by replicas: counted in the database.

Two "replicas" are two ``Database`` pools (and two limiters) on one database, as two processes
would have. On SQLite and PostgreSQL: hits through either count towards one limit, the window
slides, keys are separate and stored only as digests; on PostgreSQL, a burst of concurrent
requests through both replicas lets exactly ``limit`` through (the advisory lock makes
count-then-insert exact). Then the web route itself: two apps on one database, alternating,
refuse the upload after the per-address limit in total, not per app.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from core.clock import FakeClock
from services.rate_limits import SharedRateLimiter
from storage.db import Database
from storage.models import RateHit
from tests.backends import BACKENDS
from tests.conftest import PG_URL, fresh_database, postgres_unavailable
from tests.console.conftest import make_world
from tests.security.conftest import verifiable_agreement
from web.security import VERIFY_PER_ADDRESS


@pytest.fixture(params=BACKENDS)
async def replicas(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[Database, Database]]:
    if request.param == "postgres":
        if postgres_unavailable():
            pytest.skip(str(postgres_unavailable()))
        url = PG_URL
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    first = await fresh_database(url)
    second = Database(url)
    yield first, second
    await second.dispose()
    await first.dispose()


async def test_replicas_share_one_limit_and_the_window_slides(
    replicas: tuple[Database, Database],
) -> None:
    clock = FakeClock()
    a, b = (SharedRateLimiter(db, "verify.address", 3, 600.0, now=clock.now) for db in replicas)
    assert [await a.retry_after("10.0.0.1"), await b.retry_after("10.0.0.1")] == [0, 0]
    assert await a.retry_after("10.0.0.1") == 0
    assert await b.retry_after("10.0.0.1") == pytest.approx(600.0)  # the 4th, on replica b
    assert await a.retry_after("10.0.0.2") == 0  # per address
    clock.advance(seconds=300)
    assert await a.retry_after("10.0.0.1") == pytest.approx(300.0)
    clock.advance(seconds=301)
    assert await b.retry_after("10.0.0.1") == 0  # the first three have left the window
    async with replicas[0].read() as session:
        rows = (await session.execute(select(RateHit.bucket, RateHit.key_hash))).all()
    assert rows and all(len(k) == 64 and "10.0.0" not in k for _, k in rows)  # digests only
    assert len(rows) <= 3  # expired hits of the key are deleted as it goes


@pytest.mark.postgres
async def test_a_concurrent_burst_through_two_replicas_lets_exactly_the_limit_through() -> None:
    if postgres_unavailable():
        pytest.skip(str(postgres_unavailable()))
    first = await fresh_database(PG_URL)
    second = Database(PG_URL)
    try:
        clock = FakeClock()
        limiters = [
            SharedRateLimiter(db, "verify.all", 10, 600.0, now=clock.now) for db in (first, second)
        ]
        waits = await asyncio.gather(*(limiters[i % 2].retry_after("*") for i in range(30)))
        assert sum(1 for w in waits if w == 0) == 10
    finally:
        await second.dispose()
        await first.dispose()


def _pdf_form() -> FormData:
    form = FormData()
    form.add_field("file", b"not a pdf", filename="a.pdf", content_type="application/pdf")
    return form


async def test_the_verify_route_counts_uploads_across_two_apps(tmp_path: Path) -> None:
    from web.app import create_app

    url = f"sqlite+aiosqlite:///{tmp_path / 'web.db'}"
    db_a = await fresh_database(url)
    db_b = Database(url)
    world = await make_world(db_a, tmp_path)
    # The second replica: its own pool on the same database, its own web app and limiters.
    replica = dataclasses.replace(world.runtime, db=db_b)
    # Uploads count once the link is right (issue 21: junk to made-up ids counted before).
    async with db_a.write() as session:
        session.add(verifiable_agreement(world.cases["wage"], "key"))
    try:
        async with (
            TestClient(TestServer(create_app(world.runtime))) as a,
            TestClient(TestServer(create_app(replica))) as b,
        ):
            statuses: list[int] = []
            for i in range(VERIFY_PER_ADDRESS[0] + 2):
                client: TestClient[Any, Any] = (a, b)[i % 2]
                resp = await client.post("/verify/doc1?k=key", data=_pdf_form())
                statuses.append(resp.status)
        limit = VERIFY_PER_ADDRESS[0]
        assert 429 not in statuses[:limit] and statuses[limit:] == [429, 429]
    finally:
        await db_b.dispose()
        await db_a.dispose()
