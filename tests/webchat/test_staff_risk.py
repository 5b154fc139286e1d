"""A mediator who uses only the browser chat hears a threat in her room at once, there.

刘调解 has no Telegram: an admin registered her mobile number on her staff account and she logs
in to the browser chat with it; she is the mediator of a case in session whose parties use
Telegram. What the respondent writes reaches her page (the room reaches its staff where the chat
reaches them); when he types a threat, the risk alert — the case, the level, the words and the
rule — comes to her browser chat with the room's safety notice. 王调解, of the same unit, is on
both channels and is told once, in Telegram.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from harness.seed import add_room
from harness.steps import link_staff, wait_text
from services.staff import set_phone
from storage.models import StaffAccount, User
from tests.webchat.harness import TELEGRAM_ONLY, bubble, phones_logged_in, shot, standin_chat
from tests.webchat.staff import browser_staff, browser_texts

NUMBER = "（2026）示调字第0001号"
LIU_PHONE = "13700007311"
WANG_PHONE = "13700007312"
APPLICANT_TG, RESPONDENT_TG, WANG_TG = 7321, 7322, 7320


@pytest.mark.browser
@pytest.mark.slow
async def test_a_browser_only_mediator_gets_the_room_and_its_risk_alert(
    database_url: str | None, tmp_path: Path, browser: Any
) -> None:
    async with standin_chat(tmp_path / "var", database_url) as (standin, runtime, base, gateway):
        unit = runtime.units.default.code
        await browser_staff(runtime, "liu", "mediator", unit, LIU_PHONE)
        wang = await link_staff(runtime, standin, "wang", WANG_TG)
        assert await set_phone(runtime.db, "wang", WANG_PHONE) is None
        async with runtime.db.write() as s:
            liu_account = (
                await s.execute(select(StaffAccount).where(StaffAccount.username == "liu"))
            ).scalar_one()
            await add_room(
                s,
                User(telegram_id=APPLICANT_TG),
                User(telegram_id=RESPONDENT_TG),
                liu_account,
                number=NUMBER,
            )

        pages = await phones_logged_in(browser, base, gateway, (LIU_PHONE, WANG_PHONE))
        liu = pages[LIU_PHONE]
        respondent = standin.user(RESPONDENT_TG)

        await respondent.send_text("我同意分期还款，但希望减免利息")
        heard = await bubble(liu, "减免利息")
        assert "被申请人" in heard and NUMBER in heard

        await respondent.send_text("再来我就拿刀砍他")
        alert = await bubble(liu, "风险预警")
        assert NUMBER in alert and "拿刀" in alert and "重大" in alert, alert
        assert "安全提示" in await bubble(liu, "110")
        told = (await wait_text(wang, "风险预警")).text or ""  # linked: told there
        assert NUMBER in told
        await shot(liu, "webchat-staff-risk-alert.png")

        async with runtime.db.read() as session:
            to_liu = await browser_texts(session, "liu")
            to_wang = await browser_texts(session, "wang")
        assert sum("风险预警" in t for t in to_liu) == 1
        assert not [t for t in to_wang if "风险预警" in t], to_wang  # Telegram first
        assert sum("风险预警" in (m.text or "") for m in wang.messages) == 1

        log = await liu.inner_text("#log")
        assert not TELEGRAM_ONLY.search(log), TELEGRAM_ONLY.findall(log)
