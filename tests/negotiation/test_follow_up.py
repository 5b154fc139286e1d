"""Follow-up as the worker owed ¥12,000 and the employer live it (issue 23, items 2 and 3):
tracking starts only with an effective agreement; what the worker is told after a missed
payment is chosen from the case's real state (司法确认 stage, dispute type, written or oral)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from features.console.models import Alert, AuditEntry
from features.negotiation.models import FollowUp, Obligation, PaymentInstalment, PaymentSchedule
from mediation.performance import CONFIRMED, INVALID, Remedy, remedies
from storage.document_models import Document, JudicialConfirmation
from storage.models import Case, CaseEvent, Timer
from tests.negotiation.world import APPLICANT, MEDIATOR, RESPONDENT, World, admin_console

WORKER, EMPLOYER = APPLICANT, RESPONDENT
PLAN = "12000，12月31日前付清"


async def accept(world: World, terms: str = PLAN) -> None:
    await world.command(EMPLOYER, "offer")
    await world.text(EMPLOYER, terms)
    await world.press(EMPLOYER, "📨 发送方案")
    await world.press(WORKER, "✅ 接受")
    await world.drain()


async def pay_timers(world: World) -> list[str]:
    async with world.db.read() as s:
        return list((await s.execute(select(Timer.key).where(Timer.key.like("pay:%")))).scalars())


async def test_no_tracking_without_an_effective_agreement(world: World) -> None:
    await accept(world)
    # Still 调解中: nothing binds anyone to pay, so nothing is tracked or claimed.
    (refused,) = await world.command(EMPLOYER, "paid")
    assert "尚未生效" in refused and "第二十九条" in refused
    shown = await world.command(WORKER, "payments")
    assert "尚未生效" in shown[0] and "¥12,000.00" in shown[1]
    assert await pay_timers(world) == []
    world.clock.advance(days=40)  # past the due date: no reminder, no 法律约束力, no 司法确认
    await world.timers.run_due()
    for who in (WORKER, EMPLOYER):
        said = " ".join(await world.new(who))
        assert "法律约束力" not in said and "司法确认" not in said and "履行提醒" not in said


async def test_tracking_starts_when_the_oral_agreement_takes_effect(world: World) -> None:
    await accept(world)
    await world.oral_agreement("被申请人于2026年12月31日前支付申请人工资12000元。")
    told = [t for who in (WORKER, EMPLOYER) for t in await world.payloads(who) if "text" in t]
    assert sum("开始履行跟踪" in t["text"] for t in told) == 2
    assert len(await pay_timers(world)) == 4  # 3 and 1 days before, missed, escalation
    async with world.db.read() as s:
        assert (await s.execute(select(PaymentSchedule.status))).scalar_one() == "active"
    (marked,) = await world.command(EMPLOYER, "paid")
    assert "已付款" in marked


def _jc(status: str, deadline: date, doc_id: int, case_id: int) -> JudicialConfirmation:
    return JudicialConfirmation(
        case_id=case_id,
        agreement_id=doc_id,
        status=status,
        effective_on=deadline - timedelta(days=30),
        deadline=deadline,
        default_court="重庆市九龙坡区人民法院",
        court="重庆市九龙坡区人民法院" if status in ("applied", CONFIRMED, INVALID) else None,
    )


#: (dispute type, the 司法确认 offer's status or None, what must be said, what must not).
STATES = [
    (
        "labour_wages",
        None,
        ("第十五条", "第二百二十五条", "第五十一条", "劳动争议仲裁委员会"),
        ("司法确认", "二年", "第十六条"),  # oral: 第十六条 needs a 调解协议书
    ),
    (
        "labour_wages",
        "declined",
        ("第十五条", "支付令", "三十日期限已过"),
        ("前向人民法院申请司法确认", "二年", "强制执行（"),
    ),
    ("neighbour", "offered", ("共同在", "申请司法确认", "第三十二条"), ("支付令", "二年")),
    ("private_lending", "offered-late", ("第三十二条", "第二百二十五条"), ("共同在", "二年")),
    ("labour_wages", "applied", ("正在等待人民法院审查", "第二百零六条"), ("二年", "共同在")),
    ("private_lending", CONFIRMED, ("申请强制执行", "二年", "第二百五十条"), ("支付令", "共同在")),
    # Ruled invalid: a new mediation or a suit; nothing that rests on the agreement.
    (
        "private_lending",
        INVALID,
        ("确认调解协议无效", "第三十三条"),
        ("支付令", "强制执行", "共同在"),
    ),
]


@pytest.mark.parametrize(("dispute", "jc_status", "said", "unsaid"), STATES)
async def test_escalation_advice_fits_the_case(
    world: World,
    dispute: str,
    jc_status: str | None,
    said: tuple[str, ...],
    unsaid: tuple[str, ...],
) -> None:
    await accept(world)
    await world.oral_agreement("被申请人于2026年12月31日前支付申请人12000元。")
    async with world.db.write() as s:
        await s.execute(update(Case).where(Case.id == world.case_id).values(dispute_type=dispute))
        doc = (
            await s.execute(select(Document.id).where(Document.status == "effective"))
        ).scalar_one()
        if jc_status is not None:
            late = jc_status == "offered-late"
            status = "offered" if late else jc_status
            last = date(2026, 12, 1) if late or status == "declined" else date(2027, 1, 31)
            s.add(_jc(status, last, doc, world.case_id))
    world.clock.advance(days=40)  # 2027-01-06: the payment is missed, then escalated
    await world.timers.run_due()
    told = " ".join(await world.new(WORKER))
    assert "仍未收到" in told
    for words in said:
        assert words in told, (words, told)
    for words in unsaid:
        assert words not in told, (words, told)
    assert any("履行异常" in t for t in await world.new(MEDIATOR))


def test_remedies_per_state() -> None:
    labour, lending, other = "labour_wages", "private_lending", "neighbour"
    assert remedies(CONFIRMED, labour, written=True) == (Remedy.ENFORCE,)
    # Ruled invalid: nothing rests on the agreement (no 支付令 on it, no enforcement).
    for kind in (labour, lending, other):
        assert remedies(INVALID, kind, written=True) == (Remedy.MEDIATE_OR_SUE,)
    assert remedies("applied", other, written=True) == (Remedy.AWAIT_COURT,)
    assert remedies("court", lending, written=True) == (Remedy.COURT,)
    assert remedies("open", labour, written=True) == (
        Remedy.CONFIRM_JOINTLY,
        Remedy.LABOUR_ARBITRATION,
        Remedy.LABOUR_PAYMENT_ORDER,
        Remedy.SUE_WAGES,
    )
    assert remedies("none", labour, written=False)[1] is Remedy.PAYMENT_ORDER
    assert remedies("closed", lending, written=True) == (Remedy.SUE, Remedy.PAYMENT_ORDER)
    assert remedies("closed", other, written=True) == (Remedy.SUE,)
    # Enforcement and its two-year period belong to a confirmed agreement only.
    for stage in ("open", "applied", "closed", "none"):
        for kind in (labour, lending, other):
            assert Remedy.ENFORCE not in remedies(stage, kind, written=True)


async def effective(world: World, terms: str = PLAN) -> None:
    await accept(world, terms)
    await world.oral_agreement("被申请人于2026年12月31日前支付申请人工资12000元。")


async def test_the_transfer_record_reaches_the_payee_and_the_mediator(world: World) -> None:
    await effective(world)
    await world.command(EMPLOYER, "paid")
    await world.drain()
    await world.press(EMPLOYER, "📎 上传转账记录")
    (saved,) = await world.file(EMPLOYER)
    assert "转账记录已保存" in saved
    for who in (WORKER, MEDIATOR):
        copies = [p for p in await world.payloads(who) if p.get("kind") == "copy"]
        assert len(copies) == 1 and copies[0]["from_chat_id"] == str(EMPLOYER), who
        assert "付款方上传的第1期 ¥12,000.00 转账记录" in copies[0]["caption"]
    # With the record in front of them, the worker is asked again and confirms.
    asked = await world.new(WORKER)
    assert any("表示已支付第1期" in t for t in asked)
    done = await world.press(WORKER, "✅ 已收到")
    assert any("已确认收到第1期" in t for t in done)


async def test_a_silent_payee_is_noticed(world: World) -> None:
    await effective(world)
    await world.command(EMPLOYER, "paid")
    await world.drain()
    world.clock.advance(days=3)
    await world.timers.run_due()
    assert any("至今没有确认" in t for t in await world.new(EMPLOYER))
    assert any("请与双方核实" in t for t in await world.new(MEDIATOR))
    assert any("请确认是否收到" in t for t in await world.new(WORKER))
    async with world.db.read() as s:
        alerts = list((await s.execute(select(Alert))).scalars())
    assert {(a.kind, a.unit_code is not None, a.staff_id is not None) for a in alerts} == {
        ("payment_check", True, False),
        ("payment_check", False, True),
    }
    await world.timers.run_due()  # fires once
    assert await world.new(EMPLOYER) == []


async def test_console_shows_payments_and_alerts(world: World) -> None:
    """The unit's console: the payments on the case's timeline and the overdue alert."""
    await effective(world)
    world.clock.advance(days=40)
    await world.timers.run_due()
    async with admin_console(world) as (client, _):
        page = await (await client.get(f"/staff/cases/{world.case_id}")).text()
        timeline = page.split('data-testid="timeline"', 1)[1].split("</ol>", 1)[0]
        for label in ("开始履行跟踪", "逾期未确认收到", "履行异常：第1期 ¥12,000.00"):
            assert label in timeline, label
        assert "逾期" in page.split('data-testid="payments"', 1)[1].split("</section>", 1)[0]
        alerts = await (await client.get("/staff/alerts")).text()
        body = alerts.split("<main", 1)[1]
        assert "履行逾期" in body and "第1期 ¥12,000.00（2026-12-31到期）" in body, body


async def test_staff_correct_a_mistaken_confirmation_with_a_reason(world: World) -> None:
    await effective(world)
    await world.command(EMPLOYER, "paid")
    await world.press(WORKER, "✅ 已收到")  # by mistake: nothing has arrived
    await world.drain()
    async with world.db.read() as s:
        inst = (await s.execute(select(PaymentInstalment))).scalar_one()
        assert (await s.execute(select(FollowUp))).scalar_one()
    path = f"/staff/cases/{world.case_id}/payments/correct"
    async with admin_console(world) as (client, token):
        page = await (await client.get(f"/staff/cases/{world.case_id}")).text()
        assert 'data-testid="payment-correct"' in page
        empty = await client.post(path, data={"_csrf": token, "instalment": str(inst.id)})
        assert empty.status == 400
        reason = "收款方误点已收到，银行流水未见到账"
        done = await client.post(
            path,
            data={"_csrf": token, "instalment": str(inst.id), "reason": reason},
            allow_redirects=False,
        )
        assert done.status in (302, 303), await done.text()
        page = await (await client.get(f"/staff/cases/{world.case_id}")).text()
        assert "工作人员更正第1期 ¥12,000.00 的收款确认" in page
        again = await client.post(
            path, data={"_csrf": token, "instalment": str(inst.id), "reason": reason}
        )
        assert again.status == 400  # nothing confirmed to correct any more
    told = await world.new(WORKER)
    assert any("更正" in t and reason in t for t in told)
    assert "✅ 已收到" in [b["text"] for b in (await world.payloads(WORKER))[-1]["buttons"][0]]
    assert any("更正" in t for t in await world.new(EMPLOYER))
    async with world.db.read() as s:
        inst = (await s.execute(select(PaymentInstalment))).scalar_one()
        sched = (await s.execute(select(PaymentSchedule))).scalar_one()
        audits = list((await s.execute(select(AuditEntry))).scalars())
        follow = list((await s.execute(select(FollowUp))).scalars())
    assert (inst.status, sched.status, follow) == ("marked_paid", "active", [])
    (entry,) = [a for a in audits if a.action == "payment_correct"]
    assert entry.case_id == world.case_id and entry.actor == "admin1"


async def until(world: World, moment: datetime) -> None:
    world.clock.advance(seconds=(moment - world.clock.now()).total_seconds())
    await world.timers.run_due()


async def test_a_repair_is_tracked_with_its_own_reminders(world: World) -> None:
    """The employer also undertook "修复天花板 2027-03-20": reminded before, overdue after,
    done only when the worker confirms it."""
    await accept(world, "修复天花板 2027-03-20，道歉")
    assert any("协议生效后开始跟踪" in t for t in await world.command(WORKER, "payments"))
    await world.oral_agreement("被申请人于2027年3月20日前修复天花板，并向申请人赔礼道歉。")
    texts = [p.get("text", "") for p in await world.payloads(EMPLOYER)]
    started = [t for t in texts if t.startswith("📌") and "请按约定履行" in t]
    assert len(started) == 2 and any(
        "修复（恢复原状）（天花板），2027-03-20前完成" in t for t in started
    )
    # 09:00 Shanghai three days before, then the morning after the day.
    await until(world, datetime(2027, 3, 17, 1, 0, tzinfo=UTC))
    (remind,) = await world.new(EMPLOYER)
    assert "还有 3 天" in remind and "天花板" in remind
    await until(world, datetime(2027, 3, 21, 1, 0, tzinfo=UTC))
    assert any("期限已过" in t for t in await world.new(EMPLOYER))
    assert any("期限已过" in t for t in await world.new(WORKER))
    assert any("履行异常" in t and "天花板" in t for t in await world.new(MEDIATOR))
    async with world.db.read() as s:
        kinds = {a.kind for a in (await s.execute(select(Alert))).scalars()}
        events = [e.kind for e in (await s.execute(select(CaseEvent))).scalars()]
    assert kinds == {"obligation"}
    assert events.count("obligation_tracking_started") == 2
    assert {"obligation_reminded", "obligation_overdue"} <= set(events)
    # Done? The worker says not yet; then it is, and the worker confirms.
    await world.press(EMPLOYER, "✅ 已完成")
    (asked,) = await world.new(WORKER)
    assert "对方表示已完成" in asked and "天花板" in asked
    await world.press(WORKER, "❌ 尚未完成")
    assert any("尚未完成" in t for t in await world.new(EMPLOYER))
    await world.press(EMPLOYER, "✅ 已完成")
    await world.press(WORKER, "✅ 确认已完成")
    assert any("对方确认已完成" in t for t in await world.new(EMPLOYER))
    shown = " ".join(await world.command(WORKER, "payments"))
    assert "已确认完成" in shown
    # The worker cannot mark the employer's undertaking done.
    async with world.db.read() as s:
        ob = (await s.execute(select(Obligation).where(Obligation.seq == 2))).scalar_one()
    (refused,) = await world.action(WORKER, f"ng:od:{ob.id}")
    assert "只有负有这项义务的一方" in refused


async def test_no_tracking_of_an_offer_the_agreement_does_not_state(world: World) -> None:
    """The oral agreement says ¥10,000, the accepted offer ¥12,000: the offer's plan is not
    held against the employer; the mediator is told."""
    await accept(world)
    await world.oral_agreement("被申请人于2026年12月31日前支付申请人工资10000元。")
    assert await pay_timers(world) == []
    told = [p.get("text", "") for p in await world.payloads(MEDIATOR)]
    assert any("¥10,000.00" in t and "¥12,000.00" in t and "没有自动开始" in t for t in told)
    (refused,) = await world.command(EMPLOYER, "paid")
    assert "协议写明的付款与双方此前接受的方案不一致" in refused
