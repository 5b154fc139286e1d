"""The mediation room end to end: intake → invite → the respondent joins by deep link → a
mediator takes the case → joint talk → back-to-back → outcome. No Telegram identity crosses
between parties, and each party's view of the record is right."""

from __future__ import annotations

import re
from pathlib import Path

from app.runtime import Runtime
from harness.steps import (
    RESPONDENT_PHONE,
    join_invited,
    link_staff,
    record_oral_agreement,
    wait_file,
    wait_text,
)
from standin import StandinBotAPI
from standin.simulation import SimUser
from tests.e2e.harness import running_service, texts
from tests.e2e.test_intake import PNG, walk_intake

APPLICANT_SECRETS = ("甲真名", "applicant_handle", "13800007001")
RESPONDENT_SECRETS = ("乙真名", "respondent_handle", "13900007002")
MEDIATOR_SECRETS = ("调解员真名", "mediator_handle")


async def make_mediator(
    runtime: Runtime, standin: StandinBotAPI, username: str, user_id: int
) -> SimUser:
    """A mediator account linked to Telegram user ``user_id`` (the harness's step)."""
    return await link_staff(runtime, standin, username, user_id)


def everything_sent_to(user: SimUser) -> str:
    return "\n".join(f"{m.text or ''} {m.message}" for m in user.messages)


