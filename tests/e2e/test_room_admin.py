"""The mediator runs the room: invite by phone (contact must match), several people per side,
a representative, mute, remove (access gone at once)."""

from __future__ import annotations

import re
from pathlib import Path

from harness.steps import RESPONDENT_PHONE, mediator_takes_case
from standin import StandinBotAPI
from standin.simulation import SimUser
from tests.e2e.harness import running_service, texts
from tests.e2e.test_intake import walk_intake

NUMBER = "（2026）示调字第0001号"


async def join_by_link(user: SimUser, link_text: str) -> None:
    token = re.search(r"start=(inv_[\w-]+)", link_text)
    assert token, link_text
    await user.send_command("/start", token.group(1))


async def test_mediator_runs_the_room(tmp_path: Path) -> None:
    async with StandinBotAPI() as standin:
        async with running_service(standin, tmp_path / "var") as runtime:
            applicant = standin.user(9501, phone="+8613800009501")
            await walk_intake(applicant)
            respondent = standin.user(9502, phone=RESPONDENT_PHONE)
            mediator = await mediator_takes_case(
                runtime, standin, applicant, respondent, number=NUMBER, mediator=("med95", 9600)
            )

            # Invite a second applicant by phone: only the right phone can join.
            await mediator.press("邀请当事人")
            await texts(mediator, 1)
            await mediator.press("申请人")
            await texts(mediator, 1)
            await mediator.send_text("王五")
            await texts(mediator, 1)
            await mediator.send_text("13700009503")
            link, qr, note = await mediator.wait_for_messages(3)
            assert qr.method == "sendPhoto" and "手机号" in (note.text or "")
            impostor = standin.user(9504, phone="+8613900009504")
            await join_by_link(impostor, link.text or "")
            assert "分享您的手机号" in (await texts(impostor, 1))[0]
            await impostor.send_contact()
            assert "不一致" in (await texts(impostor, 1))[0]
            second = standin.user(9503, phone="+8613700009503")
            await join_by_link(second, link.text or "")
            await texts(second, 1)
            await second.send_contact(own=False, phone="+8613700009503")  # someone else's card
            assert "分享您的手机号" in (await texts(second, 1))[0]
            await second.send_contact()
            _saved, summary = await texts(second, 2)
            assert "您的身份：申请人" in summary
            await second.press("同意参加调解")
            (welcome,) = await texts(second, 1)
            assert "｜申请人2】" in welcome
            for member in (applicant, respondent, mediator):
                assert "申请人2已加入" in (await texts(member, 1))[0]

            await mediator.press("▶ 开始调解会话")
            await texts(mediator, 1)
            for member in (applicant, respondent, second):
                await texts(member, 1)

            # The first applicant speaks for the side (发言代表; each party still signs for
            # themselves): the second's words go to the mediator.
            await mediator.press("设申请人为发言代表")
            await texts(mediator, 1)
            for member in (applicant, respondent, second):
                assert "本方发言代表" in (await texts(member, 1))[0]
            await second.send_text("我也有话说")
            assert "已指定代表" in (await texts(second, 1))[0]
            assert "我也有话说" in (await texts(mediator, 1))[0]
            await applicant.send_text("我代表申请人方发言")
            for member in (respondent, second, mediator):
                assert "我代表申请人方发言" in (await texts(member, 1))[0]

            # Mute the respondent, then remove them: access ends at once.
            await mediator.press("禁言被申请人")
            await texts(mediator, 1)
            for member in (applicant, respondent, second):
                assert "禁言" in (await texts(member, 1))[0]
            await respondent.send_text("我不同意")
            assert "禁言" in (await texts(respondent, 1))[0]
            await mediator.press("移出被申请人")
            await texts(mediator, 1)
            for member in (applicant, respondent, second):
                assert "移出" in (await texts(member, 1))[0]
            await respondent.send_command("/record")
            assert "没有进行中的案件" in (await texts(respondent, 1))[0]
            await respondent.send_text("还能说话吗")
            assert "/start" in (await texts(respondent, 1))[0]
            await applicant.send_text("对方已离开")
            for member in (second, mediator):
                assert "对方已离开" in (await texts(member, 1))[0]
            assert not any("对方已离开" in (m.text or "") for m in respondent.messages)
