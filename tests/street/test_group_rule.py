"""The group rule escalates by itself (issue 24, items 4 and 5), on both databases.

A wage dispute registered at 一般 (no gathering in the record); the lead post records the
workers' roster from the phone: at the tenth claimant the rule raises the case to 较大 and it
goes to the district's operations centre, which is alerted in the chat and finds it on its
dispatch page — nobody had to raise it by hand. Nine claimants would not have.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from core.clock import FakeClock
from features.console.models import Alert
from harness.steps import link_unit_staff, wait_text
from storage.models import Case, CaseEvent
from tests.e2e.harness import assert_quiet
from tests.street.service import street_with_bot
from tests.street.test_yuelai_joint import signed_in

NAMES = ["张秀英", "李强", "王伟", "刘洋", "陈杰", "杨勇", "赵磊", "黄军", "周涛", "吴斌"]


async def test_the_tenth_claimant_escalates_the_case(
    tmp_path: Path, database_url: str | None
) -> None:
    async with street_with_bot(
        tmp_path, "units_joint.toml", database_url=database_url, clock=FakeClock()
    ) as (standin, runtime, base):
        people = await link_unit_staff(
            runtime,
            standin,
            (
                ("wangge", 7301, "grid", "yuelai-sq"),
                ("jianguan", 7302, "mediator", "yuelai"),
                ("yb-centre", 7303, "admin", "yubei"),
            ),
        )
        grid, lead, district = (
            await signed_in(base, "wangge"),
            await signed_in(base, "jianguan"),
            await signed_in(base, "yb-centre"),
        )
        try:
            await grid.get("/street/register")
            await grid.post(
                "/street/register",
                {
                    "dispute_type": "labour_wages",
                    "place": "渝北区悦来街道 某建筑工地",
                    "facts": "工人反映被拖欠三个月工资，已多次找项目经理。",
                    "side0": "applicant",
                    "name0": "张秀英",
                    "side1": "respondent",
                },
            )
            await wait_text(people["jianguan"], "市政建管岗（牵头")
            async with runtime.db.read() as session:
                case = (await session.execute(select(Case))).scalar_one()
            assert case.risk == "normal"
            page = f"/street/cases/{case.id}"
            await lead.get(page)
            rows = [f"{n} {8000 + i}" for i, n in enumerate(NAMES)]
            said = await lead.post(
                page,
                {"do": "roster", "representative": "张秀英", "members": "\n".join(rows[:9])},
            )
            assert "已添加 9 人。" in said
            async with runtime.db.read() as session:
                again = await session.get_one(Case, case.id)
            assert again.risk == "normal", "nine claimants: not yet a group by the rule"
            said = await lead.post(page, {"do": "roster", "members": rows[9]})
            assert "风险升为较大，已上报渝北区矛盾纠纷调处中心" in said
            alert = await wait_text(people["yb-centre"], "【升级上报】")
            assert "群体纠纷规则：10 名申请人" in (alert.text or "")
            status, text = await district.get("/street/dispatch")
            assert status == 200 and case.number in text
            async with runtime.db.read() as session:
                raised = (
                    await session.execute(select(CaseEvent).where(CaseEvent.kind == "risk"))
                ).scalar_one()
            assert raised.actor == "system" and raised.data["rule"] == "street_group"
            # The centre's staff also find it on the console's alert list (not every desk
            # links Telegram): one open "下级上报" alert for the district's unit.
            async with runtime.db.read() as session:
                alerts = (
                    (await session.execute(select(Alert).where(Alert.kind == "escalated")))
                    .scalars()
                    .all()
                )
            assert [(a.unit_code, a.level, a.case_id) for a in alerts] == [
                ("yubei", "major", case.id)
            ]
            status, listed = await district.get("/alerts")
            assert status == 200 and "下级上报" in listed and case.number in listed
            await assert_quiet(people["yb-centre"])
        finally:
            for c in (grid, lead, district):
                await c.http.close()
