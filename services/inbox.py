"""The inbox: every inbound update is stored before it is acted on, and handled once.

``accept`` runs when the update arrives (webhook or getUpdates) and commits at once, so an
acknowledged update survives a crash. ``claim`` runs inside the handling transaction: it flips
the row from pending to done, so the state change, the replies and the "handled" mark commit
together — a repeated or replayed update finds the row done and changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.base import utcnow
from storage.db import Database
from storage.models import InboxUpdate


async def accept(
    db: Database, source: str, update_id: int, chat_key: str, payload: dict[str, Any]
) -> bool:
    """Store an update; False if this ``update_id`` was seen before (a duplicate delivery)."""
    dialect_insert = postgresql.insert if db.dialect == "postgresql" else sqlite.insert
    stmt = (
        dialect_insert(InboxUpdate)
        .values(
            source=source,
            update_id=update_id,
            chat_key=chat_key,
            payload=payload,
            status="pending",
            received_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["source", "update_id"])
    )
    async with db.write() as session:
        result = await session.execute(stmt)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def claim(session: AsyncSession, source: str, update_id: int) -> bool:
    """Mark the update handled inside the caller's transaction; False if already handled."""
    result = await session.execute(
        update(InboxUpdate)
        .where(
            InboxUpdate.source == source,
            InboxUpdate.update_id == update_id,
            InboxUpdate.status == "pending",
        )
        .values(status="done", processed_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def mark_failed(db: Database, source: str, update_id: int, error: str) -> None:
    async with db.write() as session:
        await session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.source == source, InboxUpdate.update_id == update_id)
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
