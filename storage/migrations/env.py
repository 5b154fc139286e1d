"""Alembic environment (async engines on SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import importlib

from alembic import context
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

config = context.config
#: The whole schema, the core's tables and every feature's, read through the composition root by
#: name: storage sits below the features whose tables it migrates.
target_metadata = importlib.import_module("app.features").metadata()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Replicas start together and each upgrades at start: one migrates, the others
            # wait here, then read the new version and find nothing to do. Released by the
            # commit (transaction-scoped).
            connection.execute(text("SELECT pg_advisory_xact_lock(7101, 1)"))
        context.run_migrations()


async def _main() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = create_async_engine(url, poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_main())
