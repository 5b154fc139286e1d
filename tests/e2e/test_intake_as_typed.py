"""An elderly applicant files a 装修 dispute typing as people do (issue 19): the type in words,
大概四千八, her name with spaces, a place that is really the amount, and a neighbour whose name
she does not know. Through the stand-in Bot API, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from harness.steps import walk_steps
from standin import StandinBotAPI
from storage.models import Case, CaseParty
from tests.e2e.harness import assert_quiet, running_service, texts


async def test_a_renovation_dispute_typed_as_people_type(
    tmp_path: Path, database_url: str | None
) -> None:
    async with StandinBotAPI() as standin:
        async with running_service(standin, tmp_path / "var", database_url) as runtime:
            user = standin.user(1901, phone="+8613800001901")
            await user.send_command("/start")
            await texts(user, 2)
            await user.press("同意，开始登记")
            assert "也可以直接输入" in (await texts(user, 1))[0]
            await user.send_text("装修纠纷")
            (guess,) = await user.wait_for_messages(1)
            assert "装修/承揽" in (guess.text or "") and "请点击下方的按钮选择" not in (
                guess.text or ""
            )
            await walk_steps(
                user,
                [
                    ("press", "✅ 是，装修/承揽", ["发生了什么"]),
                    (
                        "text",
                        "请楼下的装修队给我家装修，完工后卫生间漏水，老板一直不来返工。",
                        ["证据"],
                    ),
                    ("press", "下一步", ["申请事项"]),
                    ("text", "返工修好漏水，退还部分装修款", ["金额"]),
                ],
            )
            await user.send_text("大概四千八")
            (check,) = await texts(user, 1)
            assert "4,800.00" in check and "大概" in check
            await walk_steps(
                user,
                [
                    ("press", "对，就是这个金额", ["哪里"]),
                    ("text", "8,600", ["不是地点", "哪里"]),
                    ("text", "九龙坡区杨家坪街道某小区", ["姓名"]),
                    ("text", "张 秀 英", ["手机号"]),
                    ("text", "13800001901", ["手机号已保存", "身份证"]),
                    ("press", "跳过", ["不知道"]),
                    ("text", "不知道叫什么 就是1202的", ["不详", "对方的手机号"]),
                ],
            )
            await user.send_text("不知道")
            _, summary = await texts(user, 2)
            assert "纠纷类型：装修/承揽" in summary and "约 4,800.00 元" in summary
            assert "您的姓名：张秀英" in summary and "就是1202的" in summary
            await user.press("✅ 确认提交")
            created = (await user.wait_for_messages(3))[0]
            assert "登记成功" in (created.text or "")
            await assert_quiet(user)
            async with runtime.db.read() as s:
                case = (await s.execute(select(Case))).scalar_one()
                parties = (
                    (await s.execute(select(CaseParty).order_by(CaseParty.id))).scalars().all()
                )
            assert case.dispute_type == "renovation" and str(case.amount) == "4800.00"
            assert case.amount_stated == "approximate"  # 约, as she said it (the console, 约)
            assert parties[0].name == "张秀英"
            assert parties[1].name == "" and parties[1].note == "就是1202的"
            assert parties[1].phone is None
            assert parties[1].unknown == "name,phone"  # 不详 on the console, not a blank
            assert parties[0].unknown is None  # her ID number skipped: not given, not 不详