async def test_mediation_room_end_to_end(tmp_path: Path) -> None:
    async with StandinBotAPI() as standin:
        async with running_service(standin, tmp_path / "var") as runtime:
            applicant = standin.user(
                7001, first_name="甲真名", username="applicant_handle", phone="+8613800007001"
            )
            await walk_intake(applicant)
            invite_text = applicant.messages[-2].text or ""
            token = re.search(r"start=(inv_[A-Za-z0-9_-]+)", invite_text)
            code = re.search(r"邀请码：([A-Z0-9]{4}-[A-Z0-9]{4})", invite_text)
            assert token and code

            # The respondent opens the deep link and agrees.
            respondent = standin.user(
                7002, first_name="乙真名", username="respondent_handle", phone=RESPONDENT_PHONE
            )
            summary = await join_invited(respondent, token.group(1))
            assert "您被邀请参加" in summary and "张*" in summary and "支付拖欠的工资" in summary
            await respondent.press("同意参加调解")
            (welcome,) = await texts(respondent, 1)
            assert "【（2026）示调字第0001号｜被申请人】" in welcome
            assert "被申请人已加入调解" in (await texts(applicant, 1))[0]
            # The same invitation cannot be used twice (single use), not even by code.
            outsider = standin.user(7003)
            await outsider.send_text(code.group(1))
            assert "已经被使用" in (await texts(outsider, 1))[0]

            # A mediator links their Telegram account, sees the queue and takes the case.
            mediator = await make_mediator(runtime, standin, "med1", 7100)
            await mediator.send_command("/queue")
            (queue,) = await texts(mediator, 1)
            assert "（2026）示调字第0001号" in queue
            await mediator.press("接手 （2026）示调字第0001号")
            taken, _panel = await texts(mediator, 2)
            assert "已接手" in taken
            for party in (applicant, respondent):
                assert "调解员已接手" in (await texts(party, 1))[0]

            # Before the session opens, a party's message is kept for the mediator only.
            await applicant.send_text("请问什么时候开始？")
            assert "尚未开始" in (await texts(applicant, 1))[0]
            assert "请问什么时候开始" in (await texts(mediator, 1))[0]

            await mediator.press("▶ 开始调解会话")
            await texts(mediator, 1)
            for party in (applicant, respondent):
                assert "调解会话已开始" in (await texts(party, 1))[0]

            # Joint mediation: everyone hears everyone, by role label only.
            await applicant.send_text("我要求对方支付全部工资一万二千元")
            (relayed,) = await texts(respondent, 1)
            assert relayed.startswith("【（2026）示调字第0001号｜申请人】")
            assert "一万二千元" in (await texts(mediator, 1))[0]
            await respondent.send_text("我现在只能先付一部分")
            assert "被申请人】" in (await texts(applicant, 1))[0]
            await texts(mediator, 1)
            await applicant.send_photo(PNG)
            (photo,) = await respondent.wait_for_messages(1)
            assert photo.method == "copyMessage" and "申请人" in (photo.text or "")
            assert "forward_origin" not in photo.message
            await mediator.wait_for_messages(1)
            await mediator.send_text("双方先冷静，我们逐项谈。")
            for party in (applicant, respondent):
                assert "｜调解员】" in (await texts(party, 1))[0]

            # Back-to-back: each party talks with the mediator alone.
            await mediator.press("切换为背对背调解")
            await texts(mediator, 1)
            for party in (applicant, respondent):
                assert "背对背" in (await texts(party, 1))[0]
            await applicant.send_text("私下说：最低八千也可以")
            assert "只发给调解员" in (await texts(applicant, 1))[0]
            assert "最低八千" in (await texts(mediator, 1))[0]
            await mediator.send_text("如果是八千元，您能在月底前付清吗？")
            assert "发给谁" in (await texts(mediator, 1))[0]
            await mediator.press("对被申请人说")
            assert "已发给被申请人" in (await texts(mediator, 1))[0]
            assert "八千元" in (await texts(respondent, 1))[0]
            await respondent.send_text("可以，月底前付八千")
            assert "只发给调解员" in (await texts(respondent, 1))[0]
            assert "月底前付八千" in (await texts(mediator, 1))[0]
            await mediator.send_command("/note", "双方底线已重合，可以促成。")
            assert "内部备注已保存" in (await texts(mediator, 1))[0]

            # The mediator records the oral agreement; each party confirms it (issue 18).
            await mediator.press("结案")
            await texts(mediator, 1)
            await mediator.press("调解成功")
            await record_oral_agreement(mediator, "被申请人于本月底前一次性支付申请人工资八千元。")
            assert "第 1 版" in (await texts(mediator, 1))[0]
            asked = await wait_text(applicant, "一次性支付申请人工资八千元")
            await applicant.press("✅ 确认，这是我同意的内容", asked)
            await wait_text(applicant, "确认了口头协议")
            asked = await wait_text(respondent, "一次性支付申请人工资八千元")
            await respondent.press("✅ 确认，这是我同意的内容", asked)
            for party in (applicant, respondent):
                await wait_text(party, "核对稿")  # the 笔录 to check, last (tests/agreements)
                said = [m.text or "" for m in party.messages]
                assert any("各方当事人均已确认口头协议" in t for t in said)
            await wait_file(mediator, timeout=60)  # the mediator's copy, after the notices

            # Each party's record: their own words and what was addressed to them, nothing else.
            await applicant.send_command("/record")
            (a_record,) = await texts(applicant, 1)
            await respondent.send_command("/record")
            (r_record,) = await texts(respondent, 1)
            await mediator.send_command("/record")
            (m_record,) = await texts(mediator, 1)
            assert "最低八千" in a_record and "最低八千" not in r_record
            # The service's lines are the system's, even when a mediator's action caused them.
            assert "系统：调解会话已开始" in a_record and "调解员：调解会话已开始" not in a_record
            assert "系统：调解方式已切换" in a_record and "调解员：双方先冷静" in a_record
            assert "如果是八千元" in r_record and "如果是八千元" not in a_record
            assert "双方底线已重合" in m_record
            assert "双方底线已重合" not in a_record + r_record
            assert "最低八千" in m_record and "如果是八千元" in m_record

            # No Telegram name, username or phone number crossed between people.
            to_respondent = everything_sent_to(respondent)
            to_applicant = everything_sent_to(applicant)
            to_mediator = everything_sent_to(mediator)
            for secret in APPLICANT_SECRETS + MEDIATOR_SECRETS:
                assert secret not in to_respondent, secret
            for secret in RESPONDENT_SECRETS + MEDIATOR_SECRETS:
                assert secret not in to_applicant, secret
            for secret in APPLICANT_SECRETS + RESPONDENT_SECRETS:
                assert secret not in to_mediator, secret


async def test_decline_closes_the_case_and_lists_other_routes(tmp_path: Path) -> None:
    async with StandinBotAPI() as standin:
        async with running_service(standin, tmp_path / "var"):
            applicant = standin.user(8001, phone="+8613800008001")
            await walk_intake(applicant)
            code = re.search(
                r"邀请码：([A-Z0-9]{4}-[A-Z0-9]{4})", applicant.messages[-2].text or ""
            )
            assert code
            respondent = standin.user(8002, phone=RESPONDENT_PHONE)
            await respondent.send_command("/join", code.group(1))
            await texts(respondent, 1)
            await respondent.press("📱 分享我的手机号")
            await texts(respondent, 2)
            await respondent.press("不参加")
            assert "原因" in (await texts(respondent, 1))[0]
            await respondent.send_text("我不欠他钱")
            assert "不参加这次调解" in (await texts(respondent, 1))[0]
            (notice,) = await texts(applicant, 1)
            assert "不予受理" in notice and "我不欠他钱" in notice
            assert "劳动人事争议仲裁委员会" in notice  # the routes for a wage dispute
            await applicant.send_command("/cases")
            assert "不予受理" in (await texts(applicant, 1))[0]
