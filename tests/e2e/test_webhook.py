"""Webhook mode: the stand-in POSTs updates to our aiohttp route; secrets and duplicates."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, select

from app.runtime import Runtime, start_runtime, stop_runtime
from core.config import Settings
from harness import migrated_runtime, serving
from standin import StandinBotAPI
from storage.models import InboxUpdate
from tests.e2e.harness import assert_quiet, free_port, service_env, texts
from web.app import create_app


@asynccontextmanager
async def webhook_service(
    standin: StandinBotAPI, tmp_path: Path, **extra: str
) -> AsyncIterator[tuple[Runtime, str]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Settings.from_env(
        {
            **service_env(standin, tmp_path / "var"),
            "PUBLIC_URL": base,
            "WEBHOOK_SECRET": "s3cret_-X",
            **extra,
        }
    )
    runtime = await migrated_runtime(settings)
    # The webhook route listens before the bot registers it with the stand-in.
    async with serving(create_app(runtime), port):
        await start_runtime(runtime)
        try:
            yield runtime, base
        finally:
            await stop_runtime(runtime)


async def test_intake_over_webhook_with_duplicates_and_bad_requests(tmp_path: Path) -> None:
    async with StandinBotAPI() as standin, webhook_service(standin, tmp_path) as (runtime, base):
        user = standin.user(6006)
        update = await user.send_command("/start")
        assert len(await texts(user, 2)) == 2
        hook = f"{base}/telegram/webhook"
        headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret_-X"}
        async with aiohttp.ClientSession() as http:
            # Telegram redelivers the same update: it is stored once and answered once.
            async with http.post(hook, json=update, headers=headers) as resp:
                assert resp.status == 200
            async with http.post(
                hook, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
            ) as resp:
                assert resp.status == 403
            async with http.post(hook, json=update) as resp:
                assert resp.status == 403
            async with http.post(hook, data=b"{not json", headers=headers) as resp:
                assert resp.status == 400
            async with http.post(hook, json={"no": "update_id"}, headers=headers) as resp:
                assert resp.status == 400
            async with http.post(hook, json=[1, 2], headers=headers) as resp:
                assert resp.status == 400
            async with http.get(hook) as resp:
                assert resp.status == 405
            async with http.post(hook, data=b"x" * (2 << 20), headers=headers) as resp:
                assert resp.status == 413
            # A well-formed but strange update does not crash anything.
            async with http.post(
                hook, json={"update_id": 999999, "poll": {"id": "1"}}, headers=headers
            ) as resp:
                assert resp.status == 200
            async with http.get(f"{base}/healthz") as resp:
                assert (await resp.json())["status"] == "ok"
        await user.press("同意，开始登记")
        assert "纠纷类型" in (await texts(user, 1))[0]
        await assert_quiet(user)
        async with runtime.db.read() as s:
            count = (await s.execute(select(func.count()).select_from(InboxUpdate))).scalar_one()
        assert count == 3  # /start (once, despite the redelivery), the odd update, the press


async def test_a_full_backlog_refuses_updates_until_it_drains(tmp_path: Path) -> None:
    """MAX_UPDATE_BACKLOG=2 and 30 parties sending two messages each at once: the webhook
    answers 503 while updates wait, Telegram (the stand-in) redelivers, and every party is
    answered once, in order."""
    async with (
        StandinBotAPI() as standin,
        webhook_service(standin, tmp_path, MAX_UPDATE_BACKLOG="2") as (runtime, _),
    ):
        tg = runtime.telegram
        assert tg is not None
        handle = tg.conversation.handle

        async def slow_handle(*args: Any) -> bool:  # a busy service: updates wait their turn
            await asyncio.sleep(0.05)
            return await handle(*args)

        tg.conversation.handle = slow_handle  # type: ignore[method-assign,assignment]
        users = [standin.user(7100 + i) for i in range(30)]
        for user in users:  # the second message is delivered once the first is accepted
            await user.send_command("/start")
            await user.send_command("/help")
        replies = await asyncio.gather(*(texts(u, 4) for u in users))
        # The same answers in the same order for everyone: welcome and consent for /start,
        # then help and the consent question again.
        assert all(r == replies[0] for r in replies)
        welcome, consent, help_text, again = replies[0]
        assert "/cases" in help_text and again == consent != welcome and "{" not in consent
        info = await tg.bot.get_webhook_info()
        assert "503" in (info.last_error_message or ""), info
        async with runtime.db.read() as session:
            stored = await session.scalar(select(func.count()).select_from(InboxUpdate))
        assert stored == 60
        for user in users:
            await assert_quiet(user)
