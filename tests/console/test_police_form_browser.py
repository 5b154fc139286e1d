"""The 治安调解 card on a phone, in real headless Chromium: an officer opens a case the other side
has not yet agreed to and reads why there is no form; on an accepted case he fills the form,
gets every problem at once next to its field with what he typed still there, corrects them and
opens the mediation. Screenshots under the test's temporary directory (SHOTS)."""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from storage.db import Database
from tests.console.conftest import PASSWORD, World, add_case, console_app, make_world
from tests.console.test_police_form import INCIDENT, accepted_case
from tests.webchat.conftest import ARGS, CHROMIUM

SHOTS = Path(os.environ.get("POLICE_FORM_SHOTS") or tempfile.mkdtemp())
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


@pytest.fixture
async def served(sqlite_db: Database, tmp_path: Path) -> AsyncIterator[tuple[str, World]]:
    world = await make_world(sqlite_db, tmp_path)
    runner = web.AppRunner(console_app(world))
    await runner.setup()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}", world
    finally:
        await runner.cleanup()


async def test_an_officer_fills_the_police_form_on_a_phone(served: tuple[str, World]) -> None:
    from playwright.async_api import async_playwright

    base, world = served
    waiting = await add_case(world, "yjp_ps", 1301, name="王强", other_name="刘伟")
    case_id, sides = await accepted_case(world, 1302)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = await browser.new_context(
                viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN"
            )
            page = await context.new_page()
            await page.goto(base + "/staff/login")
            await page.fill("input[name=username]", "police_ps")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button[type=submit]")

            # Not accepted yet: one line says why, no form that would fail.
            await page.goto(base + f"/staff/cases/{waiting}")
            card = page.get_by_test_id("police-card")
            await card.scroll_into_view_if_needed()
            await page.screenshot(path=str(SHOTS / "police-not-accepted.png"), full_page=True)
            assert await page.get_by_test_id("police-open").count() == 0
            why = await page.get_by_test_id("police-unavailable").inner_text()
            assert "尚未受理" in why and "已申请，待对方同意" in why, why

            # Accepted: the officer types the incident and presses the button too early.
            await page.goto(base + f"/staff/cases/{case_id}")
            form = page.get_by_test_id("police-open")
            await form.locator("select[name=violation]").select_option("property_damage")
            await form.locator("input[name=civil]").check()
            await form.locator("select[name=offender]").select_option(str(sides["respondent"]))
            await form.locator("input[name=officers]").fill("1")
            for name, typed in INCIDENT.items():
                await form.locator(f"input[name={name}]").fill(typed)
            await form.get_by_role("button", name="按治安调解处理").click()
            await page.wait_for_load_state()
            assert page.url.endswith("#police-card")
            said = await page.get_by_test_id("case-error").inner_text()
            assert "有 3 处需要修改" in said, said
            # The page opens at the form, which repeats the count above its fields.
            assert said == await page.get_by_test_id("police-problems").inner_text()
            assert await page.get_by_test_id("police-problems").is_visible()
            problems = {
                "minor": "情节较轻",
                "recording_ref": "全程同步录音录像",
                "injured": "请分别选择违法嫌疑人和被侵害人",
            }
            for name, words in problems.items():
                assert words in await page.get_by_test_id(f"problem-{name}").inner_text()
            form = page.get_by_test_id("police-open")
            for name, typed in INCIDENT.items():
                assert await form.locator(f"input[name={name}]").input_value() == typed
            assert await form.locator("input[name=civil]").is_checked()
            assert await form.locator("select[name=violation]").input_value() == "property_damage"
            await page.screenshot(path=str(SHOTS / "police-problems.png"))
            await page.get_by_test_id("problem-injured").scroll_into_view_if_needed()
            await page.screenshot(path=str(SHOTS / "police-problems-sides.png"))
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"the case page scrolls sideways on a phone ({width}px)"

            # He corrects the three and opens the mediation.
            await form.locator("input[name=minor]").check()
            await form.locator("input[name=recording_ref]").fill("YJP-TJ-20261205-03")
            await form.locator("select[name=injured]").select_option(str(sides["applicant"]))
            await form.get_by_role("button", name="按治安调解处理").click()
            await page.wait_for_load_state()
            status = await page.get_by_test_id("police-status").inner_text()
            assert "调解中" in status and "故意损毁财物" in status, status
            await page.screenshot(path=str(SHOTS / "police-opened.png"))
        finally:
            await browser.close()
