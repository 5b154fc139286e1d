"""The whole service with its web server (browser chat mounted) against the stand-in Bot API,
and what a person does in the chat page, as Playwright steps."""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiohttp import web

from app.runtime import Runtime, build_runtime, start_runtime, stop_runtime
from core.clock import Clock
from core.config import Settings
from services.webchat.otp import MemorySmsGateway
from standin import StandinBotAPI
from storage.base import Base
from storage.registry import metadata
from tests.e2e.harness import free_port, service_env
from web.chat import CHAT, ChatApp

DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SHOTS = DOCS_SHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else Path(tempfile.mkdtemp())
PHONE_VIEWPORT = {"width": 390, "height": 780}
WEBCHAT_TABLES = ("webchat_otp", "webchat_messages", "webchat_inbound")


async def create_webchat_tables(runtime: Runtime) -> None:
    """The chat's tables (no migration yet: the lead writes it from the models)."""
    metadata()
    tables = [Base.metadata.tables[name] for name in WEBCHAT_TABLES]
    async with runtime.db.write() as session:
        conn = await session.connection()
        await conn.run_sync(lambda c: Base.metadata.create_all(c, tables=tables))


#: The browser chat mounted for each running harness runtime (see :func:`chat_of`).
_chats: dict[int, ChatApp] = {}


def chat_of(runtime: Runtime) -> ChatApp:
    """The browser chat of a runtime started by :func:`chat_service`."""
    return _chats[id(runtime)]


@asynccontextmanager
async def chat_service(
    standin: StandinBotAPI,
    data_dir: Path,
    *,
    database_url: str | None = None,
    pool: Any = None,
    sealer: Any = None,
    clock: Clock | None = None,
    **extra: str,
) -> AsyncIterator[tuple[Runtime, str, MemorySmsGateway]]:
    """Yields the runtime, the web server's base URL and the SMS gateway holding the codes."""
    from storage.migrate import upgrade
    from web.app import create_app

    port = free_port()
    env = {
        **service_env(standin, data_dir, database_url),
        "WEB_PORT": str(port),
        "MEDIATION_WEBAPP_ALLOW_HTTP": "1",
        **extra,
    }
    settings = Settings.from_env(env)
    await asyncio.to_thread(upgrade, settings.database_url)
    runtime = await build_runtime(settings, clock=clock)
    if pool is not None:
        runtime.shared.render_pool = pool
        runtime.shared.sealer = sealer
    await create_webchat_tables(runtime)
    gateway = MemorySmsGateway()
    runtime.shared.sms_gateway = gateway
    await start_runtime(runtime, timers=clock is None)
    app = create_app(runtime)
    _chats[id(runtime)] = app[CHAT]
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield runtime, f"http://127.0.0.1:{port}", gateway
    finally:
        await runner.cleanup()
        await stop_runtime(runtime)
        _chats.pop(id(runtime), None)


async def login(
    page: Any, base: str, phone: str, gateway: MemorySmsGateway, path: str = "/chat"
) -> None:
    """Phone number, the code from the (test) SMS gateway, and the chat opens."""
    await page.goto(base + path)
    await page.fill("#phone", phone)
    await page.click("#send-code")
    await page.wait_for_selector("#code-form:not([hidden])")
    digits = re.sub(r"\D", "", phone)[-11:]
    await page.fill("#code", gateway.sent[digits])
    await page.click("#login-btn")
    await page.wait_for_selector("#chat:not([hidden])")
    await page.wait_for_selector("#chat[data-state=online]")


async def bubble(page: Any, needle: str, timeout: float = 20_000) -> str:  # noqa: ASYNC109
    """The newest incoming message containing ``needle`` (waits for it)."""
    locator = page.locator("li.them", has_text=needle).last
    await locator.wait_for(timeout=timeout)
    return str(await locator.inner_text())


async def press(page: Any, label: str) -> None:
    await page.locator("li.them .buttons button", has_text=label).last.click()


async def say(page: Any, text: str) -> None:
    await page.fill("#text", text)
    await page.click("#send")


async def incoming(page: Any) -> list[tuple[int, str]]:
    """Every incoming message on the page: (seq, text), in page order."""
    items = await page.eval_on_selector_all(
        "li.them", "els => els.map(e => [Number(e.dataset.seq), e.innerText])"
    )
    return [(int(s), str(t)) for s, t in items]


async def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / name), full_page=False)
