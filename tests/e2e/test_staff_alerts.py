"""Alerts to the responsible mediator (issue 20): a party's message left unanswered, a new case
at night — batched, held through the quiet hours, with the case's buttons; tried over the
stand-in Bot API on an injected clock, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from app.runtime import Runtime
from core.clock import FakeClock
from features.console.accounts import AccountService
from features.console.context import StaffContext
from harness.steps import (
    RESPONDENT_PHONE,
    link_staff,
    mediator_takes_case,
    open_session,
    wait_text,
)
from mediation.staff_alerts import Item, QuietHours, by_case, merge
from services.timers import TimerService
from standin import StandinBotAPI
from storage.models import StaffAccount
from tests.e2e.harness import assert_quiet, running_service, texts
from tests.e2e.test_intake import walk_intake

#: Friday 27 November 2026, 10:00 in Asia/Shanghai.
MORNING = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
FIRST, SECOND = "（2026）示调字第0001号", "（2026）示调字第0002号"


@asynccontextmanager
async def alerting_service(
    tmp_path: Path, database_url: str | None, clock: FakeClock
) -> AsyncIterator[tuple[StandinBotAPI, Runtime, TimerService]]:
    """The service on ``database_url`` with the staff's quiet hours 22:00–08:00, on ``clock``: the
    test moves the clock and fires the due timers (the alerts) itself."""
    async with (
        StandinBotAPI() as standin,
        running_service(
            standin, tmp_path / "var", database_url, clock=clock, STAFF_QUIET_HOURS="22:00-08:00"
        ) as runtime,
    ):
        assert runtime.timers is not None
        yield standin, runtime, runtime.timers


def test_quiet_hours_span_midnight() -> None:
    quiet = QuietHours.parse("22:00-08:00")
    assert quiet is not None
    evening = datetime(2026, 11, 27, 21, 59)
    assert not quiet.contains(evening) and quiet.next_allowed(evening) == evening
    assert quiet.next_allowed(datetime(2026, 11, 27, 22, 5)) == datetime(2026, 11, 28, 8, 0)
    assert quiet.next_allowed(datetime(2026, 11, 28, 7, 59)) == datetime(2026, 11, 28, 8, 0)
    day = QuietHours.parse("12:00-13:30")
    assert day is not None and day.next_allowed(datetime(2026, 1, 1, 12, 0)).minute == 30
    assert QuietHours.parse("off") is None
    for bad in ("22-08", "25:00-08:00", "08:00-08:00"):
        with pytest.raises(ValueError):
            QuietHours.parse(bad)


def test_a_batch_holds_each_thing_once() -> None:
    """A second message in a case adds nothing; the nearer deadline mark replaces the farther;
    each case's lines come new, deadline, unanswered."""
    batch: list[Item] = []
    for item in (
        Item("away", 1),
        Item("deadline", 2, 1),
        Item("away", 1),
        Item("deadline", 2, 0),
        Item("new", 3),
        Item("deadline", 1, 3),
    ):
        batch = merge(batch, item)
    assert sorted(batch, key=lambda i: (i.case, i.kind)) == [
        Item("away", 1),
        Item("deadline", 1, 3),
        Item("deadline", 2, 0),
        Item("new", 3),
    ]
    assert by_case(batch)[1] == [Item("deadline", 1, 3), Item("away", 1)]
    assert list(by_case(batch)) == [1, 2, 3]
    assert Item.from_json(Item("deadline", 2, 1).to_json()) == Item("deadline", 2, 1)
    assert Item.from_json({"kind": "party", "case": 1}) is None


