"""Phone login by one-time code: each kind of refusal is told in plain Chinese on the page, and
the limits are kept in the database (hashed codes, expiry, tries, per-phone rate)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from core.clock import FakeClock
from features.webchat.models import WebOtp
from tests.webchat.harness import PHONE_VIEWPORT, TALL_PHONE, shot, standin_chat

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = "13800009001"


async def message(page: Any) -> str:
    await page.wait_for_selector("#login-msg:not([hidden])")
    return str(await page.inner_text("#login-msg"))


async def request_code(page: Any) -> str:
    await page.evaluate("document.getElementById('login-msg').hidden = true")
    await page.click("#send-code")
    return await message(page)


async def enter_code(page: Any, code: str) -> str:
    await page.evaluate("document.getElementById('login-msg').hidden = true")
    await page.fill("#code", code)
    await page.click("#login-btn")
    return await message(page)


async def test_wrong_expired_and_rate_limited_codes(tmp_path: Path, browser: Any) -> None:
    clock = FakeClock()
    async with standin_chat(tmp_path / "var", clock=clock) as (_standin, runtime, base, sms):
        ctx = await browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN")
        page = await ctx.new_page()
        await page.goto(base + "/chat?lang=en")
        assert await page.inner_text("#send-code") == "Send code"
        await page.goto(base + "/chat")
        assert await page.inner_text("#send-code") == "获取验证码"
        await shot(page, "chat-login-phone.png")

        await page.fill("#phone", "12345")
        assert "手机号格式不对" in await request_code(page)

        await page.fill("#phone", "138 0000 9001")
        assert "验证码已发送" in await request_code(page)
        code = sms.sent[PHONE]
        wrong = "000000" if code != "000000" else "111111"
        assert await enter_code(page, wrong) == "验证码不正确，还可以再试 4 次。"
        clock.advance(minutes=6)
        assert await enter_code(page, code) == "验证码已过期，请重新获取。"

        # A new code; asking again at once is refused with the wait, and she is told to
        # enter the code she has (still valid).
        assert "验证码已发送" in await request_code(page)
        assert "请输入短信里的验证码" in await request_code(page)
        for _ in range(5):  # five wrong tries burn the code
            text = await enter_code(page, wrong)
        assert text == "错误次数太多，这个验证码已失效，请重新获取。"
        assert await enter_code(page, sms.sent[PHONE]) == text

        # To one phone, the wait between codes doubles (60 s, 120 s, 240 s… at most
        # 15 minutes) instead of a cap that anyone knowing the number could use up.
        clock.advance(seconds=121)
        assert "验证码已发送" in await request_code(page)
        assert await request_code(page) == (
            "验证码刚刚发过，5 分钟内有效，请输入短信里的验证码。没有收到的话，请 241 秒后再获取。"
        )
        await shot(page, "chat-login-refused-phone.png")

        # Once it has passed it works, and the right code logs in.
        clock.advance(seconds=241)
        assert "验证码已发送" in await request_code(page)
        await page.fill("#code", sms.sent[PHONE])
        await page.click("#login-btn")
        await page.wait_for_selector("#chat[data-state=online]")

        # The page follows the person's language: switch to English and back.
        await page.locator("#menu button", has_text="English").click()
        await page.locator("#menu button", has_text="Report a dispute").wait_for()
        assert await page.inner_text("#send") == "Send"
        await page.locator("#menu button", has_text="中文").click()
        await page.locator("#menu button", has_text="登记纠纷").wait_for()

        # Only keyed hashes are stored: no code, no phone number.
        async with runtime.db.read() as session:
            rows = list((await session.execute(select(WebOtp))).scalars())
        assert len(rows) == 4
        for row in rows:
            assert PHONE not in f"{row.phone_hash}{row.code_hash}"
            assert sms.sent[PHONE] not in row.code_hash
        await ctx.close()


async def test_the_code_box_comes_back_after_a_reload(tmp_path: Path, browser: Any) -> None:
    """A phone reloads the page while she reads the SMS (hJ's trial, P3): the code box is there
    again for the number it was sent to; in a new tab (nothing remembered) asking again shows
    the box with the wait, since the code is still valid. Either way the code logs her in."""
    clock = FakeClock()
    async with standin_chat(tmp_path / "var", clock=clock) as (_standin, _runtime, base, sms):
        ctx = await browser.new_context(viewport=TALL_PHONE, locale="zh-CN")
        page = await ctx.new_page()
        await page.goto(base + "/chat")
        await page.fill("#phone", "138 0000 9001")
        assert "验证码已发送" in await request_code(page)
        await page.reload()
        await page.wait_for_selector("#code-form:not([hidden])")
        assert await page.input_value("#phone") == "138 0000 9001"
        await shot(page, "chat-login-after-reload.png")
        await page.fill("#code", sms.sent[PHONE])
        await page.click("#login-btn")
        await page.wait_for_selector("#chat[data-state=online]")

        # Logged out, a new code asked for, then a new tab: the box is hidden until she
        # asks again, which is refused with the wait but shows the box for the code.
        await page.locator("#menu button", has_text="在所有设备上退出").click()
        await page.wait_for_selector("#phone-form")
        await page.fill("#phone", PHONE)
        clock.advance(seconds=61)
        assert "验证码已发送" in await request_code(page)
        tab = await ctx.new_page()
        await tab.goto(base + "/chat")
        assert await tab.is_hidden("#code-form")
        await tab.fill("#phone", PHONE)
        assert "请输入短信里的验证码" in await request_code(tab)
        await tab.wait_for_selector("#code-form:not([hidden])")
        await shot(tab, "chat-login-asked-again.png")
        await tab.fill("#code", sms.sent[PHONE])
        await tab.click("#login-btn")
        await tab.wait_for_selector("#chat[data-state=online]")
        await ctx.close()


async def test_forms_without_the_csrf_token_are_refused(tmp_path: Path) -> None:
    async with standin_chat(tmp_path / "var") as (_standin, _runtime, base, sms):
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.get(f"{base}/chat") as resp:
                assert resp.status == 200
            async with http.post(f"{base}/chat/otp/request", json={"phone": PHONE}) as resp:
                assert resp.status == 403
                assert (await resp.json())["message"] == "页面已过期，请刷新后再试。"
            csrf = next(c.value for c in http.cookie_jar if c.key == "chat_csrf")
            async with http.post(
                f"{base}/chat/otp/request",
                json={"phone": PHONE},
                headers={"X-CSRF-Token": csrf, "Origin": "http://evil.example"},
            ) as resp:
                assert resp.status == 403
            assert PHONE not in sms.sent
