"""In the browser chat too, the invitation code typed at the consent screen joins (issue 19).

A resident without Telegram was told the code by phone. She logs in, presses 登记纠纷 (the
consent question appears), then types the code into the chat box as she heard it. She agrees,
confirms the name the applicant typed for her, gives her own particulars for the papers as she
types them, and what she writes next is room talk — not an answer to the consent question.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.parties.test_joining import file_case
from tests.webchat.harness import PHONE_VIEWPORT, SHOTS, bubble, login, press, say, standin_chat

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
        # Her own particulars for the papers (services.particulars), as she types them.
        await press(page, "✏️ 现在填写")
        await bubble(page, "您的性别")
        await press(page, "女")
        await bubble(page, "您的出生日期")
        await say(page, "不知道")
        await bubble(page, "先空着")
        await say(page, "土家族")
        await bubble(page, "您的职业或职务")
        await say(page, "退休")
        await bubble(page, "您的住址")
        await say(page, "重庆市渝中区解放碑街道 民生路 88号 3单元")
        await bubble(page, "您的联系电话")
        await say(page, "138 0000 7702")
        summary = await bubble(page, "已记下您本人的信息")
        assert "住址或单位地址：重庆市渝中区解放碑街道民生路88号3单元" in summary
        assert "出生日期（或年龄）：未填写" in summary and "还缺" in summary
        await page.screenshot(path=str(SHOTS / "particulars-web.png"), full_page=False)
        await say(page, "我愿意调解")
        await bubble(page, "调解会话尚未开始")
        await ctx.close()
