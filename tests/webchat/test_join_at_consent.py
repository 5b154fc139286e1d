"""In the browser chat too, the invitation code typed at the consent screen joins (issue 19).

A resident without Telegram was told the code by phone. She logs in, presses 登记纠纷 (the
consent question appears), then types the code into the chat box as she heard it. She agrees,
confirms the name the applicant typed for her, and what she writes next is room talk — not an
answer to the consent question.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.parties.test_joining import file_case
from tests.webchat.harness import PHONE_VIEWPORT, bubble, login, press, say, standin_chat

pytestmark = [pytest.mark.browser]


async def test_the_code_typed_at_the_browser_consent_screen_joins(
    tmp_path: Path, browser: Any
) -> None:
    async with standin_chat(tmp_path / "var") as (standin, _runtime, base, gateway):
        first, second, _ = await file_case(
            standin.user(7701, phone="+8613800007701"), other_name="陈秀英"
        )
        ctx = await browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN")
        page = await ctx.new_page()
        await login(page, base, "13800007702", gateway)
        await page.locator("#menu button", has_text="登记纠纷").click()
        await bubble(page, "您同意以上内容并开始登记吗")
        await say(page, f"{first.lower()} {second.lower()}")
        assert "您被邀请参加" in await bubble(page, "您被邀请参加")
        await press(page, "同意参加调解")
        welcome = await bubble(page, "是否正确")
        assert "被申请人】" in welcome and "申请人填写您的姓名为「陈秀英」" in welcome
        await press(page, "✅ 正确")
        assert "陈秀英" in await bubble(page, "已确认")
        await say(page, "我愿意调解")
        await bubble(page, "调解会话尚未开始")
        await ctx.close()
