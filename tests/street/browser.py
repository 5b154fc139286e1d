"""What the street's browser tests share: Chromium at phone width, staff accounts made with one
password, and signing in on the console's login page as a person does."""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from app.runtime import Runtime
from services.staff import create_staff

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SHOTS = DOCS_SHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else Path(tempfile.mkdtemp())
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
PASSWORD = "correct horse battery"


async def add_staff(
    runtime: Runtime,
    people: Iterable[tuple[str, str, str]],
    names: Mapping[str, str] | None = None,
) -> None:
    """Console accounts (username, role, unit), each named as its username unless ``names``
    gives its display name."""
    for username, role, unit in people:
        error = await create_staff(
            runtime.db,
            username=username,
            password=PASSWORD,
            role=role,
            unit_code=unit,
            display_name=(names or {}).get(username, username),
            known_units=set(runtime.units.by_code),
        )
        assert error is None, error


async def signed_in(browser: Browser, base: str, username: str) -> Page:
    """A new phone (390×844, zh-CN, touch) signed in to the console as ``username``."""
    context = await browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True
    )
    page = await context.new_page()
    await page.goto(base + "/staff/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit].primary")
    await page.wait_for_load_state()
    return page


@asynccontextmanager
async def phones(base: str) -> AsyncIterator[Callable[[str], Awaitable[Page]]]:
    """Chromium, started for the test and closed after it: gives ``signed_in(username)``, a new
    phone signed in to the console at ``base`` (:func:`signed_in`)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield functools.partial(signed_in, browser, base)
        finally:
            await browser.close()


async def registration_form(signed_in: Callable[[str], Awaitable[Page]], base: str) -> Page:
    """The grid worker (wangge) signed in on her phone, the 代为登记 form open."""
    page = await signed_in("wangge")
    await page.goto(base + "/staff/street/register")
    return page


async def fill_form(page: Page, fields: Iterable[tuple[str, str]]) -> None:
    """Each ``(selector, value)`` in turn, as a person fills in the form: a ``select`` set to
    the option ``value``, any other field typed into."""
    for selector, value in fields:
        if selector.startswith("select"):
            await page.select_option(selector, value)
        else:
            await page.fill(selector, value)
