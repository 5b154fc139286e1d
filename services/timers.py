"""Durable timers: reminders and deadlines that survive restarts and fire exactly once.

A timer is a row. :meth:`TimerService.run_due` claims each due row with
``UPDATE … SET status='fired' WHERE id=? AND status='pending'`` inside the same transaction as
the timer's effects (state change, reminder in the outbox): if the process dies, nothing is
half-done; if two processes race (replicas), only one claim succeeds. The clock is injected so
tests move time instead of sleeping.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.tasks import cancel_and_wait
from services.outbox import QueuedMessage
from storage.db import Database, insert_for, session_dialect
from storage.models import Timer

log = logging.getLogger(__name__)

#: A handler runs inside the claiming transaction and returns queued messages.
Handler = Callable[[AsyncSession, Timer, datetime], Awaitable[list[QueuedMessage]]]


async def schedule(
    session: AsyncSession, key: str, kind: str, due_at: datetime, payload: dict[str, Any]
) -> None:
    """Create or move a pending timer (the key makes re-scheduling idempotent)."""
    dialect_insert = insert_for(session_dialect(session))
    stmt = dialect_insert(Timer).values(
        key=key, kind=kind, due_at=due_at, payload=payload, status="pending"
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["key"],
        set_={
            "kind": kind,
            "due_at": due_at,
            "payload": payload,
            "status": "pending",
            "fired_at": None,
        },
    )
    await session.execute(stmt)


async def cancel_timers(session: AsyncSession, keys: Iterable[str]) -> None:
    keys = list(keys)
    if keys:
        await session.execute(
            update(Timer)
            .where(Timer.key.in_(keys), Timer.status == "pending")
            .values(status="cancelled")
        )


class TimerService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        notify: Callable[[list[QueuedMessage]], None] | None = None,
        *,
        interval: float = 1.0,
    ) -> None:
        self.db = db
        self.clock = clock
        self.notify = notify
        self.interval = interval
        self.handlers: dict[str, Handler] = {}
        self._task: asyncio.Task[None] | None = None

    def register(self, kind: str, handler: Handler) -> None:
        self.handlers[kind] = handler

    async def run_due(self, limit: int = 200) -> int:
        """Fire every due timer once; returns how many fired."""
        now = self.clock.now()
        async with self.db.read() as session:
            due = list(
                (
                    await session.execute(
                        select(Timer.id)
                        .where(Timer.status == "pending", Timer.due_at <= now)
                        .order_by(Timer.due_at)
                        .limit(limit)
                    )
                ).scalars()
            )
        fired = 0
        for timer_id in due:
            try:
                queued = await self._fire(timer_id, now)
            except Exception:
                log.exception("timer %s failed", timer_id)
                continue
            if queued is None:
                continue
            fired += 1
            if queued and self.notify is not None:
                self.notify(queued)
        return fired

    async def _fire(self, timer_id: int, now: datetime) -> list[QueuedMessage] | None:
        async with self.db.write() as session:
            claimed = await session.execute(
                update(Timer)
                .where(Timer.id == timer_id, Timer.status == "pending")
                .values(status="fired", fired_at=now)
            )
            if not claimed.rowcount:  # type: ignore[attr-defined]
                return None  # another process (or an earlier run) fired it
            timer = await session.get_one(Timer, timer_id)
            handler = self.handlers.get(timer.kind)
            if handler is None:
                log.warning("no handler for timer kind %s", timer.kind)
                return []
            return await handler(session, timer, now)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="timers")

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_due()
            except Exception:
                log.exception("timer loop")
            await asyncio.sleep(self.interval)

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
