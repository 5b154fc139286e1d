"""A mediating room in a real database, driven through the real conversation service.

People are Telegram ids; what they "see" is their rows in the outbox (the durable record of
every message the service sends). Buttons are pressed by label, from the newest message in the
person's chat that has one — as a person would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from core.clock import FakeClock
from harness.accounts import PASSWORD, add_account
from harness.engine import Engine
from harness.seed import add_room, linked_mediator
from mediation import intake
from services.inbound import Command, Inbound
from services.units import sync_units
from storage.db import Database
from storage.models import OutboxMessage, User
from tests.conftest import make_settings

if TYPE_CHECKING:
    from aiohttp.test_utils import TestClient

#: Friday 27 November 2026, 10:00 in Asia/Shanghai.
MORNING = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
APPLICANT, RESPONDENT, MEDIATOR = 7001, 7002, 7003
NUMBER = "（2026）示调字第0001号"


class World(Engine):
    def __init__(self, db: Database, tmp_path: Path) -> None:
        super().__init__(db, make_settings(tmp_path), FakeClock(MORNING))
        self.case_id = 0
        self._seen: dict[int, int] = {}
        self._message_id = 0

    async def room(self, mode: str = "joint") -> int:
        async with self.db.write() as s:
            await sync_units(s, self.units)
            ua, ur = User(telegram_id=APPLICANT), User(telegram_id=RESPONDENT)
            staff = linked_mediator("med", MEDIATOR, "王调解员")
            case = await add_room(
                s,
                ua,
                ur,
                staff,
                number=NUMBER,
                unit_code=self.units.default.code,
                dispute_type="labour_wages",
                facts="拖欠工资三个月",
                claims="支付工资一万二千元",
                room_mode=mode,
                names=("张三", "李四"),
            )
            self.case_id = case.id
        return self.case_id

    async def _send(self, who: int, payload: Any) -> None:
        self._message_id += 1
        await self.service.handle(
            Inbound("telegram", str(who), str(who), payload, message_id=self._message_id)
        )

    async def command(self, who: int, name: str, *args: str) -> list[str]:
        await self._send(who, Command(name, args))
        return await self.new(who)

    async def text(self, who: int, text: str) -> list[str]:
        await self._send(who, intake.TextInput(text))
        return await self.new(who)

    async def file(self, who: int) -> list[str]:
        await self._send(who, intake.FileInput("photo", "file-ref-1"))
        return await self.new(who)

    async def action(self, who: int, data: str) -> list[str]:
        """A button press with hand-made data (a forged or stale button)."""
        self._message_id += 1
        await self.service.handle(
            Inbound("telegram", str(who), str(who), intake.ActionInput(data), callback_id="cb")
        )
        return await self.new(who)

    async def press(self, who: int, label: str) -> list[str]:
        """Press the button labelled ``label`` on the newest message that has it."""
        for payload in reversed(await self.payloads(who)):
            for row in payload.get("buttons", []):
                for b in row:
                    if b["text"] == label and "action" in b:
                        self._message_id += 1
                        await self.service.handle(
                            Inbound(
                                "telegram",
                                str(who),
                                str(who),
                                intake.ActionInput(b["action"]),
                                callback_id=f"cb{self._message_id}",
                            )
                        )
                        return await self.new(who)
        raise AssertionError(f"no button {label!r} for {who}")

    async def payloads(self, who: int | None = None) -> list[dict[str, Any]]:
        async with self.db.read() as s:
            stmt = select(OutboxMessage).order_by(OutboxMessage.id)
            if who is not None:
                stmt = stmt.where(OutboxMessage.chat_id == str(who))
            return [row.payload for row in (await s.execute(stmt)).scalars()]

    async def rows(self) -> list[OutboxMessage]:
        async with self.db.read() as s:
            return list((await s.execute(select(OutboxMessage))).scalars())

    async def new(self, who: int) -> list[str]:
        """Texts sent to ``who`` since the last look."""
        texts = [p["text"] for p in await self.payloads(who) if "text" in p]
        start = self._seen.get(who, 0)
        self._seen[who] = len(texts)
        return texts[start:]

    async def oral_agreement(self, content: str) -> None:
        """The mediator records the oral agreement (调解成功) and each party confirms it: the
        agreement is effective (人民调解法 第三十条)."""
        asked = await self.action(MEDIATOR, "m:outcome:success")
        for n, address in enumerate(
            ("重庆市九龙坡区杨家坪街道西郊路1号", "重庆市九龙坡区谢家湾8号")
        ):
            if not any("住址" in t for t in asked):
                break
            asked = await self.text(MEDIATOR, address)
            assert n < 2, asked
        assert any("每行一条" in t for t in asked), asked
        await self.text(MEDIATOR, content)
        for who in (APPLICANT, RESPONDENT):
            await self.press(who, "✅ 确认，这是我同意的内容")
        await self.drain()

    async def drain(self) -> None:
        for who in (APPLICANT, RESPONDENT, MEDIATOR):
            await self.new(who)


@asynccontextmanager
async def admin_console(world: World) -> AsyncIterator[tuple[TestClient[Any, Any], str]]:
    """The unit's console, signed in as its administrator; yields the client and CSRF token."""
    from aiohttp.test_utils import TestClient, TestServer

    from features.console.web import add_console
    from tests.console.conftest import login
    from web.app import create_app

    await add_account(world, "admin1", "admin", name="管理员")
    app = create_app(world.runtime)
    add_console(app, world.runtime, sweep_interval=None)
    async with TestClient(TestServer(app)) as client:
        token = await login(client, "admin1", PASSWORD)
        yield client, token
