"""A mediator who uses only the browser chat hears of new cases there and takes them.

刘调解 has no Telegram: an admin registered her mobile number on her staff account and she logs
in to the browser chat with it. A party files a wage dispute in Telegram; the new-case alert
comes to her browser chat with its 接手 button, and pressing it there takes the case for her (the
same ``m:take`` route as Telegram). 王调解 has both channels and is told once, in Telegram. At
night (quiet hours 22:00–08:00) a second case waits; the morning's batch comes to her browser
chat too, and she takes that one from it. Nothing she reads names a slash command or the bot.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core.clock import FakeClock
from harness.steps import link_staff, wait_text
from services.staff import set_phone
from storage.models import Case, StaffAccount
from tests.e2e.test_intake import walk_intake
from tests.webchat.harness import TALL_PHONE, TELEGRAM_ONLY, bubble, login, shot, standin_chat
from tests.webchat.staff import browser_staff, browser_texts, press_exactly

FIRST, SECOND = "（2026）示调字第0001号", "（2026）示调字第0002号"
LIU_PHONE = "13700007101"
WANG_PHONE = "13700007102"


@pytest.mark.browser
@pytest.mark.slow
async def test_a_browser_only_mediator_is_told_of_new_cases_and_takes_them(
    database_url: str | None, tmp_path: Path, browser: Any
) -> None:
    clock = FakeClock()  # 17:00 in Asia/Shanghai
    async with standin_chat(
        tmp_path / "var", database_url, clock=clock, STAFF_QUIET_HOURS="22:00-08:00"
    ) as (standin, runtime, base, gateway):
        unit = runtime.units.default.code
        await browser_staff(runtime, "liu", "mediator", unit, LIU_PHONE)
        wang = await link_staff(runtime, standin, "wang", 7101)
        assert await set_phone(runtime.db, "wang", WANG_PHONE) is None

        pages = {}
        for phone in (LIU_PHONE, WANG_PHONE):
            context = await browser.new_context(viewport=TALL_PHONE, locale="zh-CN")
            pages[phone] = await context.new_page()
            await login(pages[phone], base, phone, gateway)
        liu = pages[LIU_PHONE]

        await walk_intake(standin.user(7111, first_name="甲", phone="+8613800007111"))
        alert = await bubble(liu, "新案件待接手")
        assert FIRST in alert and "劳动争议/欠薪" in alert
        await wait_text(wang, "新案件待接手")  # linked in Telegram: told there
        await shot(liu, "webchat-staff-new-case.png")
        await press_exactly(liu, f"接手 {FIRST}")
        assert FIRST in await bubble(liu, "您已接手案件")

        # 23:00: the second case waits for her morning; nothing comes at night.
        clock.advance(hours=6)
        await walk_intake(standin.user(7112, first_name="乙", phone="+8613800007112"))
        clock.advance(hours=9)  # 08:00
        assert await runtime.timers.run_due() >= 1  # type: ignore[union-attr]
        digest = await bubble(liu, "需要您处理的案件")
        assert SECOND in digest and "新案件待接手" in digest
        await press_exactly(liu, f"接手 {SECOND}")
        assert SECOND in await bubble(liu, f"您已接手案件 {SECOND}")

        async with runtime.db.read() as session:
            me = (
                await session.execute(select(StaffAccount).where(StaffAccount.username == "liu"))
            ).scalar_one()
            cases = {c.number: c for c in (await session.execute(select(Case))).scalars()}
            to_liu = await browser_texts(session, "liu")
            to_wang = await browser_texts(session, "wang")
        assert cases[FIRST].mediator_id == me.id and cases[SECOND].mediator_id == me.id
        # Each alert once in her browser chat (the second came only in the morning's batch).
        assert sum(FIRST in t and "新案件待接手" in t for t in to_liu) == 1
        assert sum(SECOND in t and "新案件待接手" in t for t in to_liu) == 1
        assert not [t for t in to_wang if "新案件" in t], to_wang  # Telegram first

        log = await liu.inner_text("#log")
        assert not TELEGRAM_ONLY.search(log), TELEGRAM_ONLY.findall(log)
