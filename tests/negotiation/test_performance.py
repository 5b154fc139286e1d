"""Performance tracking through the conversation service: who may mark and confirm payments,
"not received", a transfer record as evidence, completion and the 回访记录 context, and the
dashboard's amount recovered per unit and period."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from documents.registry import get_spec, missing_fields
from features.console.context import StaffContext
from features.console.dashboard import DashboardQuery, DashboardService
from features.negotiation.followup import follow_up_context
from features.negotiation.models import FollowUp, PaymentEvent, PaymentInstalment
from mediation.performance import (
    InstalmentStatus,
    TimerStep,
    complete,
    enforcement_deadline,
    on_missed,
    recovered_fen,
    timeline,
)
from storage.models import Evidence, StaffAccount
from tests.negotiation.world import APPLICANT, MEDIATOR, RESPONDENT, World


async def agree(world: World, terms: str) -> None:
    """The terms accepted by offer, then made effective as an oral agreement."""
    await world.command(RESPONDENT, "offer")
    await world.text(RESPONDENT, terms)
    await world.press(RESPONDENT, "📨 发送方案")
    await world.press(APPLICANT, "✅ 接受")
    await world.drain()
    await world.oral_agreement("被申请人按约定分期支付申请人工资。")


async def test_payments_receipts_and_completion(world: World) -> None:
    await agree(world, "2026-12-31 3000\n2027-01-31 2000.50")
    (schedule,) = await world.command(APPLICANT, "payments")
    assert (
        "被申请人共支付 ¥5,000.50" in schedule and "第2期 2027-01-31 ¥2,000.50 · 待支付" in schedule
    )
    # The payee cannot mark a payment; the payer cannot confirm one.
    assert "只有付款方" in (await world.command(APPLICANT, "paid"))[0]
    await world.command(RESPONDENT, "paid")
    (ask,) = await world.new(APPLICANT)
    assert "表示已支付第1期 ¥3,000.00" in ask
    async with world.db.read() as s:
        first = (
            (await s.execute(select(PaymentInstalment.id).order_by(PaymentInstalment.seq)))
            .scalars()
            .first()
        )
    assert "只有收款方" in (await world.action(RESPONDENT, f"ng:pc:{first}"))[0]
    assert "确认收到" not in (await world.action(MEDIATOR, f"ng:pc:{first}"))[0]
    # Not received: the payer and the mediator hear of it; the payer may mark it again.
    (noted,) = await world.press(APPLICANT, "❌ 未收到")
    assert "尚未收到" in noted
    assert any("表示尚未收到第1期" in t for t in await world.new(MEDIATOR))
    await world.command(RESPONDENT, "paid")
    await world.drain()
    # The payee uploads the transfer record: that confirms receipt, kept as evidence.
    (ask_file,) = await world.press(APPLICANT, "📎 上传转账记录")
    assert "转账记录" in ask_file
    (need_file,) = await world.text(APPLICANT, "收到了")
    assert "请发送图片或文件" in need_file
    (confirmed,) = await world.file(APPLICANT)
    assert "已确认收到第1期 ¥3,000.00" in confirmed
    async with world.db.read() as s:
        ev = (await s.execute(select(Evidence))).scalar_one()
        kinds = [(e.kind, e.evidence_id) for e in (await s.execute(select(PaymentEvent))).scalars()]
    assert ("receipt", ev.id) in kinds and ("confirmed", ev.id) in kinds

    await world.command(RESPONDENT, "paid")
    await world.press(APPLICANT, "✅ 已收到")
    assert any("已全部确认收到" in t for t in await world.new(MEDIATOR))
    assert any("全部履行完毕" in t for t in await world.new(RESPONDENT))
    assert "没有待支付" in (await world.command(RESPONDENT, "paid"))[0]

    async with world.db.read() as s:
        plan = list((await s.execute(select(PaymentInstalment))).scalars())
        follow = (await s.execute(select(FollowUp))).scalar_one()
        context = await follow_up_context(s, world.case_id, world.settings.tz, world.units)
        staff = (await s.execute(select(StaffAccount))).scalar_one()
    assert recovered_fen((InstalmentStatus(i.status), i.amount_fen) for i in plan) == 500_050
    assert "¥5,000.50" in follow.performance
    assert missing_fields(get_spec("follow_up_record"), context) == []
    assert context["visitor"]["name"] == "王调解员" and context["evidence"]

    # The dashboard counts what was confirmed, in the unit and period of the case.
    me = StaffContext.of(staff, world.units)
    dash = DashboardService(world.db, world.units, world.settings.tz)
    d = await dash.build(me, DashboardQuery())
    assert d.amount_recovered == Decimal("5000.50")
    later = await dash.build(me, DashboardQuery(date_from=date(2027, 1, 1)))
    assert later.amount_recovered == 0


def test_schedule_rules() -> None:
    from zoneinfo import ZoneInfo

    from tests.negotiation.world import MORNING

    tz = ZoneInfo("Asia/Shanghai")
    steps = timeline(date(2026, 12, 31), tz, MORNING)
    assert [(s.step, s.days_before) for s in steps] == [
        (TimerStep.REMIND, 3),
        (TimerStep.REMIND, 1),
        (TimerStep.MISSED, 0),
        (TimerStep.ESCALATE, 0),
    ]
    assert steps[0].at.isoformat() == "2026-12-28T09:00:00+08:00"
    # A due date two days away: the three-day reminder is already past.
    assert len(timeline(date(2026, 11, 29), tz, MORNING)) == 3
    assert on_missed(InstalmentStatus.MARKED_PAID) is None
    assert on_missed(InstalmentStatus.DUE) is InstalmentStatus.MISSED
    assert not complete([InstalmentStatus.CANCELLED])
    assert complete([InstalmentStatus.CONFIRMED, InstalmentStatus.CANCELLED])
    assert enforcement_deadline(date(2028, 2, 29)) == date(2030, 2, 28)
