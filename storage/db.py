"""Engines and transactions, with the same guarantees on SQLite and PostgreSQL.

Why two paths: on SQLite a plain ``BEGIN`` lets two writers read the same row and lose one
update, and WAL + busy timeout alone gives "database is locked". So writes go through one
connection under an in-process lock and start with ``BEGIN IMMEDIATE`` (which also serialises
against other processes such as the CLI), while reads run concurrently on a separate pool.
On PostgreSQL both paths share one pool; code that read-modify-writes a row must lock it with
``SELECT … FOR UPDATE`` (``with_for_update()``), which SQLite ignores harmlessly.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import AsyncAdaptedQueuePool

from storage import sqlite_inline

#: How long a write waits for another process's SQLite write lock before giving up.
WRITE_LOCK_WAIT = 15.0

#: SQLite page cache per connection, in KiB. Why explicit: SQLite's caches live in C, out of
#: tracemalloc's sight, and fill as the database grows; with SQLite's default (2,000 KiB) the
#: service's 11 connections could hold ≈22 MB. At 1 MiB the ceiling is (1 writer + pool_size
#: readers) × 1 MiB, 11 MiB by default; the soak measured no CPU difference down to 256 KiB
#: (docs/reliability.md §3, "Memory over the 30-minute soak"), since the OS caches the file.
PAGE_CACHE_KIB = 1024


def insert_for(dialect: str) -> Callable[..., Any]:
    """``insert`` with ``on_conflict_do_…`` for the given dialect (SQLite and PostgreSQL share
    the same API, so upserts are written once)."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def session_dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind is not None else "sqlite"


def ensure_sqlite_dir(url: str) -> None:
    """Create the directory of a SQLite database file (a fresh DATA_DIR is empty), and the
    file itself readable by its owner only.

    SQLite creates a missing file with the process umask (0644 under the usual 022: anyone on
    the machine could read the ledger; issue 21) and gives its ``-wal`` and ``-shm`` files the
    database file's mode, so creating the file 0600 first covers all three. An existing file
    (made by an older version) loses its group and other bits.
    """
    path = _sqlite_path(url) if url.startswith("sqlite") else None
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        with contextlib.suppress(FileNotFoundError):
            mode = name.stat().st_mode & 0o777
            if mode & 0o077:
                name.chmod(mode & 0o700)


def _sqlite_path(url: str) -> Path | None:
    tail = url.split(":///", 1)[1] if ":///" in url else ""
    if not tail or tail.startswith(":memory:"):
        return None
    return Path(tail.split("?", 1)[0])


def _install_sqlite_hooks(engine: AsyncEngine, *, immediate: bool, busy_ms: int) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.execute(f"PRAGMA cache_size=-{PAGE_CACHE_KIB}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """Owns the engines; hands out read and write sessions."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            ensure_sqlite_dir(url)
            path = _sqlite_path(url)
            target = str(path) if path is not None else ":memory:"
            # Writes run inline on the loop (see storage.sqlite_inline), reads on threads.
            self.write_engine = create_async_engine(
                url,
                echo=echo,
                poolclass=AsyncAdaptedQueuePool,
                pool_size=1,
                max_overflow=0,
                async_creator=lambda: sqlite_inline.connect(target),
            )
            _install_sqlite_hooks(
                self.write_engine, immediate=True, busy_ms=sqlite_inline.INLINE_BUSY_TIMEOUT_MS
            )
            self.read_engine = create_async_engine(
                url,
                echo=echo,
                poolclass=AsyncAdaptedQueuePool,
                pool_size=pool_size,
                max_overflow=0,
            )
            _install_sqlite_hooks(self.read_engine, immediate=False, busy_ms=10_000)
        else:
            self.write_engine = create_async_engine(
                url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
            )
            self.read_engine = self.write_engine
        self._write_sessions = async_sessionmaker(self.write_engine, expire_on_commit=False)
        self._read_sessions = async_sessionmaker(self.read_engine, expire_on_commit=False)
        # Only SQLite needs in-process serialisation of writers.
        self._write_lock: asyncio.Lock | None = asyncio.Lock() if self.is_sqlite else None

    @property
    def dialect(self) -> str:
        return self.write_engine.dialect.name

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A session in one write transaction: committed on success, rolled back on error."""
        if self._write_lock is None:
            async with self._write_sessions() as session, session.begin():
                yield session
            return
        async with self._write_lock:
            session = await self._begin_sqlite_write()
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
            finally:
                await session.close()

    async def _begin_sqlite_write(self) -> AsyncSession:
        """Start a write transaction, waiting asynchronously while another *process* (the
        CLI, a backup) holds SQLite's write lock, instead of blocking the event loop."""
        delay, deadline = 0.01, time.monotonic() + WRITE_LOCK_WAIT
        while True:
            session = self._write_sessions()
            try:
                await session.connection()  # emits BEGIN IMMEDIATE
                return session
            except OperationalError as exc:
                await session.close()
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                await asyncio.sleep(delay)
                delay = min(0.2, delay * 2)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for reads; never holds the writer lock."""
        async with self._read_sessions() as session:
            yield session

    async def dispose(self) -> None:
        await self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            await self.read_engine.dispose()


def is_refused_value(exc: BaseException) -> bool:
    """A database error of SQLSTATE class 22 ("data exception"): a value the database cannot
    hold (a NUL character in PostgreSQL text, a number out of range). The web layer answers it
    as the caller's bad request, not as our failure, without knowing the driver's exceptions."""
    if not isinstance(exc, DBAPIError):
        return False
    code = getattr(exc.orig, "pgcode", None) or getattr(exc.orig, "sqlstate", None)
    return isinstance(code, str) and code.startswith("22")
