"""A volunteer lawyer in the chat (issue 20): told what they can do when they link (not to send
/queue), a request that says what the case is about (type, claims, amount, the question), and a
panel that offers only what the room's mode allows — tried from the lawyer's side over the
stand-in Bot API, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from core.clock import FakeClock
from harness.steps import RESPONDENT_PHONE, mediator_takes_case, wait_text
from standin import StandinBotAPI
from tests.e2e.harness import assert_quiet, running_service, texts
from tests.e2e.test_intake import walk_intake
from tests.lawyers.conftest import make_lawyer

#: Friday 27 November 2026, 10:00 in Asia/Shanghai: the lawyer is on duty.
MORNING = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
NUMBER = "（2026）示调字第0001号"
QUESTION = "对方说工资已经发过了，没有书面记录怎么办？"


async def test_a_lawyer_is_told_what_they_can_do_and_sees_the_case(
    tmp_path: Path, database_url: str | None
) -> None:
    clock = FakeClock(MORNING)
    async with (
        StandinBotAPI() as standin,
        running_service(standin, tmp_path / "var", database_url, clock=clock) as runtime,
    ):
        lawyer = await make_lawyer(
            runtime,
            standin,
            "lawyer_chat",
            7501,
            licence="11101201810000501",
            rota="mon-fri 09:00-18:00",
        )
        linked = lawyer.messages[-1].text or ""
        assert "接受" in linked and "/duty" in linked and "/queue" not in linked
        await lawyer.send_text("你好，我现在需要做什么？")
        (hint,) = await texts(lawyer, 1)
        assert "有人请律师时您会收到请求" in hint and "/queue" not in hint

        applicant = standin.user(7511, first_name="甲真名", phone="+8613800007511")
        await walk_intake(applicant)
        respondent = standin.user(7512, first_name="乙真名", phone=RESPONDENT_PHONE)
        mediator = await mediator_takes_case(
            runtime, standin, applicant, respondent, number=NUMBER, mediator=("med_law", 7520)
        )
        await mediator.press("切换为背对背调解")
        await wait_text(mediator, "调解方式：背对背")
        for party in (applicant, respondent):
            await wait_text(party, "背对背")
        await mediator.send_command("/lawyer", QUESTION)
        assert "1 位值班律师" in (await texts(mediator, 1))[0]
        (offer,) = await lawyer.wait_for_messages(1)
        text = offer.text or ""
        assert f"案件 {NUMBER}" in text and "纠纷类型：劳动争议/欠薪" in text
        assert "申请事项：支付拖欠的工资一万二千元" in text
        assert "涉及金额：¥12,000.00" in text and "调解方式：背对背" in text
        assert f"问题：{QUESTION}" in text and "提出人：调解员" in text
        assert "真名" not in text and "13800007511" not in text

        await lawyer.press("接受")
        accepted, panel = await texts(lawyer, 2)
        assert "以“律师”身份加入案件" in accepted
        assert "发言对象：尚未选择" in panel
        buttons = [b for b, _ in lawyer.messages[-1].buttons]
        assert "对全体说" not in buttons
        assert buttons[:2] == ["对申请人说", "对被申请人说"]
        for person in (applicant, respondent, mediator):
            await wait_text(person, "律师已加入调解室")
        # The mediator's panel in this mode does not offer it either.
        await mediator.send_command("/room")
        (room_panel,) = await mediator.wait_for_messages(1)
        assert "对全体说" not in [b for b, _ in room_panel.buttons]

        await lawyer.press("对申请人说")
        assert "发言对象：申请人" in (await texts(lawyer, 1))[0]
        await lawyer.send_text("请先把工资条和考勤记录整理好。")
        assert "工资条" in (await texts(applicant, 1))[0]
        assert "工资条" in (await texts(mediator, 1))[0]
        await assert_quiet(respondent)

        # Back in joint mode the lawyer's panel offers the whole room again.
        await mediator.press("切换为联合调解")
        await wait_text(mediator, "调解方式：联合")
        await wait_text(lawyer, "联合")
        await lawyer.send_command("/lawyer")
        joint = await wait_text(lawyer, "发言对象")
        assert "对全体说" in [b for b, _ in joint.buttons]
