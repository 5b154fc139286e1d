"""A resident finds the 24-hour legal assistant in the browser chat's menu (hJ's trial, P2, P11).

On a 390 px phone the menu scrolls sideways; 帮助, which the welcome tells her to press, is on
screen without scrolling, and its text names 法律咨询. She presses 法律咨询 (the route ``/ask``
takes: a consultation, since she has no case), types a wage question and gets the assistant's
answer with its articles and the 请律师 / 结束咨询 buttons. Ending it tells her how to start again.
Pressed in the middle of a registration, it tells her to finish the registration first, not to
write after a command she cannot type. Nothing she reads names a slash command or the bot.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from legal_kb.importers.lawsdb import default_path, read_laws_db
from legal_kb.imports import LawBatch
from tests.lawyers.conftest import SUBSET, prepare_database
from tests.webchat.harness import (
    TALL_PHONE,
    TELEGRAM_ONLY,
    bubble,
    incoming,
    login,
    press,
    say,
    shot,
    standin_chat,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = "13900004321"


@pytest.fixture(scope="module")
def laws() -> LawBatch:
    """Five laws of laws.db (tests/lawyers/conftest.py says why a subset)."""
    return read_laws_db(default_path(), SUBSET)


async def menu_button(page: Any, label: str) -> Any:
    return page.locator("#menu button", has_text=label)


async def test_the_menu_offers_the_legal_assistant_and_help_is_on_screen(
    tmp_path: Path, browser: Any, laws: LawBatch
) -> None:
    var = tmp_path / "var"
    await prepare_database(var, laws)
    async with standin_chat(var) as (_standin, _runtime, base, gateway):
        ctx = await browser.new_context(viewport=TALL_PHONE, locale="zh-CN")
        page = await ctx.new_page()
        await login(page, base, PHONE, gateway)

        # 帮助 is inside the phone's width before any scrolling, and not covered.
        assert await page.eval_on_selector("#menu", "m => m.scrollLeft") == 0
        help_button = await menu_button(page, "帮助")
        box = await help_button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
        middle = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        on_top = await page.evaluate(
            "([x, y]) => document.elementFromPoint(x, y).textContent", middle
        )
        assert on_top == "帮助"
        assert "法律咨询" in await page.inner_text("#menu")
        await shot(page, "chat-menu-help-on-screen.png")

        await help_button.click()
        help_text = await bubble(page, "「法律咨询」")
        assert "法律助手" in help_text
        await shot(page, "chat-help-names-the-assistant.png")

        await (await menu_button(page, "法律咨询")).click()
        assert "已开始法律咨询 （2026）示调咨字第0001号" in await bubble(page, "已开始法律咨询")
        await say(page, "用人单位拖欠劳动报酬怎么办")
        answer = await bubble(page, "《劳动合同法》第三十条")
        assert "不构成法律意见" in answer
        last = page.locator("li.them").last
        assert await last.locator(".buttons button").all_inner_texts() == ["请律师", "结束咨询"]
        await shot(page, "chat-assistant-answer.png")

        await press(page, "结束咨询")
        assert "「法律咨询」" in await bubble(page, "已结束")

        # Pressed during a registration (its consent question): finish that first.
        await (await menu_button(page, "登记纠纷")).click()
        await bubble(page, "自愿")
        await (await menu_button(page, "法律咨询")).click()
        assert "请先完成登记" in await bubble(page, "您正在登记纠纷")

        for _seq, text in await incoming(page):
            assert not TELEGRAM_ONLY.search(text), text
        await ctx.close()
