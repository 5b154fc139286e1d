"""What goes wrong on the street, from people's side: a party or a lawyer trying /report, a
wrong 110 number, a bad name, a registration missing a side, /cancel halfway, an old button;
and a dispute no rule covers (nothing dispatched, nobody alerted)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from features.console import search_index
from features.street.models import StreetReport, StreetTask
from harness.steps import link_staff, wait_text
from standin import StandinBotAPI
from storage.models import Case, CaseEvent
from tests.dialogue import converse
from tests.e2e.harness import assert_quiet, running_service
from tests.street.test_yuelai import UNITS


async def test_refusals_and_a_dispute_no_rule_covers(
    tmp_path: Path, database_url: str | None
) -> None:
    async with StandinBotAPI() as standin:
        async with running_service(
            standin, tmp_path / "var", database_url, UNITS_FILE=str(UNITS)
        ) as runtime:
            party = standin.user(7301, first_name="路人")
            await party.send_command("/report")
            await wait_text(party, "不认识这个命令")
            lawyer = await link_staff(
                runtime, standin, "lvshi", 7302, role="lawyer", unit_code="yuelai"
            )
            await lawyer.send_command("/report")
            await wait_text(lawyer, "不能使用这个功能")
            jianguan = await link_staff(
                runtime, standin, "jianguan", 7303, unit_code="yuelai", telegram_username=None
            )
            grid = await link_staff(
                runtime,
                standin,
                "wangge",
                7304,
                role="grid",
                unit_code="yuelai-sq",
                telegram_username=None,
            )

            # Halfway, /cancel: nothing is kept, and the old buttons are dead.
            await grid.send_command("/report")
            await wait_text(grid, "纠纷类型")
            await grid.press("邻里纠纷")
            await wait_text(grid, "发生在哪里")
            await grid.send_command("/cancel")
            await wait_text(grid, "已取消")
            await grid.press("邻里纠纷")
            await wait_text(grid, "按钮已失效")

            # A neighbour dispute in the community: no rule covers it.
            await grid.send_command("/report")
            summary = await converse(
                grid,
                [
                    ("press", "邻里纠纷", "发生在哪里"),
                    ("text", "渝北区悦来社区 3 栋", "发生了什么"),
                    ("text", "吵", "太短"),
                    ("text", "楼上漏水，两家在楼道争吵。", "涉及哪些人"),
                    ("sticker", "👍", "请按提示回答"),
                    ("press", "跳过", "警情号"),
                    ("text", "12", "警情号格式不对"),
                    ("text", "J50011220261206001", "哪一方"),
                    ("press", "被申请方", "姓名"),
                    ("text", "张3", "姓名格式不对"),
                    ("text", "楼上住户", "手机号"),
                    ("text", "12345", "手机号"),
                    ("text", "不知道", ("已登记", "哪一方")),
                    ("press", "当事人登记完毕", ("还没有登记申请人", "哪一方")),
                    ("press", "申请方", "姓名"),
                    ("text", "李 四", "手机号"),
                    ("press", "跳过", "哪一方"),
                    ("press", "当事人登记完毕", "现场照片"),
                    ("press", "下一步", "请核对登记内容"),
                ],
            )
            assert "J50011220261206001" in (summary.text or "")
            await grid.press("✅ 确认登记")
            await wait_text(grid, "登记成功")
            await grid.wait_for_messages(4)  # two invitations, two QR codes

            # Nobody was dispatched; the post hears nothing; its /tasks is empty.
            await jianguan.send_command("/tasks")
            await wait_text(jianguan, "目前没有待办任务")
            await assert_quiet(jianguan)
            async with runtime.db.read() as session:
                case = (await session.execute(select(Case))).scalar_one()
                assert case.unit_code == "yuelai-sq" and case.status == "submitted"
                report = (await session.execute(select(StreetReport))).scalar_one()
                assert report.rule is None and report.police_ref == "J50011220261206001"
                assert (await session.execute(select(StreetTask))).first() is None
                kinds = [e for (e,) in await session.execute(select(CaseEvent.kind))]
                assert kinds == ["created", "dispatch_none"]
                # A case registered on the street is found by the ledger's text search at once.
                condition = search_index.matching("楼道争吵")
                assert condition is not None
                hits = await session.execute(select(Case.id).where(condition))
                assert hits.scalars().all() == [case.id]
