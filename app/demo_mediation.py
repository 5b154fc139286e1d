"""The demo's main scene (``app.demo``): a mediation in Telegram from the dispute filed to the
司法确认 application, played by simulated people through the stand-in Bot API — the intake, the
room, the written agreement drafted and revised, signed in the Mini App, by typed names and
sealed, and the case's documents checked by the parties. The police's scene follows
(``app.demo_police``)."""

from __future__ import annotations

import base64
import time
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from app.demo_stage import (
    CASE_NUMBER,
    DEMO_TOKEN,
    DemoResult,
    People,
    Script,
    handwriting_png,
    write,
)
from harness.steps import (
    answer_identities,
    id_number,
    invitation_token,
    link_staff,
    open_session,
    respondent_joins,
    take_case,
)

if TYPE_CHECKING:
    from standin.models import SentMessage
    from standin.simulation import SimUser


async def play(s: Script, result: DemoResult, index: int = 0) -> None:
    """One mediation, step by step; benchmark rounds (``index`` > 0) stop at the signed
    agreement."""
    today = s.runtime.clock.now().astimezone(s.runtime.settings.tz).date()
    due = (today + timedelta(days=40)).isoformat()
    first = (today + timedelta(days=10)).isoformat()
    people = await open_room(s, index)
    await _talk(s, people)
    await _draft_first_version(s, people.mediator, due)
    prompts = await _revise_to_second_version(s, people, first, due)
    await _sign_in_mini_app(s, people.applicant, prompts[people.applicant.user_id])
    await _sign_by_typed_name(s, people.respondent, prompts[people.respondent.user_id])
    signed = await _mediator_signs(s, people, result)
    if index:
        return
    write(result, "mediation_agreement", signed.file)
    async with s.http.get(result.verify_url) as page:
        ok = page.status == 200
    s.say(f"核验页面 / verify page: {result.verify_url} ({'OK' if ok else page.status})")
    await _apply_for_judicial_confirmation(s, people, result)
    await _collect_case_documents(s, people, result)


async def open_room(s: Script, index: int) -> People:
    """The applicant files, the respondent joins, a mediator links Telegram, takes the case and
    opens the session."""
    ids = 8101 + 10 * index, 8102 + 10 * index, 8200 + 10 * index
    applicant = s.standin.user(ids[0], first_name="建国", phone=f"+86138000{ids[0]:05d}")
    respondent = s.standin.user(ids[1], first_name="秀兰", phone=f"+86139000{ids[1]:05d}")
    number = await _file_dispute(s, applicant, f"139000{ids[1]:05d}")

    s.say("被申请人李秀兰通过邀请链接加入 / the respondent joins by the invitation link")
    await respondent_joins(respondent, invitation_token(applicant), applicant)

    s.say("调解员赵明登录并接手案件 / a mediator links Telegram and takes the case")
    mediator = await link_staff(
        s.runtime,
        s.standin,
        f"zhaoming{index}",
        ids[2],
        display_name="赵明",
        first_name="赵明",
        telegram_username=None,
        password="demo password 2026",
    )
    await take_case(mediator, number, (applicant, respondent))
    await open_session(mediator, (applicant,))
    return People(applicant, respondent, mediator)


async def _file_dispute(s: Script, applicant: SimUser, respondent_phone: str) -> str:
    """The applicant walks the intake in Telegram; returns the new case's number."""
    s.say("申请人王建国在 Telegram 中登记纠纷（民间借贷）/ the applicant registers a dispute")
    await applicant.send_command("/start")
    await s.wait(applicant, "自愿")
    await applicant.press("同意，开始登记")
    await s.wait(applicant, "纠纷类型")
    await applicant.press("民间借贷")
    await s.wait(applicant, "发生了什么")
    await applicant.send_text(
        "2025年3月10日李秀兰向我借款三万元，约定年底前归还，至今只还了五千元，多次催要未果。"
    )
    await s.wait(applicant, "证据")
    await applicant.press("下一步")
    for needle, answer in (
        ("申请事项", "请求对方归还剩余借款二万五千元"),
        ("金额", "25000"),
        ("哪里", "九龙坡区杨家坪街道"),
        ("姓名", "王建国"),
    ):
        await s.wait(applicant, needle)
        await applicant.send_text(answer)
    await s.wait(applicant, "手机号")
    await applicant.press("📱 分享我的手机号")
    await s.wait(applicant, "身份证")
    await applicant.press("跳过")
    await s.wait(applicant, "对方的姓名")
    await applicant.send_text("李秀兰")
    await s.wait(applicant, "对方的手机号")
    await applicant.send_text(respondent_phone)
    await s.wait(applicant, "请核对")
    await applicant.press("✅ 确认提交")
    created = await s.wait(applicant, "案件编号")
    await s.wait(applicant, "start=")
    s.say((created.text or "").splitlines()[0])
    number = CASE_NUMBER.search(created.text or "")
    if number is None:
        raise RuntimeError(f"no case number in {created.text!r}")
    return number.group(0)


