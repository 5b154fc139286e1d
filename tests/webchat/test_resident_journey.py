"""An elderly resident without Telegram answers an invitation in her phone's browser (issue 19).

Her neighbour files a 邻里纠纷 in Telegram and gives her number; she gets the browser join link.
She reads on the login page who invited her to what, logs in with the code the (test) SMS
gateway sent, sees a friendly first message (not the link's token), confirms her number with one
tap, agrees, talks with the neighbour, reloads the page and still sees the whole conversation
(her side too), asks for 帮助 and gets plain words with buttons, opens 我的案件 and presses a
case's button. Nothing she reads names a slash command, "this bot" or a button that is not there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.steps import NEIGHBOUR_INTAKE, invitation_token, take_case, take_step, texts, wait_text
from tests.e2e.test_room import make_mediator
from tests.webchat.harness import (
    TALL_PHONE,
    TELEGRAM_ONLY,
    bubble,
    press,
    say,
    shot,
    standin_chat,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = "13900001234"
NUMBER = "（2026）示调字第0001号"


async def file_case_for(applicant: Any, phone: str) -> None:
    """The neighbour's intake in Telegram, giving the resident's number for the invitation."""
    steps = list(NEIGHBOUR_INTAKE)
    steps[-2] = ("text", phone, ["请核对"])
    for action, argument, markers in steps:
        await take_step(applicant, action, argument)
        await texts(applicant, len(markers))


async def mine(page: Any) -> list[str]:
    return [str(t) for t in await page.locator("li.me .text").all_inner_texts()]


async def test_a_resident_answers_an_invitation_in_the_browser(
    database_url: str | None, tmp_path: Path, browser: Any
) -> None:
    async with standin_chat(tmp_path / "var", database_url) as (standin, runtime, base, gateway):
        neighbour = standin.user(1001, first_name="张三", phone="+8613800000000")
        await file_case_for(neighbour, PHONE)
        token = invitation_token(neighbour)

        context = await browser.new_context(viewport=TALL_PHONE, locale="zh-CN")
        page = await context.new_page()
        # Before login only the login shows: [hidden] hides the chat's boxes and the code
        # field (a display:flex rule used to show them).
        await page.goto(f"{base}/chat")
        await page.wait_for_selector("#login:not([hidden])")
        assert await page.locator("#phone").is_visible()
        for hidden in ("#chat", "#code", "#text", "#send", "#record", "#invite"):
            assert not await page.locator(hidden).is_visible(), hidden
        await shot(page, "webchat-after-login.png")
        await page.goto(f"{base}/chat/join/{token}")
        await page.wait_for_selector("#login:not([hidden])")
        # Who invited whom to what, before the login; nothing of the chat shows yet.
        invited = await page.inner_text("#invite")
        assert "张*邀请您作为被申请人，参加一起邻里纠纷的人民调解。" in invited
        assert f"案件编号：{NUMBER}" in invited
        assert not await page.locator("#chat").is_visible()
        assert not await page.locator("#code").is_visible()
        assert not await page.locator("#text").is_visible()
        await shot(page, "webchat-after-join-login.png")

        await page.fill("#phone", PHONE)
        await page.click("#send-code")
        await page.wait_for_selector("#code-form:not([hidden])")
        await page.fill("#code", gateway.sent[PHONE])
        await page.click("#login-btn")
        await page.wait_for_selector("#chat[data-state=online]")
        # Every box she can type in or press says what it is.
        unlabelled = await page.eval_on_selector_all(
            "input:not([type=hidden]), textarea, select",
            "els => els.filter(e => e.getClientRects().length && !e.labels.length"
            " && !e.getAttribute('aria-label')).map(e => e.id)",
        )
        assert unlabelled == []

        # The first bubble is hers, in words, not the link's token; one tap gives the number
        # she logged in with, and the button is the one the text names.
        ask = await bubble(page, "用登录手机号")
        assert (await mine(page))[0] == "📩 我打开了调解邀请"
        assert "inv_" not in await page.inner_text("#log")
        contact = await page.inner_text("#contact-btn")
        assert contact == "📱 用登录手机号 139****1234", contact
        assert "「用登录手机号」" in ask
        await shot(page, "webchat-after-joined.png")
        await page.click("#contact-btn")
        await bubble(page, "您被邀请参加")
        await press(page, "同意参加调解")
        await bubble(page, "您已加入案件")
        await wait_text(neighbour, "被申请人已加入调解")
        mediator = await make_mediator(runtime, standin, "med1", 7100)
        await take_case(mediator, NUMBER)
        await mediator.press("▶ 开始调解会话")
        await bubble(page, "调解会话已开始")

        await say(page, "您好，我是1202的住户，装修的事我想好好谈谈。")
        await wait_text(neighbour, "1202的住户")
        await neighbour.send_text("好的，我们约个时间当面说清楚。")
        await bubble(page, "约个时间")
        await shot(page, "webchat-after-room.png")

        # After a reload the whole conversation is there, both sides, in order.
        before = await page.inner_text("#log")
        await page.reload()
        await page.wait_for_selector("#chat[data-state=online]")
        await bubble(page, "约个时间")
        own = await mine(page)
        assert own == [
            "📩 我打开了调解邀请",
            "📱 用登录手机号",
            "同意参加调解",
            "您好，我是1202的住户，装修的事我想好好谈谈。",
        ]
        after = await page.inner_text("#log")
        assert after.index("1202的住户") < after.index("约个时间")
        assert after.replace("发送中", "").split() == before.replace("发送中", "").split()
        await shot(page, "webchat-after-reload.png")

        # 帮助: a few plain lines and buttons.
        await page.locator("#menu button", has_text="帮助").click()
        help_text = await bubble(page, "不用下载应用")
        assert len(help_text.splitlines()) <= 10
        await shot(page, "webchat-after-help.png")
        # 我的案件 (the help's button) lists her case with a button that opens it.
        await press(page, "我的案件")
        await bubble(page, "您的案件")
        await press(page, f"查看 {NUMBER}")
        detail = await bubble(page, f"案件编号：{NUMBER}")
        assert "被申请人" in detail
        await shot(page, "webchat-after-cases.png")

        read = await page.inner_text("#log")
        assert not TELEGRAM_ONLY.search(read), TELEGRAM_ONLY.findall(read)
        await context.close()
