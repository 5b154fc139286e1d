"""A volunteer lawyer who uses only the browser chat is offered a request there and joins the room.

赵律师 has no Telegram: an admin registered her mobile number on her lawyer account and she logs
in to the browser chat with it. 钱律师 is on duty too, linked in Telegram and logged in to the
browser as well; 孙律师, on duty too, uses only the browser like 赵律师. A mediator (Telegram)
asks for a lawyer in a wage case; the offer comes to 赵律师's and 孙律师's browser chats with
its 接受 button, and to 钱律师 once, in Telegram. 赵律师 presses 接受 in the browser (the same
``l:acc`` route as Telegram): she is in the room, her panel's buttons choose whom she talks
to, what she types reaches the parties and what a party writes reaches her page; 钱律师 is told
in Telegram and 孙律师 in her browser that another lawyer took it, and 孙律师's late 接受 says so. Nothing 赵律师 reads names a
slash command, the bot or a Telegram account.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core.clock import FakeClock
from features.lawyers.models import LawyerOffer, LawyerRequest
from harness.steps import RESPONDENT_PHONE, mediator_takes_case, wait_text
from services.mediators import create_link_code
from storage.models import CaseMember, StaffAccount
from tests.e2e.harness import texts
from tests.e2e.test_intake import walk_intake
from tests.lawyers.conftest import lawyer_profile
from tests.webchat.harness import TELEGRAM_ONLY, bubble, phones_logged_in, say, shot, standin_chat
from tests.webchat.staff import browser_staff, browser_texts, press_exactly

#: Friday 27 November 2026, 10:00 in Asia/Shanghai: both lawyers are on duty.
MORNING = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
NUMBER = "（2026）示调字第0001号"
QUESTION = "没有书面劳动合同，工资怎么证明？"
ROTA = "mon-fri 09:00-18:00"
ZHAO_PHONE = "13700007201"
QIAN_PHONE = "13700007202"
SUN_PHONE = "13700007203"
QIAN_TG = 7202


@pytest.mark.browser
@pytest.mark.slow
async def test_a_browser_only_lawyer_is_offered_the_request_accepts_and_is_in_the_room(
    database_url: str | None, tmp_path: Path, browser: Any
) -> None:
    async with standin_chat(
        tmp_path / "var", database_url=database_url, clock=FakeClock(MORNING)
    ) as (standin, runtime, base, gateway):
        unit = runtime.units.default.code
        await browser_staff(runtime, "zhao", "lawyer", unit, ZHAO_PHONE)
        await lawyer_profile(runtime, "zhao", licence="11101201810000701", rota=ROTA)
        await browser_staff(runtime, "qian", "lawyer", unit, QIAN_PHONE)
        await lawyer_profile(runtime, "qian", licence="11101201810000702", rota=ROTA)
        await browser_staff(runtime, "sun", "lawyer", unit, SUN_PHONE)
        await lawyer_profile(runtime, "sun", licence="11101201810000703", rota=ROTA)
        code = await create_link_code(runtime.db, "qian", runtime.clock.now())
        qian = standin.user(QIAN_TG, first_name="钱真名")
        await qian.send_command("/link", code or "")
        await wait_text(qian, "已关联")

        pages = await phones_logged_in(browser, base, gateway, (ZHAO_PHONE, QIAN_PHONE, SUN_PHONE))
        zhao, sun = pages[ZHAO_PHONE], pages[SUN_PHONE]

        applicant = standin.user(7211, first_name="甲真名", phone="+8613800007211")
        await walk_intake(applicant)
        respondent = standin.user(7212, first_name="乙真名", phone=RESPONDENT_PHONE)
        mediator = await mediator_takes_case(
            runtime, standin, applicant, respondent, number=NUMBER, mediator=("med_l", 7220)
        )
        await mediator.send_command("/lawyer", QUESTION)
        assert "3 位值班律师" in (await texts(mediator, 1))[0]

        offer = await bubble(zhao, "法律协助请求")
        assert f"案件 {NUMBER}" in offer and "纠纷类型：劳动争议/欠薪" in offer
        assert f"问题：{QUESTION}" in offer and "提出人：调解员" in offer
        assert "真名" not in offer and "13800007211" not in offer
        assert "Telegram" not in offer
        told = await wait_text(qian, "法律协助请求")  # linked in Telegram: told there
        assert NUMBER in (told.text or "")
        await shot(zhao, "webchat-lawyer-offer.png")

        await press_exactly(zhao, "接受")
        accepted = await bubble(zhao, "以“律师”身份加入案件")
        assert NUMBER in accepted
        panel = await bubble(zhao, "发言对象")
        assert "/leave" not in panel and "/review" not in panel
        for person in (applicant, respondent, mediator):
            await wait_text(person, "律师已加入调解室")
        taken = await wait_text(qian, "已由其他律师接受")
        assert NUMBER in (taken.text or "")
        assert NUMBER in await bubble(sun, "已由其他律师接受")
        await press_exactly(sun, "接受")  # the offer still on her page
        await bubble(sun, "这个请求已由其他律师接受了")

        await press_exactly(zhao, "对全体说")
        await bubble(zhao, "发言对象：全体")
        await say(zhao, "请先把工资条和考勤记录整理好。")
        for person in (applicant, respondent, mediator):
            relayed = (await wait_text(person, "工资条")).text or ""
            assert "律师" in relayed and "真名" not in relayed
        await applicant.send_text("我只有微信转账记录，可以吗？")
        heard = await bubble(zhao, "微信转账记录")
        assert "申请人" in heard and "甲真名" not in heard
        await shot(zhao, "webchat-lawyer-room.png")

        async with runtime.db.read() as session:
            ids = {
                s.username: s.id for s in (await session.execute(select(StaffAccount))).scalars()
            }
            request = (await session.execute(select(LawyerRequest))).scalar_one()
            offers = {
                o.lawyer_id: o.status
                for o in (await session.execute(select(LawyerOffer))).scalars()
            }
            members = list(
                (
                    await session.execute(
                        select(CaseMember).where(CaseMember.staff_id == ids["zhao"])
                    )
                ).scalars()
            )
            to_zhao = await browser_texts(session, "zhao")
            to_qian = await browser_texts(session, "qian")
            to_sun = await browser_texts(session, "sun")
        assert request.status == "accepted"
        assert sorted(offers.values()) == ["accepted", "taken", "taken"]
        assert [m.role for m in members] == ["lawyer"]
        # Each told once: 赵律师 in her browser chat, 钱律师 only in Telegram.
        assert sum("法律协助请求" in t for t in to_zhao) == 1
        assert sum("法律协助请求" in t for t in to_sun) == 1
        assert sum("已由其他律师接受，无需处理" in t for t in to_sun) == 1
        assert not [t for t in to_qian if "法律协助请求" in t or "其他律师" in t], to_qian
        assert sum("法律协助请求" in (m.text or "") for m in qian.messages) == 1

        for page in (zhao, sun):
            log = await page.inner_text("#log")
            assert not TELEGRAM_ONLY.search(log), TELEGRAM_ONLY.findall(log)
            assert not re.search("Telegram|机器人", log), log