async def _talk(s: Script, people: People) -> None:
    s.say("双方在调解室中陈述 / both sides speak in the room")
    await people.applicant.send_text("她借我三万元，只还了五千元。我要求把剩下的二万五千元还清。")
    await s.wait(people.respondent, "二万五千元")
    await people.respondent.send_text(
        "借款属实。我早餐店关了，一次还不上，愿意分期，每月还五千元。"
    )
    await s.wait(people.applicant, "分期")


async def _draft_first_version(s: Script, mediator: SimUser, due: str) -> None:
    """The mediator drafts the agreement from the outcome step to version 1."""
    s.say("调解员逐项制作书面协议书 / the mediator drafts the written agreement step by step")
    await mediator.press("结案")
    await s.wait(mediator, "结果")
    await mediator.press("📝 制作书面协议书")
    s.say("当事人身份信息写入协议书 / each party's identity for the court-facing papers")
    await answer_identities(
        mediator,
        {
            "王建国": {
                "id": id_number("19740312", 31),
                "occupation": "职员",
                "address": "示范市示范区和平街道幸福里小区3栋2单元501室",
            },
            "李秀兰": {
                "id": id_number("19790620", 32, male=False),
                "occupation": "个体工商户",
                "address": "示范市示范区和平街道光明路18号院6号楼302室",
            },
        },
    )
    await mediator.press("使用登记时的陈述")
    await s.wait(mediator, "争议事项")
    await mediator.press("使用申请事项")
    await s.wait(mediator, "各方当事人的责任")
    await mediator.send_text("被申请人未按约定期限归还借款，应当承担归还借款本金的责任。")
    await s.wait(mediator, "协议内容")
    await mediator.press("归还借款")
    await _fill_clause_blanks(mediator, due)
    await mediator.press("完成条款 ✓")
    for needle, answer in (
        ("履行方式", "银行转账"),
        ("履行地点", "申请人住所地"),
        ("履行期限", due),
    ):
        await s.wait(mediator, needle)
        await mediator.send_text(answer)
    await s.wait(mediator, "协议书草稿")
    await mediator.press("✅ 生成并发送")
    await s.wait(mediator, "第 1 版已生成")


async def _fill_clause_blanks(mediator: SimUser, due: str) -> None:
    """The clause template asks for its blanks in the order they appear in the clause."""
    blanks = {
        "债务人": "李秀兰",
        "债权人": "王建国",
        "履行期限": due,
        "金额（元）": "25000",
        "利息约定": "王建国同意免除逾期利息",
    }
    while True:
        (asked,) = await mediator.wait_for_messages(1, timeout=60)
        text = asked.text or ""
        if "已有 1 条" in text:
            return
        if "请输入「" in text:
            await mediator.send_text(blanks[text.rsplit("「", 1)[1].split("」")[0]])


async def _revise_to_second_version(
    s: Script, people: People, first: str, due: str
) -> dict[int, SentMessage]:
    """Version 1 reaches everyone, the respondent comments, the mediator makes version 2;
    returns each person's signing prompt for version 2."""
    applicant, respondent, mediator = people.applicant, people.respondent, people.mediator
    for person in (applicant, respondent, mediator):
        await s.file(person)
    s.say("第 1 版 PDF 预览已发给三方 / version 1's PDF preview reached everyone")

    s.say("被申请人对第 1 版提出意见，调解员修改为第 2 版 / a comment, then version 2")
    await s.wait(respondent, "签署即表示")
    await respondent.press("💬 提出意见")
    await s.wait(respondent, "意见")
    await respondent.send_text("希望写明分期：先付五千元，其余按月归还。")
    comment = await s.wait(mediator, "分期")
    await mediator.press("✏️ 修改协议", comment)
    await s.wait(mediator, "协议书草稿")
    await mediator.press("改条款")
    await s.wait(mediator, "已有 1 条")
    await mediator.send_text(
        f"李秀兰于{_cn(first)}前先支付五千元，余款二万元每月支付五千元，于{_cn(due)}前全部付清。"
    )
    await s.wait(mediator, "已添加第 2 条")
    await mediator.press("完成条款 ✓")
    await s.wait(mediator, "协议书草稿")
    await mediator.press("✅ 生成并发送")
    await s.wait(mediator, "第 2 版已生成")
    prompts = {}
    for person in (applicant, respondent, mediator):
        await s.file(person)
        prompts[person.user_id] = await s.wait(person, "第 2 版")
    return prompts


