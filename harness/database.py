"""The databases the benchmarks build on: a PostgreSQL emptied before each run."""

from __future__ import annotations

from storage.db import Database


async def empty_postgres(url: str) -> None:
    """Everything in the PostgreSQL database at ``url`` dropped (tables and Alembic's version
    table alike), so the run builds its schema from nothing."""
    database = Database(url)
    try:
        async with database.write_engine.begin() as conn:
            await conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            await conn.exec_driver_sql("CREATE SCHEMA public")
    finally:
        await database.dispose()
