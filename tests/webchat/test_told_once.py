"""In the browser chat too, the story told at the first question is offered back, not asked for
again (mediation.earlier_answers): the facts, the claims, the sum and the other side each come
with 对 / 不对，重新填 under the question; what she presses is what is kept. The offer is looked
at on a 390×844 phone screen (``told-once-offer.png``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.webchat.harness import TALL_PHONE, bubble, login, press, say, shot, standin_chat

pytestmark = [pytest.mark.browser]

STORY = "楼上邻居王某家卫生间漏水，把我家天花板泡坏了，要求赔偿修理费四千八"


async def buttons(page: Any) -> list[str]:
    """The labels of the newest message's buttons."""
    labels = await page.locator("li.them").last.locator(".buttons button").all_inner_texts()
    return [str(label).strip() for label in labels]


async def yes(page: Any) -> None:
    """对 on the newest message (``press`` matches by part: 不对，重新填 holds 对 too)."""
    await (
        page.locator("li.them").last.locator(".buttons button", has_text=re.compile("^对$")).click()
    )


async def test_the_browser_chat_offers_the_story_back(tmp_path: Path, browser: Any) -> None:
    async with standin_chat(tmp_path / "var") as (_standin, _runtime, base, gateway):
        ctx = await browser.new_context(viewport=TALL_PHONE, locale="zh-CN")
        page = await ctx.new_page()
        await login(page, base, "13800007731", gateway)
        await page.locator("#menu button", has_text="登记纠纷").click()
        await bubble(page, "自愿")
        await press(page, "同意，开始登记")
        await bubble(page, "纠纷类型")
        await say(page, STORY)
        await bubble(page, "您的纠纷属于")
        await press(page, "✅ 是，邻里纠纷")
        offered = await bubble(page, "您前面说的是")
        assert "第 2 步" in offered and STORY in offered
        assert await buttons(page) == ["对", "不对，重新填"]
        await shot(page, "told-once-offer.png")
        await yes(page)
        await bubble(page, "第 3 步")
        await press(page, "下一步")
        assert "赔偿修理费四千八" in await bubble(page, "第 4 步")
        await yes(page)
        assert "记为 4,800.00 元" in await bubble(page, "第 5 步")
        before = await page.locator("li.them").count()
        await press(page, "不对，重新填")
        await page.locator("li.them").nth(before).wait_for()
        asked = await page.locator("li.them").last.inner_text()
        assert "第 5 步" in asked and "您前面说的" not in asked  # asked from scratch
        await say(page, "大概四千八")
        await bubble(page, "大概的数目")
        await press(page, "对，就是这个金额")
        await bubble(page, "哪里")
        await ctx.close()
