"""The inbox: stored once per update_id, group-committed under load, claimed once."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from services import inbox
from storage.db import Database
from storage.models import InboxUpdate


async def test_group_commit_stores_each_update_once(db: Database) -> None:
    writer = inbox.InboxWriter(db, "telegram")
    ids = [i % 60 for i in range(100)]  # 40 duplicate deliveries among them
    results = await asyncio.gather(*(writer.accept(i, f"c{i % 7}", {"update_id": i}) for i in ids))
    assert sum(results) == 60
    firsts: dict[int, bool] = {}
    for i, ok in zip(ids, results, strict=True):
        firsts.setdefault(i, ok)
    assert all(firsts.values())  # the first delivery of each id is the one accepted
    assert not await writer.accept(5, "c5", {"update_id": 5})  # a later redelivery
    async with db.read() as s:
        assert (await s.execute(select(func.count()).select_from(InboxUpdate))).scalar_one() == 60


async def test_claim_is_once_and_pending_lists_the_rest_in_order(db: Database) -> None:
    for i in (3, 1, 2):
        assert await inbox.accept(db, "telegram", i, "c", {"update_id": i})
    async with db.write() as s:
        assert await inbox.claim(s, "telegram", 1)
    async with db.write() as s:
        assert not await inbox.claim(s, "telegram", 1)
    assert [r.update_id for r in await inbox.pending(db, "telegram")] == [2, 3]
    await inbox.mark_failed(db, "telegram", 2, "boom")
    assert [r.update_id for r in await inbox.pending(db, "telegram")] == [3]
