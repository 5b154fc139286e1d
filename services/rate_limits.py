"""Rate limits kept in the database, so that every replica counts the same requests.

Why not memory: behind a load balancer each replica would allow the full limit on its own
(two replicas, twice the re-checks of a sealed PDF). Same mechanism as the browser chat's login
limits (``features.webchat.otp``): one row per counted request, counted over a sliding window
in the request's own write transaction. On PostgreSQL a transaction-scoped advisory lock on the
(bucket, key) makes count-then-insert exact across replicas; on SQLite the single writer
already serialises it. Old rows of the key are deleted as it goes, and now and then every
expired row of the bucket.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core import crypto
from storage.base import table_of
from storage.db import Database
from storage.models import RateHit

#: Advisory-lock namespace of rate limits (``pg_advisory_xact_lock(int, int)``'s first key).
RATE_LOCK_SPACE = 0x726C
#: Share of calls that also sweep the whole bucket's expired rows.
SWEEP_CHANCE = 0.02


class SharedRateLimiter:
    """``limit`` requests per ``window`` seconds per key, counted in the database."""

    def __init__(
        self,
        db: Database,
        bucket: str,
        limit: int,
        window: float,
        *,
        now: Callable[[], datetime],
    ) -> None:
        self.db, self.bucket, self.limit = db, bucket, limit
        self.window = timedelta(seconds=window)
        self.now = now

    async def retry_after(self, key: str) -> float:
        """0 when one more request is allowed now (and counts it), else seconds to wait."""
        digest = crypto.blind_index(f"rate:{self.bucket}:{key}")
        now = self.now()
        start = now - self.window
        hits = table_of(RateHit)
        mine = (hits.c.bucket == self.bucket, hits.c.key_hash == digest)
        async with self.db.write() as session:
            if self.db.dialect == "postgresql":
                await session.execute(
                    text("SELECT pg_advisory_xact_lock(:space, hashtext(:key))"),
                    {"space": RATE_LOCK_SPACE, "key": f"{self.bucket}:{digest}"},
                )
            await session.execute(delete(hits).where(*mine, hits.c.at <= start))
            count, oldest = (
                await session.execute(select(func.count(), func.min(hits.c.at)).where(*mine))
            ).one()
            if count >= self.limit and isinstance(oldest, datetime):
                return max(0.001, (oldest + self.window - now).total_seconds())
            await session.execute(insert(hits).values(bucket=self.bucket, key_hash=digest, at=now))
            if random.random() < SWEEP_CHANCE:
                await session.execute(
                    delete(hits).where(hits.c.bucket == self.bucket, hits.c.at <= start)
                )
        return 0.0


async def failures(
    session: AsyncSession, bucket: str, key: str, now: datetime, window: timedelta
) -> int:
    """Failures recorded for ``key`` in ``bucket`` within ``window``, in the caller's own
    transaction (a conversation turn already holds the write transaction: a second one would
    wait for it on SQLite)."""
    hits = table_of(RateHit)
    digest = crypto.blind_index(f"rate:{bucket}:{key}")
    count = await session.execute(
        select(func.count()).where(
            hits.c.bucket == bucket, hits.c.key_hash == digest, hits.c.at > now - window
        )
    )
    return int(count.scalar_one())


async def record_failure(session: AsyncSession, bucket: str, key: str, now: datetime) -> None:
    hits = table_of(RateHit)
    digest = crypto.blind_index(f"rate:{bucket}:{key}")
    await session.execute(insert(hits).values(bucket=bucket, key_hash=digest, at=now))
    if random.random() < SWEEP_CHANCE:
        await session.execute(
            delete(hits).where(hits.c.bucket == bucket, hits.c.at <= now - timedelta(days=1))
        )
