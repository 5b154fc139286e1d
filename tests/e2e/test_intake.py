"""A party goes through the whole intake in Telegram: real PTB client, stand-in Bot API, real DB."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from harness.steps import walk_steps
from mediation.validation import id_check_digit
from standin import StandinBotAPI
from standin.simulation import SimUser
from storage.models import Case, CaseParty, Evidence, InboxUpdate, OutboxMessage
from tests.dialogue import begin_neighbour_intake
from tests.e2e.harness import assert_quiet, running_service, texts

ID17 = "11010519491231002"
ID = ID17 + id_check_digit(ID17)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def walk_intake(user: SimUser, *, hints: bool = False) -> list[str]:
    """The happy path with a few mistakes on the way; returns the final confirmation.

    ``hints``: the service has statutes loaded, so the relevant articles follow the filing.
    """
    await user.send_command("/start")
    welcome, consent = await texts(user, 2)
    assert "线上调解室" in welcome and "自愿" in consent and "保存" in consent
    await user.press("同意，开始登记")
    assert "纠纷类型" in (await texts(user, 1))[0]
    await user.press("劳动争议/欠薪")
    assert "发生了什么" in (await texts(user, 1))[0]
    await user.send_sticker()
    sticker_reply, again = await texts(user, 2)
    assert "贴纸" in sticker_reply and "发生了什么" in again
    await user.send_text("老板拖欠我三个月工资共一万二千元，多次催要都说没钱。")
    assert "证据" in (await texts(user, 1))[0]
    await user.send_photo(PNG)
    assert "已收到证据（共 1 份）" in (await texts(user, 1))[0]
    await walk_steps(
        user,
        [
            ("press", "下一步", ["申请事项"]),
            ("text", "支付拖欠的工资一万二千元", ["金额"]),
            ("text", "很多钱", ["没看懂", "金额"]),
            ("text", "12000", ["哪里"]),
            ("text", "九龙坡区杨家坪街道", ["姓名"]),
        ],
    )
    await user.send_text("张三")
    ask_phone = (await user.wait_for_messages(1))[0]
    assert any(k.request_contact for k in ask_phone.keyboard)
    await walk_steps(
        user,
        [
            ("press", "📱 分享我的手机号", ["手机号已保存", "身份证"]),
            ("text", ID[:-1] + ("1" if ID[-1] != "1" else "2"), ["校验不通过", "身份证"]),
            ("text", ID, ["对方的姓名"]),
            ("text", "李四", ["对方的手机号"]),
        ],
    )
    await user.send_text("139 8765 4321")
    summary = (await texts(user, 1))[0]
    assert "九龙坡区杨家坪街道" in summary and "12,000.00 元" in summary
    assert ID not in summary  # masked even for its owner
    await user.press("✅ 确认提交")
    created, invite, qr = await user.wait_for_messages(3)
    assert "t.me/" in (invite.text or "") and qr.method == "sendPhoto" and qr.file
    if hints:
        (law,) = await user.wait_for_messages(1)
        assert "与您的纠纷相关的法律规定" in (law.text or "")
    return [created.text or ""]


async def test_whole_intake_through_the_bot_api(tmp_path: Path, database_url: str | None) -> None:
    async with StandinBotAPI() as standin:
        async with running_service(standin, tmp_path / "var", database_url) as runtime:
            user = standin.user(
                1001, first_name="真名不外传", username="secret_handle", phone="+8613812345678"
            )
            (created,) = await walk_intake(user)
            assert "登记成功" in created and "（2026）示调字第0001号" in created
            await user.send_command("/cases")
            (listing,) = await texts(user, 1)
            assert "（2026）示调字第0001号" in listing and "劳动争议/欠薪" in listing
            await user.send_command("/case", "1")
            (detail,) = await texts(user, 1)
            assert "申请人" in detail and "支付拖欠的工资" in detail
            await assert_quiet(user)

            async with runtime.db.read() as s:
                case = (await s.execute(select(Case))).scalar_one()
                parties = (
                    (await s.execute(select(CaseParty).order_by(CaseParty.id))).scalars().all()
                )
                evidence = (await s.execute(select(Evidence))).scalars().all()
                inbox_states = set((await s.execute(select(InboxUpdate.status))).scalars())
                outbox_states = set((await s.execute(select(OutboxMessage.status))).scalars())
            assert case.dispute_type == "labour_wages" and str(case.amount) == "12000.00"
            assert [p.side for p in parties] == ["applicant", "respondent"]
            assert parties[0].phone == "13812345678" and parties[0].id_number == ID
            assert parties[1].phone == "13987654321" and parties[1].status == "pending"
            assert [e.kind for e in evidence] == ["photo"]
            assert inbox_states == {"done"}
            assert runtime.telegram is not None
            await runtime.telegram.sender.drain()
            async with runtime.db.read() as s:
                outbox_states = set((await s.execute(select(OutboxMessage.status))).scalars())
            assert outbox_states == {"sent"}


async def test_state_is_in_the_database_across_a_restart(tmp_path: Path) -> None:
    async with StandinBotAPI() as standin:
        user = standin.user(2002, phone="+8613800000002")
        async with running_service(standin, tmp_path / "var"):
            await begin_neighbour_intake(user)
        async with running_service(standin, tmp_path / "var"):
            await user.send_text("楼上邻居每天深夜装修，噪音很大，沟通无果。")
            assert "证据" in (await texts(user, 1))[0]
            await user.send_command("/start")
            (question,) = await texts(user, 1)
            assert "尚未提交" in question
            await user.press("继续填写")
            resumed, ask = await texts(user, 2)
            assert "继续" in resumed and "证据" in ask
            await assert_quiet(user)


async def test_bad_input_of_every_kind_is_answered(tmp_path: Path) -> None:
    async with StandinBotAPI() as standin:
        async with running_service(standin, tmp_path / "var"):
            user = standin.user(3003, phone="+8613800000003")
            await user.send_text("你好")
            assert "/start" in (await texts(user, 1))[0]
            await user.send_command("/start")
            await texts(user, 2)
            await user.press("同意，开始登记")
            await texts(user, 1)
            await user.send_command("/frobnicate")
            unknown, again = await texts(user, 2)
            assert "/frobnicate" in unknown and "纠纷类型" in again
            await user.press("其他")
            await texts(user, 1)
            await user.send_text("长" * 2001)
            too_long, again = await texts(user, 2)
            assert "2001" in too_long and "发生了什么" in again
            await user.send_text("对方借了我的车一直不还，已经两个月了。")
            await texts(user, 1)
            await user.edit_last("改过的内容")
            edited, again = await texts(user, 2)
            assert "修改" in edited and "证据" in again
            await user.forward_text("别人的消息")
            forwarded, again = await texts(user, 2)
            assert "转发" in forwarded
            await user.send_voice()
            (voice,) = await texts(user, 1)
            assert (
                "已收到证据（共 1 份）" in voice
            )  # during the evidence step a voice note is evidence
            await user.send_in_group("/start", group_id=-100123)
            await user.send_location(29.5, 106.5)
            location, again = await texts(user, 2)
            assert "无法识别" in location
            await user.send_command("/cancel")
            assert "确定要取消" in (await texts(user, 1))[0]
            await user.press("继续填写")
            assert "证据" in (await texts(user, 1))[0]
            await user.send_command("/language")
            await texts(user, 1)
            await user.press("English")
            switched, again = await texts(user, 2)
            assert "English" in switched and "evidence" in again.lower()
            await assert_quiet(user)
            group = standin.bot.chats.get(-100123) if hasattr(standin, "bot") else None
            if group is not None:
                assert any("私聊" in (m.text or "") for m in group.sent)


async def test_no_telegram_identity_is_stored_or_echoed(tmp_path: Path) -> None:
    async with StandinBotAPI() as standin:
        async with running_service(standin, tmp_path / "var") as runtime:
            user = standin.user(
                4004, first_name="王秘密", username="hidden_user", phone="+8613800000004"
            )
            await walk_intake(user)
            async with runtime.db.read() as s:
                payloads = (await s.execute(select(OutboxMessage.payload))).scalars().all()
            for p in payloads:
                assert "王秘密" not in str(p) and "hidden_user" not in str(p)
