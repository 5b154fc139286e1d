"""What people do in Telegram, as scripted steps through the stand-in Bot API: shared by the
tests, the benchmarks and the demo, so that "a party files a case, the other joins, a mediator
links Telegram and takes the case" is written once.

Waits are by content (:func:`wait_text` skips other messages) or by count (:func:`texts`);
a step ends when the last message it causes has arrived, so the next step starts clean.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Mapping, Sequence

from app.runtime import Runtime
from mediation.validation import id_check_digit
from standin import StandinBotAPI
from standin.models import SentMessage
from standin.simulation import SimUser

INVITATION = re.compile(r"start=(inv_[A-Za-z0-9_-]+)")

#: A neighbour dispute filed by the shortest path, as (action, argument, the markers of the
#: replies it gets, in order); action is "command", "press" or "text". The throughput and load
#: benchmarks walk it, counting replies.
NEIGHBOUR_INTAKE: list[tuple[str, str, list[str]]] = [
    ("command", "/start", ["线上调解室", "自愿"]),
    ("press", "同意，开始登记", ["纠纷类型"]),
    ("press", "邻里纠纷", ["发生了什么"]),
    ("text", "楼上邻居每天深夜装修，噪音很大，多次沟通无果。", ["证据"]),
    ("press", "下一步", ["申请事项"]),
    ("text", "停止夜间施工并赔礼道歉", ["金额"]),
    ("text", "3000", ["哪里"]),
    ("text", "九龙坡区杨家坪街道", ["姓名"]),
    ("text", "张三", ["手机号"]),
    ("text", "13800000000", ["手机号已保存", "身份证"]),
    ("press", "跳过", ["对方的姓名"]),
    ("text", "李四", ["对方的手机号"]),
    ("press", "跳过", ["请核对"]),
    ("press", "✅ 确认提交", ["登记成功", "邀请", ""]),
]


#: A grid worker registers the 悦来 wage dispute from the phone (features.street, ``/report``):
#: (action, argument, a marker of the reply it gets). Parties as far as known: the workers'
#: representative by name and phone, another worker and the builder by no name at all.
STREET_REPORT: list[tuple[str, str, str]] = [
    ("command", "/report", "纠纷类型"),
    ("press", "劳动争议/欠薪", "发生在哪里"),
    ("text", "渝北区悦来街道 某建筑工地大门", "发生了什么"),
    ("text", "约十名工人聚集在工地大门，反映被拖欠三个月工资，情绪激动。", "涉及哪些人"),
    ("text", "约十名工人、项目经理、施工单位", "警情号"),
    ("press", "跳过", "哪一方"),
    ("press", "申请方", "姓名"),
    ("text", "张 秀 英", "手机号"),
    ("text", "138 0000 1111", "哪一方"),
    ("press", "申请方", "姓名"),
    ("text", "不知道", "手机号"),
    ("text", "不知道", "哪一方"),
    ("press", "被申请方", "姓名"),
    ("text", "不知道", "手机号"),
    ("press", "跳过", "哪一方"),
    ("press", "当事人登记完毕", "现场照片"),
    ("photo", "", "已保存为证据"),
    ("voice", "", "语音已作为证据保存"),
    ("press", "下一步", "请核对登记内容"),
    ("press", "✅ 确认登记", "登记成功"),
]


#: The blanks of the clause template 支付欠付工资 and what the mediator types in each, in the
#: order they are asked (张三's unpaid wages from 李四).
WAGE_CLAUSE: tuple[tuple[str, str], ...] = (
    ("用人单位", "李四"),
    ("劳动者", "张三"),
    ("期间", "2026年8月至10月"),
    ("金额", "一万二千"),
    ("履行期限", "2026年12月31日"),
    ("支付方式", "银行转账"),
)


async def report_in_street(reporter: SimUser) -> list[str]:
    """Walk :data:`STREET_REPORT`; returns each step's awaited reply."""
    got = []
    for action, argument, marker in STREET_REPORT:
        await take_step(reporter, action, argument)
        got.append((await wait_text(reporter, marker)).text or "")
    return got


