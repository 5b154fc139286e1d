"""The registry and the request life cycle on SQLite and PostgreSQL, through the conversation
service: validation, two lawyers accepting at once, declining, a case that ends, the report."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

import features.lawyers.handlers  # noqa: F401  (registers the feature)
from core.clock import FakeClock
from features.lawyers.models import LawyerOffer, LawyerRequest
from features.lawyers.profiles import ProfileInput, list_lawyers, save_profile, set_paused
from features.lawyers.reports import request_report
from harness.engine import Engine
from mediation import intake
from mediation.intake import IntakeDraft
from mediation.validation import InvalidInput
from services.cases import create_from_intake
from services.inbound import Command, Inbound
from services.staff import create_staff
from services.units import sync_units
from storage.db import Database
from storage.models import Case, CaseMember, OutboxMessage, StaffAccount, Timer, User
from tests.conftest import make_settings

#: Friday 27 November 2026, 10:00 in Asia/Shanghai.
MORNING = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
PROFILE = ProfileInput(
    firm="示例律师事务所",
    licence_no="11101201810000101",
    specialties=("labour_wages",),
    languages=("zh-CN", "en"),
    availability="mon-fri 09:00-18:00",
    rota="周一至周五 9:00-12:00",
)


class World(Engine):
    def __init__(self, db: Database, tmp_path: Path) -> None:
        super().__init__(db, make_settings(tmp_path), FakeClock(MORNING))

    async def lawyer(self, username: str, telegram_id: int, licence: str, **over: Any) -> int:
        error = await create_staff(
            self.db,
            username=username,
            password="correct horse battery",
            role="lawyer",
            unit_code=self.units.default.code,
            display_name=username,
            known_units=set(self.units.by_code),
        )
        assert error is None
        async with self.db.write() as session:
            profile = await save_profile(
                session, username, replace(PROFILE, licence_no=licence, **over), self.clock.now()
            )
            await session.execute(
                update(StaffAccount)
                .where(StaffAccount.username == username)
                .values(telegram_id=telegram_id)
            )
            return profile.id

    async def case(self, telegram_id: int) -> int:
        async with self.db.write() as session:
            await sync_units(session, self.units)
            user = User(telegram_id=telegram_id, created_at=self.clock.now())
            session.add(user)
            await session.flush()
            case = await create_from_intake(
                session,
                user=user,
                draft=IntakeDraft(
                    answers={
                        "consent": True,
                        "dispute_type": "labour_wages",
                        "facts": "老板拖欠三个月工资。",
                        "claims": "支付工资",
                        "amount": "12000",
                        "place": "九龙坡区",
                        "name": "张三",
                        "phone": "13800001234",
                        "other_name": "李四",
                        "other_phone": "13900001234",
                    }
                ),
                unit=self.units.default,
                channel="telegram",
                now=self.clock.now(),
                local_year=2026,
                language="zh-CN",
            )
            return case.id

    async def send(self, telegram_id: int, payload: intake.Input | Command) -> None:
        chat = str(telegram_id)
        await self.service.handle(Inbound("telegram", chat, chat, payload))

    async def said(self, telegram_id: int) -> list[str]:
        async with self.db.read() as session:
            rows = await session.execute(
                select(OutboxMessage.payload)
                .where(OutboxMessage.chat_id == str(telegram_id))
                .order_by(OutboxMessage.id)
            )
            return [p.get("text", "") for p in rows.scalars()]


@pytest.fixture
async def world(db: Database, tmp_path: Path) -> World:
    w = World(db, tmp_path)
    async with db.write() as session:
        await sync_units(session, w.units)
    return w


async def test_profile_validation_and_update(world: World) -> None:
    await world.lawyer("lawyer_v", 9501, "11101201810000201")
    bad: dict[str, tuple[Any, str]] = {
        "licence_no": ("1234", "lawyers.bad_licence"),
        "specialties": (("wages",), "lawyers.bad_specialty"),
        "languages": (("中文",), "lawyers.bad_language"),
        "rota": ("weekdays 9-5", "lawyers.bad_week"),
        "max_open_cases": (0, "lawyers.bad_max_open"),
        "firm": ("", "error.too_short"),
    }
    for field, (value, key) in bad.items():
        with pytest.raises(InvalidInput) as info:
            async with world.db.write() as session:
                await save_profile(
                    session,
                    "lawyer_v",
                    replace(PROFILE, **{"licence_no": "11101201810000201", field: value}),
                    world.clock.now(),
                )
        assert info.value.key == key, field
    error = await create_staff(
        world.db,
        username="med_v",
        password="correct horse battery",
        role="mediator",
        unit_code="default",
        display_name="m",
        known_units=set(world.units.by_code),
    )
    assert error is None
    for username, key in (
        ("med_v", "lawyers.not_lawyer_role"),
        ("nobody", "lawyers.no_such_account"),
    ):
        with pytest.raises(InvalidInput) as info:
            async with world.db.write() as session:
                await save_profile(session, username, PROFILE, world.clock.now())
        assert info.value.key == key
    await world.lawyer("lawyer_w", 9502, "11101201810000202")
    with pytest.raises(InvalidInput) as info:
        async with world.db.write() as session:
            await save_profile(
                session,
                "lawyer_w",
                replace(PROFILE, licence_no="11101201810000201"),
                world.clock.now(),
            )
    assert info.value.key == "lawyers.licence_taken"
    async with world.db.write() as session:
        await save_profile(
            session,
            "lawyer_w",
            replace(PROFILE, licence_no="1110 1201 8100 0020 2", max_open_cases=2),
            world.clock.now(),
        )
    async with world.db.read() as session:
        entries = {e.staff.username: e for e in await list_lawyers(session)}
    summary = entries["lawyer_w"].summary()
    assert summary["max_open_cases"] == 2 and summary["licence_no"] == "11101201810000202"
    assert (
        summary["rota"]
        == "mon 09:00-12:00; tue 09:00-12:00; wed 09:00-12:00; thu 09:00-12:00; fri 09:00-12:00"
    )


async def test_two_lawyers_accept_at_once_exactly_one_joins(world: World) -> None:
    for n in range(2):
        await world.lawyer(f"lawyer_{n}", 9600 + n, f"1110120181000030{n}")
    case_id = await world.case(9610)
    await world.send(9610, Command("lawyer", ("能要求双倍工资吗",)))
    assert "已把您的请求发给 2 位值班律师" in (await world.said(9610))[-1]
    for n in range(2):
        offer = (await world.said(9600 + n))[-1]
        assert "能要求双倍工资吗" in offer
    async with world.db.read() as session:
        request_id = (await session.execute(select(LawyerRequest.id))).scalar_one()
    action = intake.ActionInput(f"l:acc:{request_id}")
    await asyncio.gather(world.send(9600, action), world.send(9601, action))
    async with world.db.read() as session:
        lawyers = (
            (await session.execute(select(CaseMember).where(CaseMember.role == "lawyer")))
            .scalars()
            .all()
        )
        offers = (await session.execute(select(LawyerOffer.status))).scalars().all()
        request = await session.get_one(LawyerRequest, request_id)
        timer = (await session.execute(select(Timer))).scalar_one()
    assert len(lawyers) == 1 and sorted(offers) == ["accepted", "taken"]
    assert request.status == "accepted" and timer.status == "cancelled"
    said = [await world.said(9600 + n) for n in range(2)]
    winners = [n for n in range(2) if any("您已接受请求" in t for t in said[n])]
    assert len(winners) == 1
    assert said[1 - winners[0]][-1] == "这个请求已由其他律师接受了，谢谢！"
    # The party asking again is told a lawyer is there.
    await world.send(9610, Command("lawyer"))
    assert "律师已经在调解室里" in (await world.said(9610))[-1]
    async with world.db.read() as session:
        report = await request_report(session)
    assert report["requests"] == {"accepted": 1}
    assert report["wait_seconds"]["count"] == 1
    assert case_id


async def test_declines_widen_at_once_and_a_closed_case_cancels(world: World) -> None:
    only = await world.lawyer("lawyer_d", 9700, "11101201810000401")
    later = await world.lawyer(
        "lawyer_e", 9701, "11101201810000402", rota="", availability="mon-fri 09:00-18:00"
    )
    await world.case(9710)
    await world.send(9710, Command("lawyer"))
    assert "1 位值班律师" in (await world.said(9710))[-1]
    async with world.db.read() as session:
        request_id = (await session.execute(select(LawyerRequest.id))).scalar_one()
    world.clock.advance(minutes=2)
    await world.send(9700, intake.ActionInput(f"l:dec:{request_id}"))
    assert "已记录" in (await world.said(9700))[-1]
    # The whole first wave said no: widening does not wait for the ten minutes.
    assert await world.timers.run_due() == 1
    assert "法律协助请求" in (await world.said(9701))[-1]
    assert "已发给所有现在可以联系的律师（1 位）" in (await world.said(9710))[-1]
    async with world.db.read() as session:
        offers = dict(
            (await session.execute(select(LawyerOffer.lawyer_id, LawyerOffer.status))).all()
        )
        declined = (
            await session.execute(
                select(LawyerOffer.response_seconds).where(LawyerOffer.lawyer_id == only)
            )
        ).scalar_one()
    assert offers == {only: "declined", later: "offered"} and declined == 120
    # A paused lawyer keeps the offer they have but gets no new ones; a closed case cancels.
    async with world.db.write() as session:
        profiles = {e.profile.id: e.profile for e in await list_lawyers(session)}
        await set_paused(session, profiles[later], True, world.clock.now())
        await session.execute(update(Case).values(status="withdrawn"))
    world.clock.advance(hours=2)
    assert await world.timers.run_due() == 1
    async with world.db.read() as session:
        request = await session.get_one(LawyerRequest, request_id)
        statuses = (await session.execute(select(LawyerOffer.status))).scalars().all()
    assert request.status == "cancelled" and sorted(statuses) == ["declined", "withdrawn"]
    await world.send(9701, intake.ActionInput(f"l:acc:{request_id}"))
    assert "已经结束" in (await world.said(9701))[-1]


async def test_request_gives_up_after_three_days(world: World) -> None:
    await world.case(9810)
    await world.send(9810, Command("lawyer"))
    assert "暂时无法确定" in (await world.said(9810))[-1]  # no lawyer registered at all
    for _ in range(3 * 24 + 1):
        world.clock.advance(hours=1)
        await world.timers.run_due()
    said = await world.said(9810)
    assert "三天内没有律师接受" in said[-1]
    assert sum("三天内" in s for s in said) == 1
    async with world.db.read() as session:
        request = (await session.execute(select(LawyerRequest))).scalar_one()
    assert request.status == "cancelled" and request.closed_at is not None
    assert request.closed_at - request.created_at >= timedelta(days=3)


async def test_duty_pause_and_resume(world: World) -> None:
    profile_id = await world.lawyer("lawyer_p", 9900, "11101201810000501")
    await world.send(9900, Command("duty"))
    status = (await world.said(9900))[-1]
    assert (
        "状态：值班中" in status
        and "劳动争议/欠薪" in status
        and "进行中的案件和咨询：0/5" in status
    )
    assert "fri 09:00-12:00" in status
    await world.send(9900, Command("duty", ("sometimes",)))
    assert "用法：/duty" in (await world.said(9900))[-1]
    await world.send(9900, Command("duty", ("off",)))
    paused, status = (await world.said(9900))[-2:]
    assert "已暂停接单" in paused and "状态：已暂停接单" in status
    await world.case(9910)
    await world.send(9910, Command("lawyer"))
    assert "现在没有值班律师" in (await world.said(9910))[-1]
    await world.send(9900, intake.ActionInput("l:resume"))
    assert "已恢复接单" in (await world.said(9900))[-2]
    async with world.db.read() as session:
        entries = await list_lawyers(session, only_ids=[profile_id])
    assert entries[0].profile.paused is False
    # Not for parties.
    await world.send(9910, Command("duty"))
    assert "只供律师使用" in (await world.said(9910))[-1]
    await world.send(9910, Command("review", ("太短",)))
    assert "只供律师使用" in (await world.said(9910))[-1]
