"""An invited party can say the record staff wrote about them is wrong (记录有误).

A party who files a dispute checks what was recorded before it is filed and changes any item
(the intake's confirmation step: 需要修改请点对应的项目). A party a grid worker registered on the
street is invited to check that record instead: before, she could only press 记录无误，同意调解
or 不参加 — agree to a record she found wrong, or refuse mediation. Now 记录有误 asks what is
wrong; her correction is kept with the case (its timeline: the record staff wrote stays as it
was) and goes to the grid worker who registered it, and she is asked again whether she takes
part. 张秀英 does this in the browser; the grid worker is in Telegram.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from harness.steps import link_unit_staff, report_in_street, wait_text
from storage.models import Case, CaseEvent, CaseParty
from tests.webchat.harness import TALL_PHONE, TELEGRAM_ONLY, bubble, login, say, shot, standin_chat
from tests.webchat.staff import STREET_UNITS, press_exactly

WORKER_PHONE = "13800001111"
TOKENS = re.compile(r"start=(inv_[A-Za-z0-9_-]+)")
CORRECTION = "我不是工人代表，是工地的会计；每人欠薪是五千二，不是四千八。"


@pytest.mark.browser
@pytest.mark.slow
async def test_an_invited_party_says_the_record_is_wrong_and_still_takes_part(
    tmp_path: Path, browser: Any
) -> None:
    async with standin_chat(tmp_path / "var", UNITS_FILE=str(STREET_UNITS)) as (
        standin,
        runtime,
        base,
        gateway,
    ):
        linked = await link_unit_staff(runtime, standin, [("wangge", 7001, "grid", "yuelai-sq")])
        grid = linked["wangge"]
        await report_in_street(grid)
        shown = await grid.wait_for_messages(6)  # per party: the invitation and its QR code
        first = next(m.text or "" for m in shown if "张秀英" in (m.text or ""))
        token = TOKENS.search(first)
        assert token, first

        context = await browser.new_context(viewport=TALL_PHONE, locale="zh-CN")
        page = await context.new_page()
        await login(page, base, WORKER_PHONE, gateway, path=f"/chat/join/{token.group(1)}")
        await bubble(page, "用登录手机号")
        await page.click("#contact-btn")
        record = await bubble(page, "请核对记录")
        assert "张秀英（申请人）" in record
        choices = page.locator("li.them", has_text="请核对记录").last.locator(".buttons button")
        assert await choices.all_inner_texts() == ["记录无误，同意调解", "记录有误", "不参加"]

        await press_exactly(page, "记录有误")
        asked = await bubble(page, "哪里不对")
        assert "原记录保留" in asked
        await say(page, CORRECTION)
        saved = await bubble(page, "已记下您的更正")
        assert CORRECTION in saved and "您愿意参加调解吗" in saved
        again = page.locator("li.them", has_text="已记下您的更正").last.locator(".buttons button")
        assert await again.all_inner_texts() == ["同意参加调解", "不参加"]
        await shot(page, "webchat-record-wrong.png")

        # The grid worker who registered it hears of the correction.
        told = (await wait_text(grid, "记录有误")).text or ""
        assert "（2026）悦来调字第0001号" in told and "申请人" in told and CORRECTION in told

        await press_exactly(page, "同意参加调解")
        await bubble(page, "您已加入案件")
        log = await page.inner_text("#log")
        assert not TELEGRAM_ONLY.search(log), TELEGRAM_ONLY.findall(log)

        async with runtime.db.read() as session:
            case = (await session.execute(select(Case))).scalar_one()
            events = (
                await session.execute(
                    select(CaseEvent.kind, CaseEvent.data).where(CaseEvent.case_id == case.id)
                )
            ).all()
            party = (
                await session.execute(
                    select(CaseParty).where(CaseParty.phone_hash.is_not(None)).limit(1)
                )
            ).scalar_one()
        corrected = [data for kind, data in events if kind == "record_corrected"]
        assert corrected == [{"side": "applicant", "reason": CORRECTION}]
        assert "会计" not in case.facts  # the record as staff wrote it stays
        assert party.status == "joined"
        await context.close()