async def _sign_in_mini_app(s: Script, applicant: SimUser, prompt: SentMessage) -> None:
    """The applicant signs by hand on the Mini App page, its ``initData`` signed with the demo
    bot's token as Telegram would."""
    from features.agreements.initdata import sign_init_data

    s.say("申请人在 Mini App 中手写签名 / the applicant signs on the Mini App page")
    url = next(t for _x, t in prompt.buttons if "/webapp/sign" in t)
    query = parse_qs(urlsplit(url).query)
    init = sign_init_data(DEMO_TOKEN, {"id": applicant.user_id, "first_name": "建国"})
    async with s.http.get(url) as page:
        await page.read()
    png = "data:image/png;base64," + base64.b64encode(handwriting_png(1)).decode()
    since = time.perf_counter()
    async with s.http.post(
        f"{s.base_url}/webapp/sign",
        json={"doc": query["d"][0], "sha": query["v"][0], "png": png},
        headers={"X-Telegram-Init-Data": init},
    ) as response:
        answer = await response.json()
    s.took("webapp_sign_http", since)
    if not answer.get("ok"):
        raise RuntimeError(f"Mini App signature refused: {answer}")
    await s.wait(applicant, "您已签署")


async def _sign_by_typed_name(s: Script, respondent: SimUser, prompt: SentMessage) -> None:
    s.say("被申请人输入全名签署 / the respondent signs by typing her full name")
    await respondent.press("⌨️ 输入全名签署", prompt)
    await s.wait(respondent, "全名")
    since = time.perf_counter()
    await respondent.send_text("李秀兰")
    await s.wait(respondent, "您已签署")
    s.took("typed_sign_chat", since)


async def _mediator_signs(s: Script, people: People, result: DemoResult) -> SentMessage:
    """The mediator signs last; the sealed agreement reaches the applicant (returned) with the
    verify page's address (kept in ``result``)."""
    s.say("调解员签署，调解委员会加盖印章 / the mediator signs; the committee's seal is applied")
    mediator = people.mediator
    turn = await s.wait(mediator, "请您签署")
    await mediator.press("⌨️ 输入全名签署", turn)
    await s.wait(mediator, "全名")
    since = time.perf_counter()
    await mediator.send_text("赵明")
    signed = await s.file(people.applicant)
    s.took("mediator_sign_to_signed_pdf", since)
    notice = await s.wait(people.applicant, "已生效")
    result.verify_url = next(w for w in (notice.text or "").split() if "/verify/" in w)
    return signed


async def _apply_for_judicial_confirmation(s: Script, people: People, result: DemoResult) -> None:
    s.say("双方同意申请司法确认 / both parties apply for judicial confirmation")
    for person in (people.applicant, people.respondent):
        await s.wait(person, "司法确认")
        await person.press("同意申请司法确认")
        await s.wait(person, "送达地址")
        await person.press("使用协议书上的住址")
        court = await s.wait(person, "受理法院")
        await person.press(court.button_texts[0])
    application = await s.file(people.applicant)
    write(result, "judicial_confirmation_application", application.file)


async def _collect_case_documents(s: Script, people: People, result: DemoResult) -> None:
    """/documents: the application form for the file, and the 笔录, which each party checks
    before the version that says "经核对无误" is issued (issue 18)."""
    s.say("调解员生成申请书和调解笔录 / the mediator produces the application form and the record")
    mediator = people.mediator
    await mediator.send_command("/documents")
    draft = False
    while "mediation_application" not in result.files or not draft:
        name = (form := await s.file(mediator)).filename or ""
        if name.startswith("mediation-application"):
            write(result, "mediation_application", form.file)
        draft = draft or name.startswith("mediation-record")
    s.say("双方核对调解笔录 / both parties check the record")
    for person in (people.applicant, people.respondent):
        ask = await s.wait(person, "核对稿")
        await person.press("✅ 核对无误", ask)
        await s.wait(person, "核对")
    while "mediation_record" not in result.files:
        name = (form := await s.file(mediator)).filename or ""
        if name.startswith("mediation-record"):
            write(result, "mediation_record", form.file)


def _cn(iso: str) -> str:
    year, month, day = (int(x) for x in iso.split("-"))
    return f"{year}年{month}月{day}日"
