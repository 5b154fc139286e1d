"""With no Telegram bot at all, the console's risk sweep still reaches a mediator in the browser.

The service runs with no ``TELEGRAM_BOT_TOKEN`` (the browser chat is its only chat). 周调解
has no Telegram: an admin registered her mobile number and she logs in to the browser chat
with it. A resident's case describes twenty workers about to gather over unpaid wages; the
console's sweep (every few seconds while the service runs) rates it 较大 and its risk alert —
the case number and the level, never the resident's name or number — comes to her page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import harness
from core import crypto
from features.webchat.otp import MemorySmsGateway
from mediation.intake import IntakeDraft
from services.cases import create_from_intake
from storage.models import User
from tests.console.conftest import answers
from tests.webchat.harness import TELEGRAM_ONLY, bubble, phones_logged_in, shot
from tests.webchat.staff import browser_staff, browser_texts

ZHOU_PHONE = "13700007331"
RESIDENT_PHONE = "13700007332"


@pytest.mark.browser
@pytest.mark.slow
async def test_without_a_bot_the_sweeps_alert_reaches_a_browser_only_mediator(
    database_url: str | None, tmp_path: Path, browser: Any
) -> None:
    gateway = MemorySmsGateway()
    env = {"KB_ENABLED": "0", "STAFF_QUIET_HOURS": "off"}
    async with harness.running_service(
        tmp_path / "var",
        database_url=database_url,
        env=env,
        web_app=True,
        sms_gateway=gateway,
    ) as service:
        runtime = service.runtime
        assert runtime.telegram is None and not runtime.settings.telegram_bot_token
        unit = runtime.units.default
        await browser_staff(runtime, "zhou", "mediator", unit.code, ZHOU_PHONE)
        zhou = (await phones_logged_in(browser, service.base_url, gateway, (ZHOU_PHONE,)))[
            ZHOU_PHONE
        ]

        async with runtime.db.write() as session:
            resident = User(phone=RESIDENT_PHONE, phone_hash=crypto.blind_index(RESIDENT_PHONE))
            session.add(resident)
            await session.flush()
            case = await create_from_intake(
                session,
                user=resident,
                draft=IntakeDraft(
                    answers=answers(
                        dispute_type="labour_wages",
                        facts="老板拖欠我们二十多名工人三个月工资，大家准备明天去工地门口聚集讨薪。",
                        claims="支付拖欠工资",
                        amount="120000",
                        phone=RESIDENT_PHONE,
                    )
                ),
                unit=unit,
                channel="web",
                now=runtime.clock.now(),
                local_year=2026,
                language="zh-CN",
            )
            number = case.number

        alert = await bubble(zhou, "风险预警")
        assert number in alert and "较大" in alert, alert
        assert "张三" not in alert and RESIDENT_PHONE not in alert
        await shot(zhou, "webchat-staff-sweep-alert.png")
        async with runtime.db.read() as session:
            to_zhou = await browser_texts(session, "zhou")
        assert sum("风险预警" in t for t in to_zhou) == 1, to_zhou
        log = await zhou.inner_text("#log")
        assert not TELEGRAM_ONLY.search(log), TELEGRAM_ONLY.findall(log)
