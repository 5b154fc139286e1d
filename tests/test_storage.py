"""Storage guarantees on SQLite and PostgreSQL: no lost updates, aware times, encrypted PII."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, text

from core import crypto
from services.cases import next_sequence
from storage.db import Database
from storage.models import Timer, Unit, User


async def _unit(db: Database) -> None:
    async with db.write() as s:
        s.add(Unit(code="u1", name="测试调委会", level="committee", case_prefix="测调", areas=[]))


async def test_concurrent_number_allocation_loses_nothing(db: Database) -> None:
    await _unit(db)

    async def take() -> int:
        async with db.write() as s:
            return await next_sequence(s, "u1", 2026)

    numbers = await asyncio.gather(*(take() for _ in range(50)))
    assert sorted(numbers) == list(range(1, 51))
    async with db.write() as s:
        assert await next_sequence(s, "u1", 2027) == 1  # a new year starts again


async def test_read_modify_write_under_concurrency(db: Database) -> None:
    """51 concurrent increments of one row through the ORM: the right answer is 51."""
    async with db.write() as s:
        s.add(Timer(key="counter", kind="test", due_at=datetime.now(UTC), payload={"n": 0}))

    async def increment() -> None:
        async with db.write() as s:
            row = (
                await s.execute(select(Timer).where(Timer.key == "counter").with_for_update())
            ).scalar_one()
            await asyncio.sleep(0)  # give other tasks every chance to interleave
            row.payload = {"n": row.payload["n"] + 1}

    await asyncio.gather(*(increment() for _ in range(51)))
    async with db.read() as s:
        row = (await s.execute(select(Timer).where(Timer.key == "counter"))).scalar_one()
    assert row.payload["n"] == 51


async def test_times_come_back_aware_and_naive_is_refused(db: Database) -> None:
    shanghai = timezone(timedelta(hours=8))
    at = datetime(2026, 11, 27, 17, 30, tzinfo=shanghai)
    async with db.write() as s:
        s.add(Timer(key="t", kind="test", due_at=at))
    async with db.read() as s:
        row = (await s.execute(select(Timer).where(Timer.key == "t"))).scalar_one()
    assert row.due_at.tzinfo is not None and row.due_at == at
    with pytest.raises(Exception, match="naive"):
        async with db.write() as s:
            s.add(Timer(key="naive", kind="test", due_at=datetime(2026, 1, 1)))


async def test_personal_data_is_encrypted_at_rest(db: Database) -> None:
    async with db.write() as s:
        s.add(
            User(telegram_id=42, phone="13812345678", phone_hash=crypto.blind_index("13812345678"))
        )
    async with db.read() as s:
        raw = (await s.execute(text("SELECT phone FROM users WHERE telegram_id = 42"))).scalar_one()
        user = (await s.execute(select(User).where(User.telegram_id == 42))).scalar_one()
    assert b"13812345678" not in bytes(raw)
    assert user.phone == "13812345678"
    assert user.phone_hash == crypto.blind_index("13812345678")


async def test_migrations_match_the_models(tmp_path: Path) -> None:
    """`db upgrade` builds exactly the schema the models describe (no forgotten migration)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from app.features import metadata
    from storage.migrate import upgrade

    url = f"sqlite+aiosqlite:///{tmp_path / 'migrated.db'}"
    await asyncio.to_thread(upgrade, url)
    db = Database(url)
    try:
        async with db.write_engine.connect() as conn:
            diff = await conn.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), metadata())
            )
    finally:
        await db.dispose()
    assert diff == []
