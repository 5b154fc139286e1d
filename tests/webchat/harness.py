"""The whole service with its web server (browser chat mounted) against the stand-in Bot API,
and what a person does in the chat page, as Playwright steps."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import harness
from app.runtime import Runtime
from core.clock import Clock
from features.webchat.otp import MemorySmsGateway
from standin import StandinBotAPI

DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SHOTS = DOCS_SHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else Path(tempfile.mkdtemp())
PHONE_VIEWPORT = {"width": 390, "height": 780}


@asynccontextmanager
async def chat_running(
    standin: StandinBotAPI,
    data_dir: Path,
    *,
    database_url: str | None = None,
    pool: Any = None,
    sealer: Any = None,
    clock: Clock | None = None,
    **extra: str,
) -> AsyncIterator[tuple[harness.RunningService, MemorySmsGateway]]:
    """The whole service with the browser chat mounted (``service.chat``), and the SMS gateway
    holding the codes it sent."""
    gateway = MemorySmsGateway()
    async with harness.running_service(
        data_dir,
        standin=standin,
        database_url=database_url,
        env=extra,
        clock=clock,
        web_app=True,
        render_pool=pool,
        sealer=sealer,
        sms_gateway=gateway,
    ) as service:
        assert service.chat is not None
        yield service, gateway


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
    async with chat_running(
        standin,
        data_dir,
        database_url=database_url,
        pool=pool,
        sealer=sealer,
        clock=clock,
        **extra,
    ) as (service, gateway):
        yield service.runtime, service.base_url, gateway


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
