"""A 装修款 dispute on Telegram, from the people's side (issue 19).

王芳 files against the contractor who renovated her bathroom; she types his name wrong. The
contractor has only been told the code by phone: he opens the bot, which shows the consent
screen, and types the code there. He proves the number she gave, agrees, and corrects his name.
A mediator takes the case and drafts the written agreement: it names him as he confirmed.
They settle orally instead; afterwards 王芳's message about the payment reaches the mediator
(not the new-user greeting), the mediator answers her, and her menu shows the agreement.
Everything is read from the texts the bot sends.
"""

from __future__ import annotations

import re
from pathlib import Path

from harness.steps import (
    RESPONDENT_PHONE,
    answer_identities,
    choose_outcome,
    finish_terms,
    first_term,
    link_staff,
    open_session,
    take_case,
    texts,
    wait_text,
    walk_steps,
)
from services.invariants import check
from standin import StandinBotAPI
from standin.simulation import SimUser
from tests.e2e.harness import running_service
from tests.parties.test_joining import file_case

NUMBER = "（2026）示调字第0001号"
FACTS = (
    "去年十月请李师傅装修卫生间，约定工程款四万八千元，已付三万。完工后卫生间漏水，"
    "楼下邻居的天花板也被泡了，对方不肯返修，还要求付清尾款一万八千元。"
)
#: The applicant's intake: (action, argument, the markers of the replies, in order).
RENOVATION_INTAKE: list[tuple[str, str, list[str]]] = [
    ("command", "/start", ["线上调解室", "自愿"]),
    ("press", "同意，开始登记", ["纠纷类型"]),
    ("press", "其他", ["发生了什么"]),
    ("text", FACTS, ["证据"]),
    ("press", "下一步", ["申请事项"]),
    ("text", "对方返修卫生间漏水，返修合格后我再付尾款", ["金额"]),
    ("text", "18000", ["哪里"]),
    ("text", "渝北区龙溪街道", ["姓名"]),
    ("text", "王芳", ["手机号"]),
    ("press", "📱 分享我的手机号", ["手机号已保存", "身份证"]),
    ("press", "跳过", ["对方的姓名"]),
    ("text", "李志刚", ["对方的手机号"]),  # his name is 李志强
    ("text", RESPONDENT_PHONE.removeprefix("+86"), ["请核对"]),
    ("press", "✅ 确认提交", ["登记成功", "邀请", ""]),
]


async def file_renovation_case(applicant: SimUser) -> str:
    """The intake as 王芳 does it; returns the invitation she is asked to pass on."""
    await walk_steps(applicant, RENOVATION_INTAKE)
    return next(m.text or "" for m in applicant.messages if "邀请码" in (m.text or ""))


async def contractor_joins_at_consent(contractor: SimUser, code: str) -> None:
    """He opens the bot (consent screen), types the code as heard, proves his number, agrees
    and corrects his name."""
    await contractor.send_command("/start")
    _welcome, consent = await texts(contractor, 2)
    assert "自愿" in consent and "同意，开始登记" in contractor.messages[-1].button_texts
    await contractor.send_text(code.lower().replace("-", " "))
    (ask_phone,) = await texts(contractor, 1)
    assert "分享您的手机号" in ask_phone
    await contractor.press("📱 分享我的手机号")
    _saved, summary = await texts(contractor, 2)
    assert "您被邀请参加一次人民调解" in summary and "王*" in summary
    await contractor.press("同意参加调解")
    (welcome,) = await texts(contractor, 1)
    assert "【（2026）示调字第0001号｜被申请人】" in welcome
    assert "申请人填写您的姓名为「李志刚」，是否正确？" in welcome
    await contractor.press("✏️ 修改")
    await wait_text(contractor, "请输入您的真实姓名")
    await contractor.send_text("18000")  # not a name: said, and asked again
    error, again = await texts(contractor, 2)
    assert "请输入您的真实姓名" in again and error != again
    await contractor.send_text("李志强")
    (done,) = await texts(contractor, 1)
    assert "已更正：调解协议将写明您的姓名「李志强」" in done


async def draft_shows_confirmed_names(mediator: SimUser) -> None:
    """The mediator drafts the written agreement up to its review: the parties are named as
    each confirmed (王芳 in her intake, 李志强 on joining); then the draft is put aside."""
    await choose_outcome(mediator, "📝 制作书面协议书")
    asked = await answer_identities(mediator)
    assert any(a.startswith("李志强:") for a in asked), asked
    assert not any("李志刚" in a for a in asked), asked
    await first_term(
        mediator,
        "被申请人施工质量不合格，应当返修；申请人应在返修合格后付清尾款。",
        "被申请人于2026年12月20日前返修卫生间防水，经申请人验收合格。",
    )
    await finish_terms(mediator)
    review = (await wait_text(mediator, "协议书草稿")).text or ""
    assert "被申请人：李志强" in review and "李志刚" not in review, review
    assert "申请人：王芳" in review
    await mediator.press("取消草稿")
    await wait_text(mediator, "已取消协议书草稿")


