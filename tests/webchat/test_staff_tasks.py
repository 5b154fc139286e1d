"""A post's member who uses only the browser chat hears of her tasks there (issue 24).

市政建管岗's member has no Telegram: an admin registered her mobile number on her staff account
and she logs in to the browser chat with it and the one-time code. A grid worker registers a
wage dispute from Telegram; the dispatch rule makes her post the lead, and the task card
appears in her browser chat with its buttons as the browser renders them. She presses 接单
there and the task is accepted. 政务劳保岗's member has both: linked in Telegram and logged in
to the browser chat too; her card comes where she linked, once. She returns her task and the
district's centre, whose admin also uses only the browser chat, is told there; when the lead's
task passes its deadline the centre hears of that there too. Nothing she reads names a slash
command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core.clock import FakeClock
from features.street.models import StreetTask
from harness.steps import link_staff, report_in_street, wait_text
from services.staff import set_phone
from storage.models import StaffAccount
from tests.webchat.harness import TALL_PHONE, TELEGRAM_ONLY, bubble, login, shot, standin_chat
from tests.webchat.staff import STREET_UNITS, browser_staff, browser_texts, press_exactly

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NUMBER = "（2026）悦来调字第0001号"
LEAD_PHONE = "13700007002"
HELPER_PHONE = "13700007003"
CENTRE_PHONE = "13700007004"


async def test_a_browser_only_post_member_gets_her_task_and_accepts_it(
    database_url: str | None, tmp_path: Path, browser: Any
) -> None:
    clock = FakeClock()
    async with standin_chat(
        tmp_path / "var", database_url, clock=clock, UNITS_FILE=str(STREET_UNITS)
    ) as (standin, runtime, base, gateway):
        grid = await link_staff(
            runtime, standin, "wangge", 7001, role="grid", unit_code="yuelai-sq"
        )
        await browser_staff(runtime, "jianguan", "mediator", "yuelai", LEAD_PHONE)
        laobao = await link_staff(
            runtime, standin, "laobao", 7003, role="mediator", unit_code="yuelai"
        )
        assert await set_phone(runtime.db, "laobao", HELPER_PHONE) is None
        await browser_staff(runtime, "yb-centre", "admin", "yubei", CENTRE_PHONE)

        pages = {}
        for phone in (LEAD_PHONE, HELPER_PHONE, CENTRE_PHONE):
            context = await browser.new_context(viewport=TALL_PHONE, locale="zh-CN")
            pages[phone] = await context.new_page()
            await login(pages[phone], base, phone, gateway)
        lead, centre = pages[LEAD_PHONE], pages[CENTRE_PHONE]

        # The grid worker registers it from Telegram; the rule names 市政建管岗 the lead.
        registered = (await report_in_street(grid))[-1]
        assert NUMBER in registered

        card = await bubble(lead, "市政建管岗（牵头")
        assert NUMBER in card and "待接单" in card and "市政建管岗（牵头）" in card
        assert "牵头：" not in card  # the lead's own card does not name itself twice
        await lead.locator("li.them", has_text="市政建管岗（牵头").last.evaluate(
            "li => li.scrollIntoView({block: 'start'})"
        )
        await shot(lead, "webchat-staff-task-card.png")
        await press_exactly(lead, "接单")
        accepted = await bubble(lead, "已接单：")
        assert NUMBER in accepted
        await bubble(lead, "【已接单】")  # the card again, with the next buttons

        # The helper has both channels: her card comes in Telegram, where she linked.
        helper_card = await wait_text(laobao, "政务劳保岗（协办")
        assert "牵头：市政建管岗" in (helper_card.text or "")
        await laobao.press("退回")
        await wait_text(laobao, "退回的原因")
        await laobao.send_text("欠薪涉及劳动监察，建议由区人社局牵头。")
        await wait_text(laobao, "已退回：")
        returned = await bubble(centre, "任务被退回")
        assert "政务劳保岗" in returned and "区人社局" in returned

        async with runtime.db.read() as session:
            me = (
                await session.execute(
                    select(StaffAccount).where(StaffAccount.username == "jianguan")
                )
            ).scalar_one()
            tasks = {t.desk_code: t for t in (await session.execute(select(StreetTask))).scalars()}
            to_lead_browser = await browser_texts(session, "jianguan")
            to_helper_browser = await browser_texts(session, "laobao")
        lead_task = tasks["yl-jianguan"]
        assert (lead_task.status, lead_task.responded_by) == ("accepted", me.id)
        assert tasks["yl-laobao"].status == "returned"
        # Written with the dispatch, before her Telegram card came: she was told once.
        assert any("市政建管岗（牵头" in t for t in to_lead_browser)
        assert not [t for t in to_helper_browser if "任务" in t], to_helper_browser

        # Five hours on (the rule's deadline is four): the lead's task, accepted but not
        # done, is overdue; the centre hears of it in the browser.
        clock.advance(hours=5)
        assert await runtime.timers.run_due() >= 1  # type: ignore[union-attr]
        overdue = await bubble(centre, "任务超期")
        assert "市政建管岗（牵头）" in overdue and NUMBER in overdue

        for page in (lead, centre):
            log = await page.inner_text("#log")
            assert not TELEGRAM_ONLY.search(log), TELEGRAM_ONLY.findall(log)
