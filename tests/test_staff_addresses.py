"""Where the chat reaches a staff member (``services.delivery.staff_addresses``, issue 24).

Telegram where linked, once, even when they also logged in to the browser chat; else the browser
login of the phone on their account (the number's user without Telegram, the oldest, as the
login finds it), in that login's language; a Telegram user who typed the same number as a
party is not that login; an account without either, or deactivated, is reached nowhere.
"""

from __future__ import annotations

from core import crypto
from services.delivery import Address, staff_addresses
from storage.db import Database
from storage.models import StaffAccount, Unit, User


def account(username: str, phone: str | None, telegram_id: int | None = None) -> StaffAccount:
    return StaffAccount(
        username=username,
        display_name=username,
        password_hash="-",
        role="mediator",
        unit_code="u1",
        telegram_id=telegram_id,
        phone=phone,
        phone_hash=crypto.blind_index(phone) if phone else None,
        language="zh-CN",
        active=True,
    )


def login(phone: str, language: str = "zh-CN", telegram_id: int | None = None) -> User:
    return User(
        phone=phone,
        phone_hash=crypto.blind_index(phone),
        language=language,
        telegram_id=telegram_id,
    )


async def test_telegram_first_else_the_browser_login_else_nowhere(db: Database) -> None:
    async with db.write() as s:
        s.add(Unit(code="u1", name="测试调委会", level="committee", case_prefix="测调", areas=[]))
        await s.flush()
        # A party who filed in Telegram with the browser-only member's number comes first.
        s.add(login("+8613700000001", telegram_id=9001))
        web_only, both = login("+8613700000001", "en"), login("+8613700000002")
        s.add_all([web_only, both, login("+8613700000001")])  # a later user: not the login's
        staff = [
            account("web", "+8613700000001"),
            account("both", "+8613700000002", telegram_id=7002),
            account("phone-never-logged-in", "+8613700000003"),
            account("neither", None),
            account("left", "+8613700000004"),
        ]
        staff[-1].active = False
        s.add(login("+8613700000004"))
        s.add_all(staff)
        await s.flush()
        found = await staff_addresses(s, staff)
        assert found == {
            staff[0].id: Address("web", f"user:{web_only.id}", "en"),
            staff[1].id: Address("telegram", "7002", "zh-CN"),
        }
        assert await staff_addresses(s, []) == {}
