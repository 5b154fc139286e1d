"""The whole service with its web server (browser chat mounted) against the stand-in Bot API,
and what a person does in the chat page, as Playwright steps."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
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
#: A taller phone (390×844), the screen of the staff and resident journeys.
TALL_PHONE = {"width": 390, "height": 844}
#: What a browser-chat text must never say: a slash command, the bot, Telegram's phone button
#: (tests/webchat/test_web_wording.py checks the catalogue; the journeys check what actually
#: reached the page).
TELEGRAM_ONLY = re.compile(r"(?<![\w/:.])/[a-z]{2,}|打开本机器人|本机器人|发送 /|分享我的手机号")


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


@asynccontextmanager
async def standin_chat(
    data_dir: Path, database_url: str | None = None, **options: Any
) -> AsyncIterator[tuple[StandinBotAPI, Runtime, str, MemorySmsGateway]]:
    """A stand-in Telegram and :func:`chat_service` on it (``options`` as there): the opening
    most browser journeys share, yielding the stand-in, the runtime, the base URL and the SMS
    gateway."""
    async with (
        StandinBotAPI() as standin,
        chat_service(standin, data_dir, database_url=database_url, **options) as (
            runtime,
            base,
            gateway,
        ),
    ):
        yield standin, runtime, base, gateway


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


async def press(page: Any, label: str, timeout: float = 20_000) -> None:  # noqa: ASYNC109
    """Press the newest button whose whole label is ``label`` (spaces around it aside),
    waiting for it up to ``timeout`` ms. A part of a label is not enough: press("对") must
    not press "不对，重新填". Not found: the error lists the labels on the page, newest last."""
    buttons = page.locator("li.them .buttons button")
    exact = buttons.filter(has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")).last
    try:
        await exact.click(timeout=timeout)
    except Exception as exc:  # Playwright's TimeoutError: say what could have been pressed
        labels = [text.strip() for text in await buttons.all_inner_texts()]
        raise AssertionError(
            f"no button labelled {label!r}; the page has {labels[-20:]!r}"
        ) from exc


async def say(page: Any, text: str) -> None:
    await page.fill("#text", text)
    await page.click("#send")


async def walk_page(page: Any, steps: Sequence[tuple[str, str, str]]) -> None:
    """Each ``(action, argument, marker)`` step in turn: a button pressed (``press``), the
    phone shared with the contact button (``contact``) or the argument typed (``text``), then
    the reply containing ``marker`` awaited (:func:`bubble`)."""
    for action, argument, marker in steps:
        if action == "press":
            await press(page, argument)
        elif action == "contact":
            await page.click("#contact-btn")
        else:
            await say(page, argument)
        await bubble(page, marker)


async def to_facts(page: Any, dispute: str) -> None:
    """From the 登记纠纷 menu button to the facts question (发生了什么) of a ``dispute``."""
    await page.locator("#menu button", has_text="登记纠纷").click()
    await answer_to_facts(page, dispute)


async def answer_to_facts(page: Any, dispute: str) -> None:
    """From the consent question (自愿) to the facts question of a ``dispute``."""
    await bubble(page, "自愿")
    await walk_page(
        page, [("press", "同意，开始登记", "纠纷类型"), ("press", dispute, "发生了什么")]
    )


#: The intake's questions from the place to the respondent's name, as the browser tests'
#: applicant answers them (:func:`walk_page` steps, after 哪里 was asked): 杨家坪, 张三 with the
#: phone she signed in with, no address, against 李四; they stop when the respondent's number
#: is asked for.
PLACE_AND_NAMES = [
    ("text", "九龙坡区杨家坪街道", "姓名"),
    ("text", "张三", "手机号"),
    ("contact", "", "手机号已保存"),
    ("press", "跳过", "对方的姓名"),
    ("text", "李四", "对方的手机号"),
]


async def draw_signature(page: Any) -> None:
    """A signature drawn with a finger (a mouse stroke across the signing page's pad)."""
    box = await page.locator("#pad").bounding_box()
    assert box is not None
    await page.mouse.move(box["x"] + 20, box["y"] + 40)
    await page.mouse.down()
    for i in range(1, 12):
        await page.mouse.move(box["x"] + 20 + i * 18, box["y"] + 40 + (i % 3) * 25)
    await page.mouse.up()


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
        context = await browser.new_context(viewport=TALL_PHONE, locale="zh-CN")
        pages[phone] = await context.new_page()
        await login(pages[phone], base, phone, gateway)
    return pages
