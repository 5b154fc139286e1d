"""What the browser tests of staff without Telegram share (issue 24): their accounts with the
number they log in with, what the service wrote to their browser chat, and their buttons,
pressed by exact label."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.runtime import Runtime
from harness.accounts import add_account
from services.staff import set_phone
from storage.models import OutboxMessage, StaffAccount, User

#: The units of the street's tests (悦来, 渝北区): posts, departments and dispatch rules.
STREET_UNITS = Path(__file__).resolve().parents[1] / "street" / "units.toml"


async def browser_staff(
    runtime: Runtime, username: str, role: str, unit: str, phone: str | None, name: str = ""
) -> None:
    """An account as an admin makes it, with the number its holder logs in to the browser with."""
    await add_account(runtime, username, role, unit=unit, name=name)
    if phone is not None:
        assert await set_phone(runtime.db, username, phone) is None


async def browser_texts(session: AsyncSession, username: str) -> list[str]:
    """What the service wrote to the browser chat of the staff member's login (the outbox)."""
    phone_hash = (
        await session.execute(
            select(StaffAccount.phone_hash).where(StaffAccount.username == username)
        )
    ).scalar_one()
    user_id = (
        await session.execute(select(User.id).where(User.phone_hash == phone_hash))
    ).scalar_one()
    rows = await session.execute(
        select(OutboxMessage.payload).where(
            OutboxMessage.channel == "web", OutboxMessage.chat_id == f"user:{user_id}"
        )
    )
    return [str(payload.get("text", "")) for payload in rows.scalars()]


async def press_exactly(page: Any, label: str) -> None:
    """The newest message's button of exactly this label (申请方 is not 被申请方)."""
    buttons = page.locator("li.them .buttons button")
    await buttons.filter(has_text=re.compile(f"^{re.escape(label)}$")).last.click()
