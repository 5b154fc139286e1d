"""The console in real headless Chromium (Debian's, driven by Playwright), served on a real port.

One walk through a working day: sign in, read the dashboard's charts, filter the ledger, open a
case, reveal a phone number (logged), escalate the case, and the same pages on a phone-sized
screen and in English. Screenshots: docs/screenshots/console-*.png with UPDATE_SCREENSHOTS=1.
"""

from __future__ import annotations

import asyncio
import os
import socket
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import select

from features.console.models import AuditEntry
from storage.db import Database
from storage.models import Case, CaseEvent
from tests.console.conftest import APPLICANT_PHONE, PASSWORD, World, console_app, seed_history
from tests.webchat.conftest import ARGS, CHROMIUM

# The committed screenshots are refreshed on purpose (UPDATE_SCREENSHOTS=1); an ordinary test
# run writes its screenshots under the test's temporary directory and leaves the tree clean.
DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SHOTS = DOCS_SHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else Path(tempfile.mkdtemp())
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


@pytest.fixture
async def sqlite_world(sqlite_db: Database, tmp_path: Path) -> World:
    from tests.console.conftest import make_world

    world = await make_world(sqlite_db, tmp_path)
    await seed_history(world, 36)
    return world


@pytest.fixture
async def served(sqlite_world: World) -> AsyncIterator[str]:
    """The real app (console mounted, risk sweeper on) on a free port of 127.0.0.1."""
    app = console_app(sqlite_world, sweep_interval=0.2)
    runner = web.AppRunner(app)
    await runner.setup()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_working_day_in_chromium(served: str, sqlite_world: World) -> None:
    from playwright.async_api import async_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    world = sqlite_world
    wage_id = world.cases["wage"]
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = await browser.new_context(
                viewport={"width": 1366, "height": 900}, locale="zh-CN"
            )
            page = await context.new_page()

            # Sign in (Chinese by default).
            await page.goto(served + "/staff/cases")
            assert page.url.startswith(served + "/staff/login")
            assert await page.locator("h1").inner_text() == "工作人员登录"
            await page.screenshot(path=str(SHOTS / "console-login.png"))
            await page.fill("input[name=username]", "med_street")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button[type=submit].primary")
            await page.wait_for_url(served + "/staff/cases")

            # The risk sweeper flags the wage case (二十多名工人…聚集讨薪) and the badge appears.
            for _ in range(50):
                await page.goto(served + "/staff/cases")
                if await page.locator("[data-testid=alert-badge]").count():
                    break
                await asyncio.sleep(0.2)
            assert await page.locator("[data-testid=alert-badge]").inner_text() == "1"

            # Dashboard with its server-side SVG charts.
            await page.goto(served + "/staff/")
            for chart in ("month", "status", "type", "unit", "risk"):
                assert await page.locator(f"[data-testid=chart-{chart}] svg rect").count() > 0
            assert "%" in await page.locator("[data-testid=kpi-rate]").inner_text()
            await page.screenshot(path=str(SHOTS / "console-dashboard.png"), full_page=True)

            # Ledger: filter by type and risk.
            await page.goto(served + "/staff/cases")
            await page.click("form[data-testid=ledger-filters] summary")
            await page.select_option("select[name=type]", "labour_wages")
            await page.select_option("select[name=risk]", "major")
            await page.click("form[data-testid=ledger-filters] button[type=submit]")
            await page.wait_for_url("**/staff/cases?*")
            rows = page.locator("[data-testid=ledger-table] tbody tr")
            numbers = await page.locator("a.case-link").all_inner_texts()
            assert await rows.count() >= 1
            async with world.runtime.db.read() as session:
                wage = await session.get(Case, wage_id)
                assert wage is not None
            assert wage.number in numbers
            assert APPLICANT_PHONE not in await page.content()  # masked in the list
            await page.goto(served + "/staff/cases")
            await page.screenshot(path=str(SHOTS / "console-ledger.png"), full_page=True)

            # Open the case, reveal the applicant's phone (a logged POST).
            await page.goto(served + "/staff/cases?type=labour_wages&risk=major")
            await page.click(f"text={wage.number}")
            await page.wait_for_url(f"**/staff/cases/{wage_id}")
            assert APPLICANT_PHONE not in await page.content()
            await page.click("[data-testid=reveal-applicant-phone]")
            assert await page.locator("[data-testid=revealed]").inner_text() == APPLICANT_PHONE

            # Escalate from the community to the street, with a reason.
            await page.goto(served + f"/staff/cases/{wage_id}")
            page.once("dialog", lambda d: asyncio.ensure_future(d.accept()))
            form = page.locator("[data-testid=escalate-form]")
            await form.locator("input[name=reason]").fill("涉及二十多名工人，需街道协调劳动监察")
            await form.locator("button[type=submit]").click()
            await page.wait_for_url(f"**/staff/cases/{wage_id}")
            assert (
                "杨家坪街道人民调解委员会"
                in await page.locator("[data-testid=case-unit]").inner_text()
            )
            assert "需街道协调劳动监察" in await page.locator("[data-testid=timeline]").inner_text()
            await page.screenshot(path=str(SHOTS / "console-case.png"), full_page=True)

            # English, selectable and remembered in the session.
            await page.goto(served + "/staff/cases?lang=en")
            assert await page.locator("h1").inner_text() == "Case ledger"
            await page.goto(served + "/staff/")
            assert await page.locator("h1").inner_text() == "Overview"
            await page.screenshot(path=str(SHOTS / "console-dashboard-en.png"), full_page=True)
            await page.goto(served + "/staff/?lang=zh-CN")

            # A phone-sized screen: the table becomes cards, the menu folds away.
            phone = await browser.new_context(
                viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN"
            )
            await phone.add_cookies(await context.cookies())  # type: ignore[arg-type]
            mobile = await phone.new_page()
            await mobile.goto(served + "/staff/cases")
            assert not await mobile.locator("#nav").is_visible()
            await mobile.click(".nav-toggle")
            assert await mobile.locator("#nav").is_visible()
            await mobile.click(".nav-toggle")
            width = await mobile.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"page scrolls sideways on a phone ({width}px)"
            await mobile.screenshot(path=str(SHOTS / "console-mobile-ledger.png"))
            await mobile.goto(served + f"/staff/cases/{wage_id}")
            width = await mobile.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"case page scrolls sideways on a phone ({width}px)"
            await mobile.screenshot(path=str(SHOTS / "console-mobile-case.png"))
            await mobile.goto(served + "/staff/")
            await mobile.screenshot(path=str(SHOTS / "console-mobile-dashboard.png"))
        finally:
            await browser.close()

    async with world.runtime.db.read() as session:
        events = list(
            (await session.execute(select(CaseEvent).where(CaseEvent.case_id == wage_id))).scalars()
        )
        audits = list((await session.execute(select(AuditEntry.action))).scalars())
    escalation = next(e for e in events if e.kind == "escalated")
    assert escalation.actor == f"staff:{world.staff['med_street']}"
    assert escalation.data["from"] == "yjp_c1" and escalation.data["to"] == "yjp"
    assert "risk" in {e.kind for e in events}  # raised by the sweeper
    assert {"login", "reveal", "escalate"} <= set(audits)
