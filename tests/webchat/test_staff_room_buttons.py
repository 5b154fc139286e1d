"""A mediator who uses only the browser chat works a case with buttons, never a typed command.

刘调解 has no Telegram: she logs in to the browser chat with the phone registered on her staff
account. Her menu holds her work: 案件列表 (the cases she is in), 待接手 (her unit's cases
waiting), 调解室 (the current case's panel), 协议书 and 文书 (the agreement and the case's
documents), besides registering for someone. Before, the room panel, the agreement and the
documents had to be typed (``/room``, ``/agreement``, ``/documents``), and with no case she
read the party's "发送 /start 登记纠纷". Each button is the command's own (``cmd:…``: the one
route the routing table has), and the room panel carries the agreement's and the documents'
buttons too. 王调解 in Telegram reads the same message in Telegram's words.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from harness.steps import link_staff, wait_text
from tests.e2e.test_intake import walk_intake
from tests.webchat.harness import TALL_PHONE, TELEGRAM_ONLY, bubble, login, shot, standin_chat
from tests.webchat.staff import browser_staff, press_exactly

NUMBER = "（2026）示调字第0001号"
LIU_PHONE = "13700007201"
#: What a party reads when they have no case; a mediator must never read it.
PARTY_WORDS = re.compile(r"/start|「登记纠纷」开始登记")


async def menu_press(page: Any, label: str) -> None:
    await page.locator("#menu button", has_text=re.compile(f"^{re.escape(label)}$")).click()


@pytest.mark.browser
@pytest.mark.slow
async def test_a_browser_only_mediator_has_buttons_for_the_room_the_agreement_and_documents(
    database_url: str | None, tmp_path: Path, browser: Any
) -> None:
    async with standin_chat(tmp_path / "var", database_url) as (standin, runtime, base, gateway):
        unit = runtime.units.default.code
        await browser_staff(runtime, "liu", "mediator", unit, LIU_PHONE)
        wang = await link_staff(runtime, standin, "wang", 7201)

        # In Telegram, a mediator with no case is pointed to their case list, not to /start.
        await wang.send_command("/agreement")
        told = (await wait_text(wang, "没有正在办理的案件")).text or ""
        assert "/switch" in told and "/queue" in told and not PARTY_WORDS.search(told), told

        context = await browser.new_context(viewport=TALL_PHONE, locale="zh-CN")
        liu = await context.new_page()
        await login(liu, base, LIU_PHONE, gateway)
        menu = await liu.locator("#menu button").all_inner_texts()
        assert menu[:9] == [
            "案件列表",
            "待接手",
            "调解室",
            "协议书",
            "文书",
            "代为登记纠纷",
            "岗位任务",
            "取消当前填写",
            "帮助",
        ], menu

        # No case yet: each button answers in a mediator's words, pointing to her buttons.
        for nth, label in enumerate(("调解室", "协议书", "文书")):
            await menu_press(liu, label)
            answer = liu.locator("li.them", has_text="没有正在办理的案件").nth(nth)
            await answer.wait_for()
            said = await answer.inner_text()
            assert "「案件列表」" in said and "「待接手」" in said, said
            assert not PARTY_WORDS.search(said), said
        await menu_press(liu, "待接手")
        await bubble(liu, "没有待接手的案件")

        # A party files in Telegram; she takes the case from the alert; the panel has the
        # agreement's and the documents' buttons.
        await walk_intake(standin.user(7211, first_name="甲", phone="+8613800007211"))
        await bubble(liu, "新案件待接手")
        await press_exactly(liu, f"接手 {NUMBER}")
        await bubble(liu, "您已接手案件")
        panel = liu.locator("li.them", has_text="发言对象").last
        await panel.wait_for()
        buttons = await panel.locator(".buttons button").all_inner_texts()
        assert "调解协议书" in buttons and "申请书和笔录" in buttons, buttons

        # 案件列表: her cases, the current one marked; choosing one makes it current.
        await menu_press(liu, "案件列表")
        listed = liu.locator("li.them", has_text="请选择要切换到的案件").last
        await listed.wait_for()
        choices = await listed.locator(".buttons button").all_inner_texts()
        assert choices == [f"▶ {NUMBER}（已申请，待对方同意）"], choices
        panels = await liu.locator("li.them", has_text="发言对象").count()
        await listed.locator(".buttons button").first.click()
        await bubble(liu, f"已切换到案件 {NUMBER}")
        await liu.locator("li.them", has_text="发言对象").nth(panels).wait_for()  # its panel

        # 调解室 brings the panel back; its 协议书 button runs /agreement's route (not yet:
        # the other side has not joined), and 文书 /documents' route.
        await menu_press(liu, "调解室")
        await liu.locator("li.them", has_text="发言对象").nth(panels + 1).wait_for()
        await press_exactly(liu, "调解协议书")
        assert "已申请，待对方同意" in await bubble(liu, "现在不能制作或修改协议书")
        await press_exactly(liu, "申请书和笔录")
        await bubble(liu, "无法生成文书")
        await menu_press(liu, "协议书")
        await liu.locator("li.them", has_text="现在不能制作或修改协议书").nth(1).wait_for()
        await shot(liu, "webchat-staff-room-buttons.png")
        # 帮助 names the same buttons (it sent her to the console before).
        await menu_press(liu, "帮助")
        helped = await bubble(liu, "调解员办案")
        assert "「案件列表」" in helped and "「协议书」" in helped and "控制台使用" not in helped

        log = await liu.inner_text("#log")
        assert not TELEGRAM_ONLY.search(log), TELEGRAM_ONLY.findall(log)
        await context.close()
