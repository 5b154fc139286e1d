"""The inbox: every inbound update is stored before it is acted on, and handled once.

``accept`` runs when the update arrives (webhook or getUpdates) and commits at once, so an
acknowledged update survives a crash. ``claim`` runs inside the handling transaction: it flips
the row from pending to done, so the state change, the replies and the "handled" mark commit
together — a repeated or replayed update finds the row done and changes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.base import table_of, utcnow
from storage.db import Database, insert_for
from storage.models import InboxUpdate

#: The table itself: Core DML on the hot path skips the ORM's bulk machinery.
INBOX = table_of(InboxUpdate)


async def accept(
    db: Database, source: str, update_id: int, chat_key: str, payload: dict[str, Any]
) -> bool:
    """Store one update; False if this ``update_id`` was seen before (a duplicate delivery)."""
    inserted = await _insert_many(
        db, [{"source": source, "update_id": update_id, "chat_key": chat_key, "payload": payload}]
    )
    return update_id in inserted


async def _insert_many(db: Database, rows: list[dict[str, Any]]) -> set[int]:
    """Insert updates not seen before, in one transaction; returns the ids inserted."""
    dialect_insert = insert_for(db.dialect)
    now = utcnow()
    stmt = (
        dialect_insert(INBOX)
        .on_conflict_do_nothing(index_elements=["source", "update_id"])
        .returning(INBOX.c.update_id)
    )
    values = [{**r, "status": "pending", "received_at": now} for r in rows]
    async with db.write() as session:
        result = await session.execute(stmt, values)
        return set(result.scalars())


class InboxWriter:
    """Group commit for arriving updates.

    Under load many webhook requests arrive at once; each must be durable before it is
    answered, but one transaction per update would make the single SQLite writer the
    bottleneck. Requests that arrive while a commit is running wait for the next one, which
    stores them all together: at low load it is one update per commit, at high load many.
    """

    def __init__(self, db: Database, source: str) -> None:
        self.db = db
        self.source = source
        self._pending: list[tuple[dict[str, Any], asyncio.Future[bool]]] = []
        self._running = False

    async def accept(self, update_id: int, chat_key: str, payload: dict[str, Any]) -> bool:
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        row = {"source": self.source, "update_id": update_id, "chat_key": chat_key}
        self._pending.append(({**row, "payload": payload}, future))
        if not self._running:
            self._running = True
            asyncio.create_task(self._commit_loop(), name="inbox-commit")  # noqa: RUF006
        return await future

    async def _commit_loop(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                unique: dict[int, dict[str, Any]] = {}
                for row, _ in batch:
                    unique.setdefault(row["update_id"], row)
                try:
                    inserted = await _insert_many(self.db, list(unique.values()))
                except BaseException as exc:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    if not isinstance(exc, Exception):
                        raise
                    continue
                for row, future in batch:
                    update_id = row["update_id"]
                    first = unique.get(update_id) is row
                    if not future.done():  # the waiter may have been cancelled
                        future.set_result(first and update_id in inserted)
        finally:
            self._running = False


async def claim(session: AsyncSession, source: str, update_id: int) -> bool:
    """Mark the update handled inside the caller's transaction; False if already handled."""
    t = INBOX
    result = await session.execute(
        update(t)
        .where(t.c.source == source, t.c.update_id == update_id, t.c.status == "pending")
        .values(status="done", processed_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def mark_failed(db: Database, source: str, update_id: int, error: str) -> None:
    async with db.write() as session:
        await session.execute(
            update(InboxUpdate)
            .where(
                InboxUpdate.source == source,
                InboxUpdate.update_id == update_id,
                InboxUpdate.status == "pending",  # never undo another replica's handling
            )
            .values(status="failed", error=error[:2000], processed_at=utcnow())
        )


async def pending(db: Database, source: str) -> Sequence[InboxUpdate]:
    """Updates accepted but not handled (e.g. the process died): replayed at start-up."""
    async with db.read() as session:
        result = await session.execute(
            select(InboxUpdate)
            .where(InboxUpdate.source == source, InboxUpdate.status == "pending")
            .order_by(InboxUpdate.update_id)
        )
        return result.scalars().all()


# ---------------------------------------------------------------------- several replicas

#: Advisory-lock namespace of chat ordering (``pg_advisory_xact_lock(int, int)``'s first key).
CHAT_LOCK_SPACE = 0x6D65


async def lock_chat(session: AsyncSession, source: str, update_id: int) -> str | None:
    """Serialise one chat's handling across processes; returns the chat's key.

    PostgreSQL only: replicas behind one webhook URL each store and handle the updates that
    reach them, so two replicas may hold updates of the same chat at once. A transaction-scoped
    advisory lock on the chat makes them take turns, and it is released by the commit that
    marks the update handled — a crashed replica can never leave it held.
    """
    chat_key = (
        await session.execute(
            select(INBOX.c.chat_key).where(INBOX.c.source == source, INBOX.c.update_id == update_id)
        )
    ).scalar_one_or_none()
    if chat_key is None:
        return None
    await session.execute(
        text("SELECT pg_advisory_xact_lock(:space, hashtext(:key))"),
        {"space": CHAT_LOCK_SPACE, "key": f"{source}:{chat_key}"},
    )
    return str(chat_key)


async def earlier_pending(
    session: AsyncSession, source: str, chat_key: str, update_id: int
) -> list[tuple[int, dict[str, Any]]]:
    """Updates of the same chat stored before ``update_id`` and not handled yet.

    Under the chat lock these must be handled first, whichever replica stored them: the one
    that did may be slower, or dead.
    """
    rows = await session.execute(
        select(INBOX.c.update_id, INBOX.c.payload)
        .where(
            INBOX.c.status == "pending",
            INBOX.c.source == source,
            INBOX.c.update_id < update_id,
            INBOX.c.chat_key == chat_key,
        )
        .order_by(INBOX.c.update_id)
    )
    return [(int(r[0]), r[1]) for r in rows]


async def fail_in_session(session: AsyncSession, source: str, update_id: int, error: str) -> None:
    await session.execute(
        update(INBOX)
        .where(
            INBOX.c.source == source, INBOX.c.update_id == update_id, INBOX.c.status == "pending"
        )
        .values(status="failed", error=error[:2000], processed_at=utcnow())
    )


async def stale(db: Database, source: str, older_than_seconds: float) -> Sequence[InboxUpdate]:
    """Pending updates older than the given age: their replica may have died before handling."""
    from datetime import timedelta

    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    async with db.read() as session:
        result = await session.execute(
            select(InboxUpdate)
            .where(
                InboxUpdate.source == source,
                InboxUpdate.status == "pending",
                InboxUpdate.received_at < cutoff,
            )
            .order_by(InboxUpdate.update_id)
            .limit(500)
        )
        return result.scalars().all()
