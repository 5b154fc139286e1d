"""Who is staff in the browser chat (issue 24): the person who logged in, by the one-time code,
with the phone number an admin registered on an active staff account; nobody else.

Driven through the channel as a page drives it (the login's code from the test gateway, page
messages into the web inbox, replies read from the person's mailbox): a party's number gives a
party's chat however she asks; the grid worker's number gives the staff dialogue; the account
deactivated, or its number moved to someone else, stops acting at once; the page offers staff
buttons only to staff.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import update

import i18n
from features.webchat.channel import mailbox_after
from features.webchat.staff_menu import staff_buttons
from features.webchat.web import ChatApp
from harness import RunningService
from harness.accounts import add_account
from services.staff import set_phone
from standin import StandinBotAPI
from storage.models import StaffAccount
from tests.webchat.harness import chat_running

GRID = "13700007001"
PARTY = "13900001234"


async def log_in(service: RunningService, phone: str, gateway: object) -> int:
    chat = service.chat
    assert chat is not None
    now = service.runtime.clock.now()
    assert (await chat.otp.request(phone, "127.0.0.1", now, "zh-CN")).error is None
    code = gateway.sent[phone]  # type: ignore[attr-defined]
    result = await chat.otp.verify(phone, code, now, "zh-CN")
    assert result.user_id is not None, result
    return result.user_id


class Page:
    """One person's page: what it sends, and the texts it has been sent since."""

    def __init__(self, chat: ChatApp, user_id: int) -> None:
        self.chat, self.user_id, self.seen, self.sent = chat, user_id, 0, 0

    async def send(self, msg: dict[str, object]) -> list[str]:
        self.sent += 1
        assert await self.chat.channel.accept(self.user_id, f"c{self.sent}", msg)
        await self.chat.channel.drain()
        # Every message answers with something; a turn's replies reach the mailbox together (the
        # dispatcher's loop may be moving them while this one finds none: wait for them).
        for _ in range(400):
            await self.chat.channel.dispatcher.run_once()
            rows = await mailbox_after(self.chat.runtime.db, self.user_id, self.seen)
            replies = [r for r in rows if r.payload.get("kind") != "mine"]
            if replies:
                break
            await asyncio.sleep(0.025)
        self.seen = rows[-1].seq if rows else self.seen
        return [str(r.payload.get("text") or "") for r in replies]

    async def press(self, command: str) -> list[str]:
        return await self.send({"type": "action", "action": f"cmd:{command}"})


async def test_only_the_registered_staff_phone_is_staff_in_the_browser(
    database_url: str | None, tmp_path: Path
) -> None:
    async with StandinBotAPI() as standin:
        async with chat_running(standin, tmp_path / "var", database_url=database_url) as (
            service,
            gateway,
        ):
            runtime, chat = service.runtime, service.chat
            assert chat is not None
            db = runtime.db
            await add_account(runtime, "wangge", "grid", name="网格员小王")
            # Refusals in words: a number that is no phone, an account that does not exist.
            assert await set_phone(db, "wangge", "12345") is not None
            assert await set_phone(db, "nobody", GRID) is not None
            assert await set_phone(db, "wangge", "+86 137-0000-7001") is None

            grid = Page(chat, await log_in(service, GRID, gateway))
            party = Page(chat, await log_in(service, PARTY, gateway))
            assert await staff_buttons(db, grid.user_id, "zh-CN") == [
                ["代为登记纠纷", "report"],
                ["岗位任务", "tasks"],
                ["取消当前填写", "cancel"],
                ["帮助", "help"],
            ]
            assert await staff_buttons(db, party.user_id, "zh-CN") is None

            # The party asks for the staff dialogue every way a page can: she gets a party's.
            for attempt in (
                party.press("report"),
                party.send({"type": "text", "text": "/report"}),
            ):
                said = "\n".join(await attempt)
                assert "代为登记纠纷" not in said and "纠纷类型是" not in said, said
            said = "\n".join(await party.press("help"))
            assert said == i18n.translate_for("web", "zh-CN", "bot.help")

            said = "\n".join(await grid.press("report"))
            assert "代为登记纠纷：" in said and "纠纷类型是？" in said
            said = "\n".join(await grid.press("cancel"))
            assert "已取消" in said
            said = "\n".join(await grid.press("help"))
            assert "工作人员在网页里可以" in said and "/" not in said

            # Deactivated: the next press is a party's, the page's buttons go too.
            async with db.write() as session:
                await session.execute(update(StaffAccount).values(active=False))
            assert "纠纷类型是" not in "\n".join(await grid.press("report"))
            assert await staff_buttons(db, grid.user_id, "zh-CN") is None

            # Active again; then the admin removes her number: not staff in the browser any more.
            async with db.write() as session:
                await session.execute(update(StaffAccount).values(active=True))
            assert "纠纷类型是" in "\n".join(await grid.press("report"))
            assert await set_phone(db, "wangge", None) is None
            assert "纠纷类型是" not in "\n".join(await grid.press("report"))