async def test_unanswered_messages_and_night_cases_reach_the_mediator(
    tmp_path: Path, database_url: str | None
) -> None:
    clock = FakeClock(MORNING)
    async with alerting_service(tmp_path, database_url, clock) as (standin, runtime, timers):
        applicant = standin.user(7601, first_name="甲", phone="+8613800007601")
        respondent = standin.user(7602, first_name="乙", phone=RESPONDENT_PHONE)
        await walk_intake(applicant)
        mediator = await mediator_takes_case(
            runtime, standin, applicant, respondent, number=FIRST, mediator=("med_alert", 7610)
        )
        await open_session(mediator, (applicant, respondent))

        # 10:00 a party writes; nobody answers for a quarter of an hour: one alert.
        await applicant.send_text("调解员您好，对方什么时候能付钱？")
        await wait_text(mediator, "什么时候能付钱")
        await applicant.send_text("我下午都在。")
        await wait_text(mediator, "下午都在")
        clock.advance(minutes=14)
        assert await timers.run_due() == 0
        clock.advance(minutes=1)
        assert await timers.run_due() == 1
        (alert,) = await mediator.wait_for_messages(1)
        text = alert.text or ""
        assert "需要您处理的案件（1 件）" in text and FIRST in text
        assert "2 条当事人消息还没有回复（最近一条：申请人，10:00）" in text
        assert [b for b, _ in alert.buttons] == [f"进入 {FIRST}", "案件详情"]
        await mediator.press("案件详情")
        (card,) = await texts(mediator, 1)
        assert f"案件 {FIRST}" in card and "老板拖欠我三个月工资" in card
        await mediator.press(f"进入 {FIRST}")
        switched, panel = await texts(mediator, 2)
        assert FIRST in switched and "调解方式" in panel

        # Answered in time: the alert that comes due says nothing.
        await respondent.send_text("月底前可以付。")
        await wait_text(mediator, "月底前可以付")
        await mediator.send_text("好的，我记下了。")
        await wait_text(applicant, "我记下了")
        await wait_text(respondent, "我记下了")
        clock.advance(minutes=15)
        assert await timers.run_due() == 1
        await assert_quiet(mediator)

        # 21:55: a message, then a new case at 23:00 — both wait for 08:00, in one alert.
        clock.advance(hours=11, minutes=25)
        await respondent.send_text("还有一个问题，利息怎么算？")
        await wait_text(mediator, "利息怎么算")
        late = standin.user(7603, first_name="丙", phone="+8613800007603")
        clock.advance(hours=1, minutes=5)
        await walk_intake(late)
        clock.advance(hours=2)
        assert await timers.run_due() == 0
        await assert_quiet(mediator)
        clock.advance(hours=7)  # 08:00
        assert await timers.run_due() == 1
        (morning,) = await mediator.wait_for_messages(1)
        text = morning.text or ""
        assert "需要您处理的案件（2 件）" in text
        assert "1 条当事人消息还没有回复（最近一条：被申请人，21:55）" in text
        assert f"{SECOND}｜劳动争议/欠薪\n· 新案件待接手" in text
        assert [b for b, _ in morning.buttons] == [
            f"进入 {FIRST}",
            "案件详情",
            f"接手 {SECOND}",
        ]
        await mediator.press(f"接手 {SECOND}")
        await wait_text(mediator, "已接手")


async def test_each_staff_member_keeps_their_own_quiet_hours(
    tmp_path: Path, database_url: str | None
) -> None:
    """A case filed at 23:00: the officer on night shift (quiet hours off, set on the console's
    account page) hears of it at once; the day mediator (the service's 22:00–08:00) at 08:00."""
    clock = FakeClock(MORNING.replace(hour=15))  # 23:00 in Chongqing
    async with alerting_service(tmp_path, database_url, clock) as (standin, runtime, timers):
        day = await link_staff(runtime, standin, "med_day", 7621)
        night = await link_staff(runtime, standin, "police_night", 7622, role="police")
        async with runtime.db.read() as session:
            officer = (
                await session.execute(
                    select(StaffAccount).where(StaffAccount.username == "police_night")
                )
            ).scalar_one()
        accounts = AccountService(runtime.db, runtime.units, runtime.clock)
        me = StaffContext.of(officer, runtime.units)
        assert await accounts.set_quiet_hours(me, "关闭", "127.0.0.1") is None

        await walk_intake(standin.user(7623, first_name="丙", phone="+8613800007623"))
        await wait_text(night, "新案件待接手")
        assert await timers.run_due() == 0
        await assert_quiet(day)
        clock.advance(hours=9)  # 08:00
        assert await timers.run_due() == 1
        (morning,) = await day.wait_for_messages(1)
        assert "新案件待接手" in (morning.text or "")
        await assert_quiet(night)  # told once, at 23:00
