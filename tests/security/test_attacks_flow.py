"""Issue 21's attacks on the conversation (any channel), through the real conversation
service on a real database (SQLite and PostgreSQL). What people see is their outbox rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from harness.accounts import add_account
from services.inbound import Command, Inbound
from services.mediators import create_link_code
from storage.db import Database
from storage.models import OutboxMessage, StaffAccount, User
from tests.negotiation.world import World


async def said(db: Database, chat_id: str) -> list[str]:
    async with db.read() as s:
        rows = await s.execute(
            select(OutboxMessage).where(OutboxMessage.chat_id == chat_id).order_by(OutboxMessage.id)
        )
        return [str(r.payload.get("text", "")) for r in rows.scalars()]


async def handle(world: World, channel: str, user: int, payload: Any, n: int) -> None:
    chat = f"user:{user}" if channel == "web" else str(user)
    await world.service.handle(Inbound(channel, chat, str(user), payload, message_id=n))


# -- 6. A staff /link code typed in the browser chat -------------------------------------------


async def test_a_link_code_typed_in_the_browser_chat_binds_nothing(
    db: Database, tmp_path: Path
) -> None:
    world = World(db, tmp_path)
    await world.room()  # units synced
    await add_account(world, "mediator2", "mediator", name="调解员二")
    code = await create_link_code(db, "mediator2", world.clock.now())
    assert code is not None
    async with db.write() as s:
        browser = User(created_at=world.clock.now())
        s.add(browser)
        await s.flush()
        web_id = browser.id
    await handle(world, "web", web_id, Command("link", (code,)), 1)
    assert any("只能在 Telegram" in t for t in await said(db, f"user:{web_id}"))
    async with db.read() as s:
        staff = (
            await s.execute(select(StaffAccount).where(StaffAccount.username == "mediator2"))
        ).scalar_one()
        assert staff.telegram_id is None
    # The Telegram user whose number equals the browser user's id is nobody's staff…
    await handle(world, "telegram", web_id, Command("queue", ()), 2)
    assert not any("待受理" in t for t in await said(db, str(web_id)))
    # …and the code still works where it belongs.
    await handle(world, "telegram", 880001, Command("link", (code,)), 3)
    assert any("已关联工作人员账号" in t for t in await said(db, "880001"))
