"""The whole service with its web server (browser chat mounted) against the stand-in Bot API,
and what a person does in the chat page, as Playwright steps."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, ParamSpec

import harness
from app.runtime import Runtime
from core.clock import Clock
from documents.pool import RenderPool
from documents.seal import Sealer
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
    pool: RenderPool | None = None,
    sealer: Sealer | None = None,
    clock: Clock | None = None,
    env: Mapping[str, str] | None = None,
    **extra: str,
) -> AsyncIterator[tuple[harness.RunningService, MemorySmsGateway]]:
    """The whole service with the browser chat mounted (``service.chat``), and the SMS gateway
    holding the codes it sent. Settings: ``env``, then the keyword arguments ``extra``
    (``UNITS_FILE="..."``) over it."""
    gateway = MemorySmsGateway()
    async with harness.running_service(
        data_dir,
        standin=standin,
        database_url=database_url,
        env={**(env or {}), **extra},
        clock=clock,
        web_app=True,
        render_pool=pool,
        sealer=sealer,
        sms_gateway=gateway,
    ) as service:
        assert service.chat is not None
        yield service, gateway


_P = ParamSpec("_P")


def _runtime_view(
    running: Callable[
        _P, AbstractAsyncContextManager[tuple[harness.RunningService, MemorySmsGateway]]
    ],
) -> Callable[_P, AbstractAsyncContextManager[tuple[Runtime, str, MemorySmsGateway]]]:
    """``running`` (:func:`chat_running`) with the same arguments, seen as most tests use it:
    the runtime, the web server's base URL and the SMS gateway."""

    @asynccontextmanager
    async def opened(
        *args: _P.args, **kwargs: _P.kwargs
    ) -> AsyncIterator[tuple[Runtime, str, MemorySmsGateway]]:
        async with running(*args, **kwargs) as (service, gateway):
            yield service.runtime, service.base_url, gateway

    return opened


chat_service = _runtime_view(chat_running)


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


async def place_and_names(page: Any) -> None:
    """The intake's questions from the place to the respondent's name, as the browser tests'
    applicant answers them: 杨家坪, 张三 with the phone she signed in with, no address, against
    李四; it stops when the respondent's number is asked for."""
    await bubble(page, "哪里")
    await say(page, "九龙坡区杨家坪街道")
    await bubble(page, "姓名")
    await say(page, "张三")
    await bubble(page, "手机号")
    await page.click("#contact-btn")
    await bubble(page, "手机号已保存")
    await press(page, "跳过")
    await bubble(page, "对方的姓名")
    await say(page, "李四")
    await bubble(page, "对方的手机号")


async def incoming(page: Any) -> list[tuple[int, str]]:
    """Every incoming message on the page: (seq, text), in page order."""
    items = await page.eval_on_selector_all(
        "li.them", "els => els.map(e => [Number(e.dataset.seq), e.innerText])"
    )
    return [(int(s), str(t)) for s, t in items]


async def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / name), full_page=False)


async def phones_logged_in(
    browser: Any, base: str, gateway: MemorySmsGateway, phones: tuple[str, ...]
) -> dict[str, Any]:
    """One phone-sized page (390×844, zh-CN) per number, each logged in to the browser chat."""
    pages = {}
    for phone in phones:
        context = await browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
        pages[phone] = await context.new_page()
        await login(pages[phone], base, phone, gateway)
    return pages
