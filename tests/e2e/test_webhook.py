"""Webhook mode: the stand-in POSTs updates to our aiohttp route; secrets and duplicates."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
from aiohttp import web
from sqlalchemy import func, select

from bot.standin import StandinBotAPI
from core.config import Settings
from main import Runtime, build_runtime, start_runtime, stop_runtime
from storage.migrate import upgrade
from storage.models import InboxUpdate
from tests.e2e.harness import assert_quiet, free_port, service_env, texts
from web.app import create_app


@asynccontextmanager
async def webhook_service(
    standin: StandinBotAPI, tmp_path: Path
) -> AsyncIterator[tuple[Runtime, str]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Settings.from_env(
        {
            **service_env(standin, tmp_path / "var"),
            "PUBLIC_URL": base,
            "WEBHOOK_SECRET": "s3cret_-X",
        }
    )
    await asyncio.to_thread(upgrade, settings.database_url)
    runtime = await build_runtime(settings)
    runner = web.AppRunner(create_app(runtime))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await start_runtime(runtime)
    try:
        yield runtime, base
    finally:
        await stop_runtime(runtime)
        await runner.cleanup()


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
