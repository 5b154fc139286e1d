"""The whole service with its web server, against the stand-in Bot API, for agreement tests.

Like tests.e2e.harness.running_service, plus: the session's render pool and seal key are handed
to the feature before start-up, the aiohttp app (Mini App, verify page) listens on a free port
given as WEB_PORT, and Mini App buttons are allowed over http (the stand-in opens nothing).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from aiohttp import web

from app.runtime import Runtime, build_runtime, start_runtime, stop_runtime
from core.clock import Clock
from core.config import Settings
from documents.pool import RenderPool
from documents.seal import Sealer
from standin import StandinBotAPI
from standin.models import SentMessage
from standin.simulation import SimUser
from tests.e2e.harness import TOKEN, free_port, service_env

__all__ = ["TOKEN", "agreement_service", "sign_link", "wait_text"]


@asynccontextmanager
async def agreement_service(
    standin: StandinBotAPI,
    data_dir: Path,
    pool: RenderPool,
    sealer: Sealer,
    *,
    database_url: str | None = None,
    clock: Clock | None = None,
) -> AsyncIterator[tuple[Runtime, str]]:
    """Yields the runtime and the web server's base URL."""
    from storage.migrate import upgrade
    from web.app import create_app

    port = free_port()
    env = {
        **service_env(standin, data_dir, database_url),
        "WEB_PORT": str(port),
        "MEDIATION_WEBAPP_ALLOW_HTTP": "1",
    }
    settings = Settings.from_env(env)
    await asyncio.to_thread(upgrade, settings.database_url)
    runtime = await build_runtime(settings, clock=clock)
    runtime.shared.render_pool = pool
    runtime.shared.sealer = sealer
    await start_runtime(runtime, timers=clock is None)
    runner = web.AppRunner(create_app(runtime), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield runtime, f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
        await stop_runtime(runtime)


async def wait_text(user: SimUser, needle: str, timeout: float = 20.0) -> SentMessage:  # noqa: ASYNC109
    """The next message (skipping others) whose text contains ``needle``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    skipped: list[str] = []
    while True:
        left = deadline - loop.time()
        if left <= 0:
            raise AssertionError(f"no message with {needle!r}; skipped: {skipped}")
        try:
            (message,) = await user.wait_for_messages(1, timeout=left)
        except AssertionError:
            raise AssertionError(f"no message with {needle!r}; skipped: {skipped}") from None
        if needle in (message.text or ""):
            return message
        skipped.append((message.text or message.method)[:80])


async def wait_file(user: SimUser, timeout: float = 30.0) -> SentMessage:  # noqa: ASYNC109
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        (message,) = await user.wait_for_messages(1, timeout=max(0.1, deadline - loop.time()))
        if message.method == "sendDocument":
            return message


def sign_link(message: SentMessage) -> tuple[str, str, str]:
    """The Mini App button's (url, doc id, version hash)."""
    url = next(target for _text, target in message.buttons if "/webapp/sign" in target)
    query = parse_qs(urlsplit(url).query)
    return url, query["d"][0], query["v"][0]


def verify_link(text: str) -> str:
    found = re.search(r"https?://\S+/verify/\S+", text)
    assert found, text
    return found.group(0)