async def texts(user: SimUser, n: int, timeout: float = 10.0) -> list[str]:  # noqa: ASYNC109
    """The texts of the next ``n`` messages ``user`` receives."""
    return [m.text or "" for m in await user.wait_for_messages(n, timeout=timeout)]


async def wait_text(user: SimUser, needle: str, timeout: float = 20.0) -> SentMessage:  # noqa: ASYNC109
    """The next message (skipping others) whose text contains ``needle``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    skipped: list[str] = []
    while True:
        left = deadline - loop.time()
        if left <= 0:
            raise AssertionError(f"no message with {needle!r}; skipped: {skipped}")
        try:
            (message,) = await user.wait_for_messages(1, timeout=left)
        except AssertionError:
            raise AssertionError(f"no message with {needle!r}; skipped: {skipped}") from None
        if needle in (message.text or ""):
            return message
        skipped.append((message.text or message.method)[:80])


async def take_step(user: SimUser, action: str, argument: str) -> None:
    """One step of a script as the person takes it: a ``command`` sent, a button pressed
    (``press``), a ``photo`` or a ``voice`` note sent (the stand-in's own), or anything else
    typed as text."""
    if action == "command":
        await user.send_command(argument)
    elif action == "press":
        await user.press(argument)
    elif action == "photo":
        await user.send_photo()
    elif action == "voice":
        await user.send_voice()
    else:
        await user.send_text(argument)


async def walk_steps(user: SimUser, steps: Sequence[tuple[str, str, Sequence[str]]]) -> None:
    """Each ``(action, argument, markers)`` step taken in turn (:func:`take_step`), its replies
    read as they come and each checked to contain its marker, in order."""
    for action, argument, markers in steps:
        await take_step(user, action, argument)
        got = await texts(user, len(markers))
        for marker, text in zip(markers, got, strict=True):
            assert marker in text, (argument, marker, text)


async def answer_prompts(user: SimUser, answers: Sequence[tuple[str, str]]) -> None:
    """Each ``(prompt, answer)``: the prompt waited for (:func:`wait_text`, passing over other
    messages), then the answer typed."""
    for prompt, answer in answers:
        await wait_text(user, prompt)
        await user.send_text(answer)


async def choose_outcome(mediator: SimUser, outcome: str) -> None:
    """The mediator ends the session (结案) and presses ``outcome`` among the results offered
    (调解成功, 📝 制作书面协议书, 调解不成 …)."""
    await mediator.press("结案")
    await wait_text(mediator, "结果")
    await mediator.press(outcome)


async def sign_by_typing(person: SimUser, name: str, timeout: float = 20.0) -> None:  # noqa: ASYNC109
    """Version 1 signed by typing the full name, as someone without the Mini App does: the
    signing prompt (签署即表示…) within ``timeout``, 输入全名签署, the name, the confirmation."""
    prompt = await wait_text(person, "签署即表示", timeout=timeout)
    await person.press("⌨️ 输入全名签署", prompt)
    await wait_text(person, "全名")
    await person.send_text(name)
    await wait_text(person, "您已签署协议书第 1 版")


async def record_oral_agreement(mediator: SimUser, terms: str) -> None:
    """After 调解成功 in 张三 v 李四: the parties' addresses the 笔录 needs, then the oral
    agreement's ``terms`` (one a line) typed for the record."""
    addresses = [
        ("申请人（张三）的住址", "重庆市九龙坡区杨家坪街道西郊路1号"),
        ("被申请人（李四）的住址", "重庆市九龙坡区谢家湾正街8号"),
    ]
    await answer_prompts(mediator, [*addresses, ("每行一条", terms)])


def id_number(born: str = "19850315", seq: int = 1, *, male: bool = True) -> str:
    """A valid 18-character 居民身份证号码 (Chongqing, Jiulongpo) for a test person."""
    first = f"500107{born}{seq % 100:02d}{(seq % 4) * 2 + (1 if male else 2)}"
    return first + id_check_digit(first)


#: What the draft asks of each party before the terms (民诉法解释 第三百五十四条: identity,
#: domicile, contacts), by the words of the question.
IDENTITY_FIELDS = {
    "公民身份号码": "id",
    "性别": "gender",
    "民族": "ethnicity",
    "职业": "occupation",
    "住址": "address",
    "联系电话": "phone",
}
_ASKED = re.compile(
    r"（([^（）]+)）(?:的|尚无身份证号：请输入)(公民身份号码|性别|民族|职业|住址|联系电话)"
)


async def answer_identities(
    mediator: SimUser,
    answers: Mapping[str, Mapping[str, str]] | None = None,
    *,
    until: str = "纠纷的主要事实：",
    timeout: float = 20.0,  # noqa: ASYNC109
) -> list[str]:
    """Answer the draft's identity questions, party by party, until ``until`` is asked.

    ``answers`` maps a party's name to its fields (``id``, ``ethnicity``, ``occupation``,
    ``address``, ``phone``); a field not given gets a plausible value. Returns the questions, in order."""
    asked: list[str] = []
    seq = 0
    while True:
        message = await wait_text(mediator, "", timeout)
        text = message.text or ""
        if until in text:
            return asked
        found = _ASKED.search(text)
        if found is None:
            continue
        name, field = found[1], IDENTITY_FIELDS[found[2]]
        asked.append(f"{name}:{field}")
        seq += 1
        given = (answers or {}).get(name, {})
        default = {
            "id": id_number(seq=seq),
            "gender": "男",
            "ethnicity": "汉族",
            "occupation": "职员",
            "address": f"重庆市九龙坡区杨家坪街道西郊路{seq}号",
            "phone": f"139{seq:08d}",
        }[field]
        await mediator.send_text(given.get(field, default))


async def wait_file(user: SimUser, timeout: float = 30.0) -> SentMessage:  # noqa: ASYNC109
    """The next document ``user`` receives (skipping other messages)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        (message,) = await user.wait_for_messages(1, timeout=max(0.1, deadline - loop.time()))
        if message.method == "sendDocument":
            return message


def invitation_token(applicant: SimUser) -> str:
    """The deep-link token of the newest invitation the applicant was sent to forward."""
    for message in reversed(applicant.messages):
        found = INVITATION.search(message.text or "")
        if found:
            return found.group(1)
    raise AssertionError("no invitation link was sent")


async def invite_applicant(mediator: SimUser, name: str, phone: str) -> str:
    """The mediator invites another applicant by name and phone; returns the link's token."""
    await mediator.press("邀请当事人")
    await wait_text(mediator, "哪一方")
    await mediator.press("申请人")
    await answer_prompts(mediator, [("姓名", name), ("手机号", phone)])
    invited = await wait_text(mediator, "邀请码")
    token = INVITATION.search(invited.text or "")
    assert token, invited.text
    return token.group(1)


#: The other side's number ``tests.e2e.test_intake.walk_intake`` types: its invitation is bound
#: to it, so the invited person must be this phone's owner (create them with this ``phone``).
RESPONDENT_PHONE = "+8613987654321"


async def join_invited(user: SimUser, token: str) -> str:
    """``/start <token>`` as the invited person: the invitation is bound to the number the
    applicant gave, so they share their own contact first; returns the invitation's summary."""
    await user.send_command("/start", token)
    (ask,) = await texts(user, 1)
    if "分享您的手机号" not in ask:
        raise AssertionError(f"the invitation did not ask for the phone: {ask}")
    await user.press("📱 分享我的手机号")
    return (await texts(user, 2))[-1]


async def respondent_joins(respondent: SimUser, token: str, applicant: SimUser) -> None:
    """The respondent opens the invitation link, proves the invited phone and agrees; the
    applicant is told."""
    await join_invited(respondent, token)
    await respondent.press("同意参加调解")
    await wait_text(respondent, "被申请人】")
    await wait_text(applicant, "被申请人已加入调解")


async def link_staff(
    runtime: Runtime,
    standin: StandinBotAPI,
    username: str,
    telegram_id: int,
    *,
    role: str = "mediator",
    display_name: str = "王调解",
    first_name: str = "调解员真名",
    telegram_username: str | None = "mediator_handle",
    password: str = "",
    unit_code: str | None = None,
) -> SimUser:
    """A staff account created as the console would (in ``unit_code``, else the default unit;
    :func:`harness.accounts.add_account`), linked to a simulated Telegram user by the one-time
    ``/link`` code."""
    from harness.accounts import add_account
    from services.mediators import create_link_code

    await add_account(runtime, username, role, unit_code or "", display_name, password)
    code = await create_link_code(runtime.db, username, runtime.clock.now())
    if code is None:
        raise AssertionError(f"no link code for {username!r}")
    user = standin.user(telegram_id, first_name=first_name, username=telegram_username)
    await user.send_command("/link", code)
    linked = await texts(user, 1)
    if "已关联" not in linked[0]:
        raise AssertionError(f"/link not confirmed: {linked}")
    return user


async def take_case(mediator: SimUser, number: str, parties: Sequence[SimUser] = ()) -> None:
    """The mediator opens the queue and takes case ``number``; the parties are told."""
    await mediator.send_command("/queue")
    await wait_text(mediator, number)
    await mediator.press(f"接手 {number}")
    await wait_text(mediator, "已接手")
    await wait_text(mediator, "调解方式")
    for party in parties:
        await wait_text(party, "调解员已接手")


async def open_session(mediator: SimUser, parties: Sequence[SimUser] = ()) -> None:
    """The mediator starts the joint session; the parties are told."""
    await mediator.press("▶ 开始调解会话")
    await wait_text(mediator, "调解方式")  # the room's panel, now with the session open
    for party in parties:
        await wait_text(party, "调解会话已开始")


async def mediator_takes_case(
    runtime: Runtime,
    standin: StandinBotAPI,
    applicant: SimUser,
    respondent: SimUser,
    *,
    number: str,
    mediator: tuple[str, int],
) -> SimUser:
    """After the applicant's filing: the respondent joins by the invitation, a mediator
    (account name, Telegram id) links Telegram and takes case ``number``, and both parties are
    told. Returns the mediator's Telegram user."""
    await respondent_joins(respondent, invitation_token(applicant), applicant)
    username, telegram_id = mediator
    linked = await link_staff(runtime, standin, username, telegram_id)
    await take_case(linked, number, (applicant, respondent))
    return linked


async def first_term(mediator: SimUser, responsibility: str, term: str) -> None:
    """The written agreement's draft begins from the registration (the facts and the claims
    as filed); the mediator types the parties' responsibility and the first term."""
    await draft_from_registration(mediator, responsibility)
    await answer_prompts(mediator, [("协议内容", term)])
    await wait_text(mediator, "已添加第 1 条")


async def finish_terms(mediator: SimUser, deadline: str = "2026-12-31") -> None:
    """The mediator ends the terms and says how, where and by when they are performed (by bank
    transfer, at the applicant's home); the draft's next question or review follows."""
    await mediator.press("完成条款 ✓")
    await answer_prompts(
        mediator, [("履行方式", "银行转账"), ("履行地点", "申请人住所地"), ("履行期限", deadline)]
    )


async def link_unit_staff(
    runtime: Runtime, standin: StandinBotAPI, people: Iterable[tuple[str, int, str, str]]
) -> dict[str, SimUser]:
    """Staff of the street's units, (username, Telegram id, role, unit) each, linked to Telegram
    under their usernames as display names and with no Telegram username (a post's member is
    known by the account, not the handle); keyed by username."""
    linked = {}
    for username, telegram_id, role, unit in people:
        linked[username] = await link_staff(
            runtime,
            standin,
            username,
            telegram_id,
            role=role,
            unit_code=unit,
            display_name=username,
            telegram_username=None,
        )
    return linked


async def draft_from_registration(mediator: SimUser, responsibility: str) -> None:
    """The agreement draft's facts and matters in dispute taken from the registration (as
    filed), then the parties' ``responsibility`` typed; the draft's next question follows."""
    await mediator.press("使用登记时的陈述")
    await wait_text(mediator, "争议事项")
    await mediator.press("使用申请事项")
    await wait_text(mediator, "各方当事人的责任")
    await mediator.send_text(responsibility)