async def agree_orally(mediator: SimUser, parties: tuple[SimUser, SimUser]) -> None:
    await choose_outcome(mediator, "调解成功")
    while True:  # the addresses the draft did not keep are asked again
        text = (await wait_text(mediator, "")).text or ""
        if "每行一条" in text:
            break
        if "住址" in text:
            await mediator.send_text("重庆市渝北区龙溪街道金龙路1号")
    await mediator.send_text(
        "被申请人于2026年12月20日前返修卫生间防水。\n申请人于返修验收合格后三日内支付尾款一万八千元。"
    )
    for party in parties:
        asked = await wait_text(party, "返修卫生间防水")
        await party.press("✅ 确认，这是我同意的内容", asked)
    for party in parties:
        await wait_text(party, "各方当事人均已确认口头协议")


async def test_renovation_dispute_on_telegram(tmp_path: Path, database_url: str | None) -> None:
    async with StandinBotAPI() as standin:
        async with running_service(standin, tmp_path / "var", database_url) as runtime:
            applicant = standin.user(7501, first_name="芳", phone="+8613800007501")
            invitation = await file_renovation_case(applicant)
            assert "直接发送邀请码" in invitation
            code = re.search(r"邀请码：([A-Z0-9]{4}-[A-Z0-9]{4})", invitation)
            assert code

            contractor = standin.user(7502, first_name="志强", phone=RESPONDENT_PHONE)
            await contractor_joins_at_consent(contractor, code.group(1))
            await wait_text(applicant, "被申请人已加入调解")

            mediator = await link_staff(runtime, standin, "med_reno", 7600)
            await take_case(mediator, NUMBER, (applicant, contractor))
            await open_session(mediator, (applicant, contractor))
            await contractor.send_text("防水是按标准做的，漏水是楼上管道的问题。")
            await wait_text(applicant, "楼上管道")
            await applicant.send_text("物业已经来看过，是卫生间防水层没做好。")
            await wait_text(contractor, "防水层")
            await draft_shows_confirmed_names(mediator)
            await agree_orally(mediator, (applicant, contractor))

            # After the agreement: her words go to the mediator, not to a new intake.
            await applicant.send_text("李师傅今天来返修了，我下周验收。")
            told = await wait_text(applicant, "已转给本案")
            assert "您好！发送 /start" not in (told.text or "")
            assert {"📄 查看协议", "💰 履行情况", "💬 联系调解员", "📝 登记新的纠纷"} <= set(
                told.button_texts
            )
            forwarded = await wait_text(mediator, "下周验收")
            assert "【（2026）示调字第0001号｜申请人】" in (forwarded.text or "")
            assert "回复申请人" in forwarded.button_texts
            await mediator.press("回复申请人", forwarded)
            await wait_text(mediator, "请输入给申请人的回复")
            await mediator.send_text("好的，验收时请拍照留存。")
            await wait_text(mediator, "已发给申请人")
            answer = await wait_text(applicant, "验收时请拍照")
            assert "｜调解员】" in (answer.text or "")
            await applicant.press("📄 查看协议", told)
            shown = await wait_text(applicant, "口头协议（已生效）")
            assert "返修卫生间防水" in (shown.text or "")
            await applicant.press("💰 履行情况", told)
            await wait_text(applicant, "还没有付款安排")  # the oral terms set no instalments
            await applicant.press("💬 联系调解员", told)
            await wait_text(applicant, "请直接发送您要对本案")
            # The contractor never saw any of it.
            assert not any("下周验收" in (m.text or "") for m in contractor.messages)

            # With his case agreed, a code he is given for another dispute still joins it
            # (it is not taken as a message for the old case's mediator).
            first, second, _ = await file_case(standin.user(7503, phone="+8613800007503"))
            await contractor.send_text(f"{first}{second}")
            summary = (await wait_text(contractor, "您被邀请参加一次人民调解")).text or ""
            assert "（2026）示调字第0002号" in summary

            # main.py check: every message after the agreement reached whom it was for, once.
            report = await check(runtime.db, now=runtime.clock.now())
            assert report.ok, report.findings
