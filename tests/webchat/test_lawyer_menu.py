"""A volunteer lawyer who uses only the browser has buttons for her panel and her duty status.

In Telegram a lawyer's command menu holds ``/lawyer`` (her panel) and ``/duty`` (her status,
with a button to pause or resume taking requests). 周律师 has no Telegram: she logs in to the
browser chat with the phone on her account, and the page's staff menu gives her 「律师面板」 and
「值班状态」 (``features.webchat.staff_menu``). Outside a room her panel is her duty status; she
pauses taking requests from it and sees the status change. A mediator's page has neither button
(for a mediator ``/lawyer`` asks for a lawyer).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from standin import StandinBotAPI
from tests.lawyers.conftest import lawyer_profile
from tests.webchat.harness import TELEGRAM_ONLY, bubble, chat_service, phones_logged_in, shot
from tests.webchat.staff import browser_staff, press_exactly

ZHOU_PHONE = "13700007341"
MEDIATOR_PHONE = "13700007342"


async def menu(page: Any) -> list[str]:
    return [str(t) for t in await page.locator("#menu button").all_inner_texts()]


@pytest.mark.browser
@pytest.mark.slow
async def test_a_browser_only_lawyer_has_her_panel_and_duty_status_as_buttons(
    database_url: str | None, tmp_path: Path, browser: Any
) -> None:
    async with StandinBotAPI() as standin:
        async with chat_service(standin, tmp_path / "var", database_url=database_url) as (
            runtime,
            base,
            gateway,
        ):
            unit = runtime.units.default.code
            await browser_staff(runtime, "zhou", "lawyer", unit, ZHOU_PHONE, name="周律师")
            await lawyer_profile(runtime, "zhou", licence="11101201810000741")
            await browser_staff(runtime, "liu", "mediator", unit, MEDIATOR_PHONE)
            pages = await phones_logged_in(browser, base, gateway, (ZHOU_PHONE, MEDIATOR_PHONE))
            zhou, mediator = pages[ZHOU_PHONE], pages[MEDIATOR_PHONE]

            assert (await menu(zhou))[:4] == ["律师面板", "值班状态", "取消当前填写", "帮助"]
            assert not {"律师面板", "值班状态"} & set(await menu(mediator))

            await zhou.locator("#menu button", has_text="值班状态").click()
            status = await bubble(zhou, "周律师 律师")
            assert "状态：" in status and "已暂停接单" not in status, status
            await press_exactly(zhou, "暂停接单")
            await bubble(zhou, "已暂停接单：")
            paused = zhou.locator("li.them", has_text="状态：已暂停接单")
            await paused.first.wait_for()  # the pause answers with the status too

            await zhou.locator("#menu button", has_text="律师面板").click()
            await paused.nth(1).wait_for()  # outside a room her panel is her status
            await press_exactly(zhou, "恢复接单")
            await bubble(zhou, "已恢复接单")

            await zhou.locator("#menu button", has_text="帮助").click()
            help_text = await bubble(zhou, "「律师面板」")
            assert "「值班状态」" in help_text, help_text
            await shot(zhou, "webchat-lawyer-menu.png")
            log = await zhou.inner_text("#log")
            assert not TELEGRAM_ONLY.search(log), TELEGRAM_ONLY.findall(log)
