"""The outbox sender: within Telegram's limits, bursts delayed never dropped, retries without
duplicates, order kept per chat, rows marked sent."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import select
from telegram import Bot

from bot.http import AiohttpRequest
from bot.qr import qr_png
from bot.sender import OutboxSender
from services.outbox import QueuedMessage, enqueue
from services.outgoing import TextMessage
from standin import StandinBotAPI
from storage.db import Database
from storage.models import OutboxMessage
from tests.qr_codes import needs_zbar, qr_codes


async def queue(db: Database, chat_id: int, texts: list[str]) -> list[QueuedMessage]:
    async with db.write() as s:
        return await enqueue(s, "telegram", str(chat_id), [TextMessage(t) for t in texts])


@asynccontextmanager
async def running_sender(
    standin: StandinBotAPI, db: Database, **limits: Any
) -> AsyncIterator[OutboxSender]:
    """An outbox sender on a Bot talking to the stand-in, started (no rate limits unless
    ``limits`` sets them); stopped and its Bot shut down after the block."""
    bot = Bot("1:abc", base_url=standin.bot_api_url, request=AiohttpRequest())
    await bot.initialize()
    sender = OutboxSender(bot, db, **({"rate_global": 0, "rate_per_chat": 0} | limits))
    await sender.start()
    try:
        yield sender
    finally:
        await sender.stop()
        await bot.shutdown()


async def test_limits_respected_bursts_delayed_not_dropped(
    sqlite_db: Database, tmp_path: Path
) -> None:
    async with StandinBotAPI(enforce_rate_limits=True) as standin:
        for i in range(61):
            standin.user(5000 + i).register()
        async with running_sender(
            standin, sqlite_db, rate_global=30, rate_per_chat=1, per_chat_burst=3
        ) as sender:
            started = time.monotonic()
            burst = await queue(sqlite_db, 5000, [f"burst {i}" for i in range(6)])
            sender.submit(burst)
            for i in range(1, 61):
                sender.submit(await queue(sqlite_db, 5000 + i, [f"hello {i}"]))
            await sender.drain(within=30)
            elapsed = time.monotonic() - started
        assert standin.rate_limit_violations == 0
        texts = [m.text for m in standin.sent_to(5000)]
        assert texts == [f"burst {i}" for i in range(6)]  # all there, in order
        assert all(len(standin.sent_to(5000 + i)) == 1 for i in range(1, 61))
        assert elapsed >= 2.5  # 6 to one chat at ~1/s after a burst of 3: delayed
    async with sqlite_db.read() as s:
        statuses = list((await s.execute(select(OutboxMessage.status))).scalars())
    assert statuses == ["sent"] * 66


async def test_retry_after_and_server_errors_are_retried_once_each(sqlite_db: Database) -> None:
    async with StandinBotAPI() as standin:
        standin.user(6000).register()
        async with running_sender(standin, sqlite_db) as sender:
            standin.fail_next("sendMessage", status=429, retry_after=1)
            standin.fail_next("sendMessage", status=502)
            sender.submit(await queue(sqlite_db, 6000, ["one", "two", "three"]))
            await sender.drain(within=20)
        assert [m.text for m in standin.sent_to(6000)] == ["one", "two", "three"]


async def test_pending_rows_are_sent_after_a_restart(sqlite_db: Database) -> None:
    async with StandinBotAPI() as standin:
        standin.user(7000).register()
        await queue(sqlite_db, 7000, ["left over 1", "left over 2"])
        async with running_sender(standin, sqlite_db) as sender:  # loads what was left pending
            await sender.drain(within=10)
        assert [m.text for m in standin.sent_to(7000)] == ["left over 1", "left over 2"]


async def test_refused_message_is_marked_failed_and_does_not_block_the_chat(
    sqlite_db: Database,
) -> None:
    async with StandinBotAPI() as standin:
        standin.user(8000).register()
        async with running_sender(standin, sqlite_db) as sender:
            sender.submit(await queue(sqlite_db, 8000, ["", "after"]))  # empty text: 400
            await sender.drain(within=10)
        assert [m.text for m in standin.sent_to(8000)] == ["after"]
    async with sqlite_db.read() as s:
        rows = list((await s.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars())
    assert [r.status for r in rows] == ["failed", "sent"]
    assert "empty" in (rows[0].error or "")


async def test_long_text_goes_in_parts_once_each_despite_a_retry(sqlite_db: Database) -> None:
    """Telegram refuses texts over 4,096 UTF-16 units: a long relayed statement is sent in
    parts (cut at line breaks), and a network error on the second part resends only it."""
    from telegram.error import NetworkError

    from bot.limits import TEXT_LIMIT, split_text

    text = "\n".join(f"第{i}行：楼上漏水把我家天花板泡坏了😀" for i in range(400))
    parts = split_text(text)
    assert len(parts) >= 3 and "".join(parts) == text
    assert all(len(p.encode("utf-16-le")) // 2 <= TEXT_LIMIT for p in parts)
    assert all(p.endswith("\n") for p in parts[:-1])  # cut at line breaks
    async with StandinBotAPI() as standin:
        standin.user(6100).register()
        async with running_sender(standin, sqlite_db) as sender:
            calls = 0
            real = sender._api_call

            async def flaky(method: str, params: dict[str, Any]) -> object:
                nonlocal calls
                calls += 1
                if calls == 2:
                    raise NetworkError("connection reset")
                return await real(method, params)

            sender._api_call = flaky  # type: ignore[method-assign]
            sender.submit(await queue(sqlite_db, 6100, [text]))
            await sender.drain(within=20)
        got = [m.text or "" for m in standin.sent_to(6100)]
        assert len(got) == len(parts)
        assert "".join(got).replace("\n", "") == text.replace("\n", "")


@needs_zbar
def test_invitation_qr_png_decodes_to_the_link(tmp_path: Path) -> None:
    """The hand-written PNG must be a valid image whose code a real reader decodes."""
    link = "https://t.me/mediation_bot?start=join_AbC123-xyz_0987654321"
    png = qr_png(link)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    path = tmp_path / "qr.png"
    path.write_bytes(png)
    assert qr_codes(path) == [link]
