"""A party who tells the whole story at the first question is not asked for it again: each later
question that the story already answers (what happened, what she asks for, how much, who the
other side is) offers that answer back — "您前面说的是…，对吗？" with 对 / 不对，重新填 — and
takes it only when she presses 对 (mediation.earlier_answers). She can say it is wrong, or just
type her own answer, and is then asked as before. Through the stand-in Bot API on SQLite and
PostgreSQL, typing as people type (大概四千八, 张 秀 英, 不知道)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from harness.steps import walk_steps
from standin import StandinBotAPI
from standin.models import SentMessage
from standin.simulation import SimUser
from storage.models import Case, CaseParty
from tests.e2e.harness import assert_quiet, running_service, texts

STORY = "楼上邻居王某家卫生间漏水，把我家天花板泡坏了，要求赔偿修理费四千八"
OFFER = ["对", "不对，重新填"]


async def story_at_the_first_question(user: SimUser) -> SentMessage:
    """/start, consent, the whole story typed at 第 1 步, its type confirmed: the facts
    question as it comes."""
    await user.send_command("/start")
    await texts(user, 2)
    await user.press("同意，开始登记")
    assert "第 1 步" in (await texts(user, 1))[0]
    await user.send_text(STORY)
    (guess,) = await user.wait_for_messages(1)
    assert "邻里纠纷" in (guess.text or "")
    await user.press("✅ 是，邻里纠纷")
    (facts,) = await user.wait_for_messages(1)
    return facts


async def test_the_story_told_at_step_1_is_offered_back_not_asked_again(
    tmp_path: Path, database_url: str | None
) -> None:
    async with StandinBotAPI() as standin:
        async with running_service(standin, tmp_path / "var", database_url) as runtime:
            user = standin.user(1931, phone="+8613800001931")
            facts = await story_at_the_first_question(user)
            said = facts.text or ""
            assert "第 2 步" in said and f"您前面说的是“{STORY}”，对吗？" in said
            assert facts.button_texts == OFFER
            await walk_steps(user, [("press", "对", ["证据"]), ("press", "下一步", ["申请事项"])])
            claims = user.messages[-1]
            assert "第 4 步" in (claims.text or "")
            assert "您前面说的是“赔偿修理费四千八”，对吗？" in (claims.text or "")
            assert claims.button_texts == OFFER
            await user.press("对", claims)
            (amount,) = await user.wait_for_messages(1)
            shown = amount.text or ""
            assert "第 5 步" in shown and "您前面说的是“四千八”，记为 4,800.00 元，对吗？" in shown
            assert amount.button_texts == [*OFFER, "跳过"]
            # She meant about that much: 不对, then typed as she says it.
            await user.press("不对，重新填", amount)
            (asked,) = await texts(user, 1)
            assert "第 5 步" in asked and "您前面说的" not in asked
            await user.send_text("大概四千八")
            (check,) = await texts(user, 1)
            assert "4,800.00" in check and "大概" in check
            await walk_steps(
                user,
                [
                    ("press", "对，就是这个金额", ["哪里"]),
                    ("text", "九龙坡区杨家坪街道某小区", ["姓名"]),
                    ("text", "张 秀 英", ["手机号"]),
                    ("text", "13800001931", ["手机号已保存", "身份证"]),
                    ("press", "跳过", ["对方的姓名"]),
                ],
            )
            other = user.messages[-1]
            assert "第 10 步" in (other.text or "")
            assert "您前面说的是“王某（楼上邻居）”，对吗？" in (other.text or "")
            assert other.button_texts == [*OFFER, "不知道对方姓名"]
            await user.press("对", other)
            assert "对方的手机号" in (await texts(user, 1))[0]
            await user.send_text("不知道")
            _, summary = await texts(user, 2)
            assert f"事情经过：{STORY}" in summary
            assert "申请事项：赔偿修理费四千八" in summary and "约 4,800.00 元" in summary
            assert "您的姓名：张秀英" in summary and "对方姓名：王某（楼上邻居）" in summary
            await user.press("✅ 确认提交")
            assert "登记成功" in ((await user.wait_for_messages(3))[0].text or "")
            await assert_quiet(user)
            async with runtime.db.read() as s:
                case = (await s.execute(select(Case))).scalar_one()
                people = (await s.execute(select(CaseParty).order_by(CaseParty.id))).scalars().all()
            assert (case.dispute_type, case.facts, case.claims) == (
                "neighbour",
                STORY,
                "赔偿修理费四千八",
            )
            assert (str(case.amount), case.amount_stated) == ("4800.00", "approximate")
            assert [(p.name, p.note) for p in people] == [("张秀英", None), ("王某", "楼上邻居")]
            assert people[1].phone is None


async def test_what_she_types_instead_counts_and_nothing_is_taken_unasked(
    tmp_path: Path, database_url: str | None
) -> None:
    """The same story; this time the facts offer is 不对 (she writes them out), and at the
    claims, the amount and the other side she types her own answer over the offer: each is
    taken as typed (the amount read back as ever), 不知道 included."""
    async with StandinBotAPI() as standin:
        async with running_service(standin, tmp_path / "var", database_url) as runtime:
            user = standin.user(1932, phone="+8613800001932")
            facts = await story_at_the_first_question(user)
            await user.press("不对，重新填", facts)
            (asked,) = await texts(user, 1)
            assert "第 2 步" in asked and "您前面说的" not in asked
            written = "楼上王家卫生间漏水两个月了，我家客厅天花板泡坏，找了物业也没用。"
            await walk_steps(
                user,
                [
                    ("text", written, ["证据"]),
                    ("press", "下一步", ["您前面说的是“赔偿修理费四千八”"]),
                    ("text", "赔偿天花板修理费，修好漏水的管子", ["您前面说的是“四千八”"]),
                    ("text", "大概四千八", ["约"]),
                    ("press", "对，就是这个金额", ["哪里"]),
                    ("text", "九龙坡区杨家坪街道", ["姓名"]),
                    ("text", "张 秀 英", ["手机号"]),
                    ("text", "13800001932", ["手机号已保存", "身份证"]),
                    ("press", "跳过", ["您前面说的是“王某（楼上邻居）”"]),
                    ("text", "不知道", ["不详", "对方的手机号"]),
                    ("text", "不知道", ["调解员之后会了解", "请核对"]),
                ],
            )
            summary = user.messages[-1].text or ""
            assert f"事情经过：{written}" in summary
            assert "申请事项：赔偿天花板修理费，修好漏水的管子" in summary
            assert "约 4,800.00 元" in summary and "对方姓名：不详" in summary
            await user.press("✅ 确认提交")
            await user.wait_for_messages(3)
            async with runtime.db.read() as s:
                case = (await s.execute(select(Case))).scalar_one()
                other = (
                    (await s.execute(select(CaseParty).order_by(CaseParty.id))).scalars().all()
                )[1]
            assert case.facts == written and other.name == ""
