"""Webhook delivery: secret header, per-chat ordering, retries, mode switching."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import telegram
from aiohttp import web
from telegram.error import Conflict

from standin import StandinBotAPI


@dataclass
class Receiver:
    """A tiny webhook endpoint that records what it gets and can misbehave."""

    url: str = ""
    received: list[tuple[str | None, dict[str, Any]]] = field(default_factory=list)
    fail_first: int = 0
    slow_chat: int | None = None
    in_flight: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    max_in_flight_per_chat: int = 0
    overlap_across_chats: bool = False

    async def handle(self, request: web.Request) -> web.Response:
        update = await request.json()
        chat = _chat_of(update)
        self.in_flight[chat] += 1
        self.max_in_flight_per_chat = max(self.max_in_flight_per_chat, self.in_flight[chat])
        if sum(1 for n in self.in_flight.values() if n) > 1:
            self.overlap_across_chats = True
        try:
            if self.fail_first > 0:
                self.fail_first -= 1
                return web.Response(status=500)
            if chat == self.slow_chat:
                await asyncio.sleep(0.1)
            self.received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), update))
            return web.Response(text="ok")
        finally:
            self.in_flight[chat] -= 1

    def texts(self, chat: int) -> list[str]:
        return [u["message"]["text"] for _, u in self.received if _chat_of(u) == chat]


def _chat_of(update: dict[str, Any]) -> int:
    return int(update["message"]["chat"]["id"])


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    state = Receiver()
    app = web.Application()
    app.router.add_post("/hook", state.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    state.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    yield state
    await runner.cleanup()


async def test_delivery_with_secret_and_per_chat_order(
    server: StandinBotAPI, bot: telegram.Bot, receiver: Receiver
) -> None:
    receiver.slow_chat = 1
    assert await bot.set_webhook(receiver.url, secret_token="s3cr3t-token_1")
    slow, fast = server.user(1), server.user(2)
    for i in range(5):
        await slow.send_text(f"slow {i}")
        await fast.send_text(f"fast {i}")
    await server.wait_idle(timeout=5)
    assert receiver.texts(1) == [f"slow {i}" for i in range(5)]
    assert receiver.texts(2) == [f"fast {i}" for i in range(5)]
    assert {secret for secret, _ in receiver.received} == {"s3cr3t-token_1"}
    assert receiver.max_in_flight_per_chat == 1  # next one only after the previous 2xx
    assert receiver.overlap_across_chats  # different chats proceed concurrently
    ids = [u["update_id"] for _, u in receiver.received if _chat_of(u) == 1]
    assert ids == sorted(ids)
    info = await bot.get_webhook_info()
    assert info.url == receiver.url and info.pending_update_count == 0


async def test_failed_delivery_is_retried(
    server: StandinBotAPI, bot: telegram.Bot, receiver: Receiver
) -> None:
    receiver.fail_first = 2
    await bot.set_webhook(receiver.url)
    await server.user(1).send_text("重要消息")
    await server.wait_idle(timeout=5)
    assert receiver.texts(1) == ["重要消息"]
    info = await bot.get_webhook_info()
    assert info.last_error_message is not None and "500" in info.last_error_message
    assert server.stats()["webhook_failures"] == 2


async def test_pending_updates_go_to_webhook_and_back(
    server: StandinBotAPI, bot: telegram.Bot, receiver: Receiver
) -> None:
    user = server.user(1)
    await user.send_text("before webhook")
    receiver.fail_first = 10**6  # the receiver is down
    await bot.set_webhook(receiver.url)
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()
    await user.send_text("while down")
    await asyncio.sleep(0.1)
    assert receiver.received == []
    await bot.delete_webhook()
    updates = await bot.get_updates()
    assert [u.message.text for u in updates if u.message] == ["before webhook", "while down"]


async def test_drop_pending_updates(
    server: StandinBotAPI, bot: telegram.Bot, receiver: Receiver
) -> None:
    await server.user(1).send_text("stale")
    await bot.set_webhook(receiver.url, drop_pending_updates=True)
    await server.user(1).send_text("fresh")
    await server.wait_idle(timeout=5)
    assert receiver.texts(1) == ["fresh"]


async def test_unreachable_webhook_reports_connection_error(
    server: StandinBotAPI, bot: telegram.Bot
) -> None:
    await bot.set_webhook("http://127.0.0.1:9/unreachable")
    await server.user(1).send_text("lost?")
    for _ in range(50):
        info = await bot.get_webhook_info()
        if info.last_error_message:
            break
        await asyncio.sleep(0.02)
    assert info.last_error_message == "Connection refused"
    assert info.pending_update_count == 1
