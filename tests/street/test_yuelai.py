"""The 悦来 example's first part (issue 24), from people's side, on both databases.

A community grid worker meets about ten workers at a site gate in 渝北区悦来街道 over unpaid
wages and registers it from the phone; the system dispatches it by the units file's rule:
市政建管岗 leads, 政务劳保岗 assists. The lead accepts and records what it did; the helper
returns its task with a reason (the district's centre hears of it); the lead's task passes its
deadline and the district's centre is alerted, once. The workers' representative confirms the
record by the invitation; the builder, recorded without a name, has not: nothing is presumed
for them until they confirm too.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from app.runtime import Runtime
from core.clock import FakeClock
from features.street.models import StreetReport, StreetTask, StreetTaskNote
from harness.steps import link_unit_staff, report_in_street, wait_text
from services.invariants import check
from standin import StandinBotAPI
from standin.simulation import SimUser
from storage.models import Case, CaseEvent, CaseParty, Evidence, Timer
from tests.e2e.harness import assert_quiet, running_service

HERE = Path(__file__).parent
UNITS = HERE / "units.toml"
TOKENS = re.compile(r"start=(inv_[A-Za-z0-9_-]+)")


async def staff(runtime: Runtime, standin: StandinBotAPI) -> dict[str, SimUser]:
    """The people of the example, each with a console account linked to Telegram."""
    people = {
        "grid": ("wangge", 7001, "grid", "yuelai-sq"),
        "jianguan": ("jianguan", 7002, "mediator", "yuelai"),
        "laobao": ("laobao", 7003, "mediator", "yuelai"),
        "centre": ("yb-centre", 7004, "admin", "yubei"),
    }
    linked = await link_unit_staff(runtime, standin, people.values())
    return {key: linked[person[0]] for key, person in people.items()}


async def test_yuelai_report_dispatch_tasks_and_confirmations(
    tmp_path: Path, database_url: str | None
) -> None:
    clock = FakeClock()
    async with StandinBotAPI() as standin:
        async with running_service(
            standin, tmp_path / "var", database_url, clock=clock, UNITS_FILE=str(UNITS)
        ) as runtime:
            people = await staff(runtime, standin)
            grid, jianguan, laobao, centre = (
                people[k] for k in ("grid", "jianguan", "laobao", "centre")
            )

            # The grid worker registers it from the phone (no 110 referral this time).
            steps = await report_in_street(grid)
            summary, registered = steps[-2], steps[-1]
            assert "张秀英" in summary and "姓名不详" in summary and "证据：2 个" in summary
            number = "（2026）悦来调字第0001号"
            assert number in registered and "3 名当事人待确认" in registered
            shown = await grid.wait_for_messages(6)  # per party: the invitation and its QR code
            invitations = [m for m in shown if TOKENS.search(m.text or "")]
            assert len(invitations) == 3
            assert "张秀英" in (invitations[0].text or "")
            assert "姓名不详" in (invitations[2].text or "")
            qr = [m for m in shown if m.method == "sendPhoto"]
            assert len(qr) == 3, "each party's invitation is also a QR code shown on the spot"

            # Dispatch: the lead post and the helper post each get their task at once.
            lead_card = await wait_text(jianguan, "市政建管岗（牵头）")
            assert "牵头：" not in (lead_card.text or "")  # not "（牵头，牵头：市政建管岗）"
            assert number in (lead_card.text or "") and "待接单" in (lead_card.text or "")
            helper_card = await wait_text(laobao, "政务劳保岗（协办")
            assert "牵头：市政建管岗" in (helper_card.text or "")

            # The lead accepts and records what it did.
            await jianguan.press("接单")
            await wait_text(jianguan, "已接单：")
            await wait_text(jianguan, "【已接单】")  # the card again, with the next buttons
            await jianguan.press("记录处置")
            await wait_text(jianguan, "做了什么")
            await jianguan.send_text("下午与派出所、社区、施工单位到现场协商，未达成一致。")
            await wait_text(jianguan, "处置情况已记录")

            # The helper returns its task with a reason; the district's centre is told.
            await laobao.press("退回")
            await wait_text(laobao, "退回的原因")
            await laobao.send_text("欠薪涉及劳动监察，建议由区人社局牵头。")
            await wait_text(laobao, "已退回：")
            await wait_text(laobao, "【已退回】")
            returned = await wait_text(centre, "任务被退回")
            assert "政务劳保岗" in (returned.text or "") and "区人社局" in (returned.text or "")
            assert "。。" not in (returned.text or "")  # the reason's own 。 is not doubled

            # The grid worker is not a post's member: the helper's buttons are not theirs.
            await grid.send_command("/tasks")
            await wait_text(grid, "不属于任何岗位")

            # The workers' representative confirms by the invitation (their phone proves it).
            token = TOKENS.search(invitations[0].text or "")
            assert token is not None
            worker = standin.user(7101, first_name="秀英", phone="+8613800001111")
            await worker.send_command("/start", token.group(1))
            await wait_text(worker, "分享您的手机号")
            await worker.press("📱 分享我的手机号")
            record = await wait_text(worker, "请核对记录")
            assert "张秀英（申请人）" in (record.text or "") and "工地大门" in (record.text or "")
            await worker.press("记录无误，同意调解")
            await wait_text(worker, "您已加入案件")

            await assert_quiet(grid)
            await assert_quiet(laobao)

        # Five hours later (deadline: four): the lead's task, accepted but not done, is overdue;
        # the returned one's timer was cancelled. One alert, to the district's centre, once.
        clock.advance(hours=5)
        async with running_service(
            standin, tmp_path / "var", database_url, clock=clock, UNITS_FILE=str(UNITS)
        ) as runtime:
            assert await runtime.timers.run_due() == 1  # type: ignore[union-attr]
            overdue = await wait_text(centre, "任务超期")
            assert "市政建管岗（牵头）" in (overdue.text or "") and number in (overdue.text or "")
            assert "已接单" in (overdue.text or "")
            assert await runtime.timers.run_due() == 0  # type: ignore[union-attr]
            await assert_quiet(centre)
            await assert_quiet(jianguan)

            # The record: who confirmed, what is pending, what each post did.
            async with runtime.db.read() as session:
                case = (await session.execute(select(Case))).scalar_one()
                assert case.source == "street" and case.unit_code == "yuelai"
                assert case.status == "submitted", "the builder has not consented"
                parties = (
                    (
                        await session.execute(
                            select(CaseParty)
                            .where(CaseParty.case_id == case.id)
                            .order_by(CaseParty.id)
                        )
                    )
                    .scalars()
                    .all()
                )
                assert [(p.side, p.name, p.status) for p in parties] == [
                    ("applicant", "张秀英", "joined"),
                    ("applicant", "", "pending"),
                    ("respondent", "", "pending"),
                ]
                report = (await session.execute(select(StreetReport))).scalar_one()
                assert (
                    report.rule == "yl-wages"
                    and report.involved == "约十名工人、项目经理、施工单位"
                )
                tasks = {
                    t.desk_code: t for t in (await session.execute(select(StreetTask))).scalars()
                }
                lead, helper = tasks["yl-jianguan"], tasks["yl-laobao"]
                assert (lead.role, lead.status) == ("lead", "accepted")
                assert lead.overdue_at is not None
                assert (helper.role, helper.status, helper.overdue_at) == (
                    "assist",
                    "returned",
                    None,
                )
                assert helper.reason == "欠薪涉及劳动监察，建议由区人社局牵头。"
                notes = (await session.execute(select(StreetTaskNote))).scalars().all()
                assert [n.task_id for n in notes] == [lead.id]
                evidence = (await session.execute(select(Evidence))).scalars().all()
                assert sorted(e.kind for e in evidence) == ["photo", "voice"]
                kinds = [
                    e.kind
                    for e in (
                        await session.execute(select(CaseEvent).order_by(CaseEvent.id))
                    ).scalars()
                ]
                assert kinds[:2] == ["created", "dispatched"]
                for kind in (
                    "task_accepted",
                    "task_note",
                    "task_returned",
                    "joined",
                    "task_overdue",
                ):
                    assert kind in kinds
                timers = (
                    await session.execute(select(Timer).where(Timer.kind == "street.task_due"))
                ).scalars()
                assert sorted(t.status for t in timers) == ["cancelled", "fired"]

            # The builder, recorded without a name, confirms through their own invitation
            # (no phone was known, so the link alone admits them): now each side has
            # consented and the case is accepted.
            builder = standin.user(7102, first_name="项目经理")
            token = TOKENS.search(invitations[2].text or "")
            assert token is not None
            await builder.send_command("/start", token.group(1))
            record = await wait_text(builder, "请核对记录")
            assert "姓名未登记（被申请人）" in (record.text or "")
            await builder.press("记录无误，同意调解")
            await wait_text(builder, "您已加入案件")
            async with runtime.db.read() as session:
                case = (await session.execute(select(Case))).scalar_one()
                assert case.status == "accepted"
            # The invariant checker replays the history to the same state (main.py check):
            # submitted while one side had not consented, accepted once both had.
            verdict = await check(runtime.db, grace=timedelta(0), now=clock.now())
            assert verdict.ok, verdict.render()
            assert verdict.stats["cases_replayed"] == 1
