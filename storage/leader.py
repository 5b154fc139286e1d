"""One process among replicas holds a named role (the Telegram sender), handed over on death.

Why: Telegram's flood limits (about 30 messages/s per bot, 1/s per chat) are the bot's, not a
process's, and one chat's messages must leave in order. With several replicas on one
PostgreSQL, exactly one of them sends the outbox; the others only write to it. The role is a
session-level advisory lock held on a dedicated connection: if the holder dies, PostgreSQL
drops the connection and the lock with it, and another replica takes over within
``retry_seconds``.

On SQLite there is one process by construction (a single writer), so it always leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database

log = logging.getLogger(__name__)

#: Advisory-lock namespace of roles (first key of ``pg_try_advisory_lock(int, int)``).
ROLE_LOCK_SPACE = 0x6C64


class Leadership:
    def __init__(
        self, db: Database, role: str, *, retry_seconds: float = 2.0, check_seconds: float = 5.0
    ) -> None:
        self.db = db
        self.role = role
        self.retry_seconds = retry_seconds
        self.check_seconds = check_seconds
        self.is_leader = db.dialect != "postgresql"
        self.changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._conn: AsyncConnection | None = None

    def __call__(self) -> bool:
        return self.is_leader

    async def start(self) -> None:
        if self.db.dialect == "postgresql":
            self._task = asyncio.create_task(self._hold(), name=f"leader-{self.role}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._close()

    def _set(self, leading: bool) -> None:
        if leading != self.is_leader:
            self.is_leader = leading
            log.info("%s role %s", self.role, "taken" if leading else "lost")
            self.changed.set()

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()

    async def _hold(self) -> None:
        params = {"space": ROLE_LOCK_SPACE, "role": self.role}
        while True:
            try:
                if self._conn is None:
                    conn = await self.db.write_engine.connect()
                    self._conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                if not self.is_leader:
                    got = await self._conn.scalar(
                        text("SELECT pg_try_advisory_lock(:space, hashtext(:role))"), params
                    )
                    self._set(bool(got))
                else:  # still connected, so still holding it
                    await self._conn.scalar(text("SELECT 1"))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("%s role: connection lost (%s); retrying", self.role, exc)
                self._set(False)
                await self._close()
            await asyncio.sleep(self.check_seconds if self.is_leader else self.retry_seconds)


@asynccontextmanager
async def cluster_lock(db: Database, name: str) -> AsyncIterator[None]:
    """Run a block in one process of the cluster at a time (start-up imports, seeding).

    PostgreSQL: a session advisory lock on a dedicated connection. SQLite: nothing to do —
    its writers are serialised by the database itself and replicas need PostgreSQL.
    """
    if db.dialect != "postgresql":
        yield
        return
    params = {"space": ROLE_LOCK_SPACE, "role": f"lock:{name}"}
    conn = await db.write_engine.connect()
    try:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("SELECT pg_advisory_lock(:space, hashtext(:role))"), params)
        try:
            yield
        finally:
            await conn.execute(text("SELECT pg_advisory_unlock(:space, hashtext(:role))"), params)
    finally:
        await conn.close()


#: Advisory-lock namespace of work-item claims (``pg_try_advisory_lock(space, item)``).
CLAIM_LOCK_SPACE = 0x636C


class Claims:
    """Work items (e.g. voice transcripts by id) worked on by one process among replicas.

    Why: every replica resumes pending work at start and sweeps for work a dead replica left,
    so two of them may reach the same item; the claim makes the second one skip it instead of
    repeating seconds of transcription. PostgreSQL: session advisory locks, all on one
    dedicated connection of this process, so a process that dies releases its claims at once
    (no lease to wait out after a restart). SQLite: one process by construction, a set.
    A lost connection drops the claims; the worst case is then one item worked on twice,
    whose result is still recorded once (the caller checks the item's state under a lock).
    """

    def __init__(self, db: Database, space: int = CLAIM_LOCK_SPACE) -> None:
        self.db = db
        self.space = space
        self._held: set[int] = set()
        self._conn: AsyncConnection | None = None
        self._lock = asyncio.Lock()

    async def try_claim(self, item: int) -> bool:
        """True when this process now holds ``item`` (and did not already)."""
        if item in self._held:
            return False
        if self.db.dialect == "postgresql":
            async with self._lock:
                try:
                    if self._conn is None:
                        conn = await self.db.write_engine.connect()
                        self._conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                    got = await self._conn.scalar(
                        text("SELECT pg_try_advisory_lock(:space, :item)"),
                        {"space": self.space, "item": item},
                    )
                except Exception:
                    await self._drop()
                    raise
            if not got:
                return False
        self._held.add(item)
        return True

    async def release(self, item: int) -> None:
        if item not in self._held:
            return
        self._held.discard(item)
        if self.db.dialect == "postgresql" and self._conn is not None:
            async with self._lock:
                try:
                    await self._conn.execute(
                        text("SELECT pg_advisory_unlock(:space, :item)"),
                        {"space": self.space, "item": item},
                    )
                except Exception as exc:
                    log.warning("claims: unlock of %s failed (%s); reconnecting", item, exc)
                    await self._drop()

    async def _drop(self) -> None:
        """Forget the connection (and with it every claim this process held)."""
        conn, self._conn = self._conn, None
        self._held.clear()
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()

    async def close(self) -> None:
        async with self._lock:
            await self._drop()
