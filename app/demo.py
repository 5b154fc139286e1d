"""``main.py demo [--out DIR]``: a whole mediation, played by simulated people, no token needed.

The real service (conversation engine, database, outbox sender, render pool, seal, web server)
runs against the stand-in Bot API shipped in ``standin``; simulated Telegram users register
a dispute, join, talk, and a mediator drafts, revises and signs the agreement; one party signs
on the Mini App page over HTTP (the demo signs its ``initData`` with the demo bot's token, as
Telegram would), the other by typing the name; both apply for 司法确认. The PDFs the people
received are written to the output folder: the 人民调解申请书, the 调解笔录, the signed and
sealed 人民调解协议书 and the 司法确认申请书.

Everything else (the SQLite database, the generated seal key) lives in a temporary directory
that is removed at the end, so the demo never touches a configured database.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import math
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from harness.steps import (
    answer_identities,
    id_number,
    invitation_token,
    link_staff,
    open_session,
    respondent_joins,
    take_case,
    wait_file,
    wait_text,
)

if TYPE_CHECKING:
    from aiohttp import ClientSession

    from core.config import Settings
    from documents.pool import RenderPool
    from documents.seal import Sealer
    from features.console.context import StaffContext
    from features.console.procedures import ProcedureActions
    from harness import RunningService
    from standin import StandinBotAPI
    from standin.models import SentMessage
    from standin.simulation import SimUser
    from storage.document_models import Document

DEMO_TOKEN = "123456:DEMO-token_for-the-standin"
#: The demo's settings over the harness's: its own bot token, the statutes loaded as in
#: production, and only warnings from the service's log (the narrative is the output).
DEMO_ENV = {"TELEGRAM_BOT_TOKEN": DEMO_TOKEN, "KB_ENABLED": "1", "LOG_LEVEL": "WARNING"}
CASE_NUMBER = re.compile(r"（\d{4}）示调字第\d+号")
FILES = {
    "mediation_application": "1-mediation_application-申请书.pdf",
    "mediation_record": "2-mediation_record-笔录.pdf",
    "mediation_agreement": "3-mediation_agreement_signed-协议书.pdf",
    "judicial_confirmation_application": "4-judicial_confirmation_application-司法确认申请书.pdf",
    "police_agreement": "5-police_agreement_signed-治安调解协议书.pdf",
}
#: The demo's units: the committee (default, as in config/units.toml) hosted by a 派出所, whose
#: officers run a 治安调解 on the committee's cases and issue its 协议书 in the station's name.
DEMO_UNITS = """
[[unit]]
code = "default"
name = "示范人民调解委员会"
level = "committee"
parent = "station"
address = "线上调解室"
case_prefix = "示调"
court = "示范区人民法院"
default = true

[[unit]]
code = "station"
name = "示范市公安局示范区分局示范派出所"
level = "station"
kind = "police"
committee = "default"
address = "示范区和平路1号"
case_prefix = "示警调"
court = "示范区人民法院"
"""


def add_demo_command(subparsers: Any) -> None:
    """Register ``demo`` on ``main.py``'s sub-command parser."""
    p = subparsers.add_parser(
        "demo",
        help="play a whole mediation with simulated people (no Telegram token) and write the PDFs",
    )
    p.add_argument(
        "--out", default="demo-output", help="folder for the PDFs (default ./demo-output)"
    )
    p.add_argument("--keep-data", action="store_true", help="keep the temporary data directory")
    p.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    import logging

    logging.getLogger().setLevel(logging.WARNING)  # the narrative, not the service's log
    result = asyncio.run(run_demo(Path(args.out), keep_data=args.keep_data))
    print(f"\n完成 / done in {result.seconds:.1f} s: {len(result.files)} PDF files in {result.out}")
    return 0


@dataclass
class DemoResult:
    out: Path
    files: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0
    verify_url: str = ""


def handwriting_png(seed: int, width: int = 480, height: int = 180) -> bytes:
    """A pen-like scribble standing in for a finger signature on a phone canvas."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (width, height), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    points = []
    for i in range(220):
        t = i / 219
        x = 30 + t * (width - 60)
        y = height / 2 + 38 * math.sin(t * 11 + seed) * math.exp(-1.2 * t) + 14 * math.sin(t * 37)
        points.append((x, y))
    draw.line(points, fill=(20, 20, 60, 255), width=5, joint="curve")
    draw.line([(60, height * 0.78), (width - 80, height * 0.72)], fill=(20, 20, 60, 255), width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


class _Script:
    """The simulated people, a narrator and the stopwatch of the signing steps."""

    def __init__(
        self,
        service: RunningService,
        http: ClientSession,
        echo: Callable[[str], None],
        timings: dict[str, list[float]] | None,
    ) -> None:
        assert service.standin is not None
        self.standin: StandinBotAPI = service.standin
        self.runtime = service.runtime
        self.base_url = service.base_url
        self.http = http
        self.echo = echo
        self.timings = timings

    def say(self, text: str) -> None:
        self.echo(f"· {text}")

    async def wait(self, user: SimUser, needle: str, timeout: float = 60.0) -> SentMessage:  # noqa: ASYNC109
        return await wait_text(user, needle, timeout)

    async def file(self, user: SimUser, timeout: float = 90.0) -> SentMessage:  # noqa: ASYNC109
        return await wait_file(user, timeout)

    def took(self, what: str, since: float) -> None:
        """How long a signing step took, for the benchmark (``timings``)."""
        if self.timings is not None:
            self.timings.setdefault(what, []).append(time.perf_counter() - since)


async def run_demo(
    out: Path,
    *,
    pool: RenderPool | None = None,
    sealer: Sealer | None = None,
    echo: Callable[[str], None] = print,
    keep_data: bool = False,
    cases: int = 1,
    timings: dict[str, list[float]] | None = None,
) -> DemoResult:
    """Play the mediation and write the four PDFs to ``out``.

    ``cases`` > 1 plays that many mediations in the same service (benchmarks; the files are the
    first case's) and ``timings`` collects how long the signing steps took, in seconds.
    """
    from aiohttp import ClientSession

    from features.agreements.common import services_of
    from harness import running_service
    from standin import StandinBotAPI

    started = time.monotonic()
    await asyncio.to_thread(out.mkdir, parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="mediation-demo-"))
    result = DemoResult(await asyncio.to_thread(out.resolve))
    async with StandinBotAPI() as standin, ClientSession() as http:
        echo(f"本地 Telegram 替身服务器 / stand-in Bot API: {standin.base_url}")
        echo(f"临时数据目录 / temporary data directory: {data_dir}")
        echo("启动服务（PDF 渲染进程池、调解委员会印章、网页）… / starting the service …")
        units = data_dir / "units.toml"
        await asyncio.to_thread(units.write_text, DEMO_UNITS, encoding="utf-8")
        async with running_service(
            data_dir,
            standin=standin,
            env={**DEMO_ENV, "UNITS_FILE": str(units)},
            web_app=True,
            render_pool=pool,
            sealer=sealer,
            kb_ready=False,
        ) as service:
            for index in range(cases):
                quiet = echo if index == 0 else (lambda _text: None)
                await _play(_Script(service, http, quiet, timings), result, index)
            if timings is not None:
                for what, seconds in services_of(service.runtime.shared).jobs.timings:
                    timings.setdefault(what, []).append(seconds)
    if keep_data:
        echo(f"数据保留在 / data kept in {data_dir}")
    else:
        shutil.rmtree(data_dir, ignore_errors=True)
    result.seconds = time.monotonic() - started
    for key, path in result.files.items():
        echo(f"  {path}  ({path.stat().st_size // 1024} KB, {key})")
    return result


@dataclass
class _People:
    applicant: SimUser
    respondent: SimUser
    mediator: SimUser


async def _play(s: _Script, result: DemoResult, index: int = 0) -> None:
    """One mediation, step by step; benchmark rounds (``index`` > 0) stop at the signed
    agreement."""
    today = s.runtime.clock.now().astimezone(s.runtime.settings.tz).date()
    due = (today + timedelta(days=40)).isoformat()
    first = (today + timedelta(days=10)).isoformat()
    people = await _open_room(s, index)
    await _talk(s, people)
    await _draft_first_version(s, people.mediator, due)
    prompts = await _revise_to_second_version(s, people, first, due)
    await _sign_in_mini_app(s, people.applicant, prompts[people.applicant.user_id])
    await _sign_by_typed_name(s, people.respondent, prompts[people.respondent.user_id])
    signed = await _mediator_signs(s, people, result)
    if index:
        return
    _write(result, "mediation_agreement", signed.file)
    async with s.http.get(result.verify_url) as page:
        ok = page.status == 200
    s.say(f"核验页面 / verify page: {result.verify_url} ({'OK' if ok else page.status})")
    await _apply_for_judicial_confirmation(s, people, result)
    await _collect_case_documents(s, people, result)
    await _police_mediation(s, result)


async def _open_room(s: _Script, index: int) -> _People:
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
    return _People(applicant, respondent, mediator)


async def _file_dispute(s: _Script, applicant: SimUser, respondent_phone: str) -> str:
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


async def _talk(s: _Script, people: _People) -> None:
    s.say("双方在调解室中陈述 / both sides speak in the room")
    await people.applicant.send_text("她借我三万元，只还了五千元。我要求把剩下的二万五千元还清。")
    await s.wait(people.respondent, "二万五千元")
    await people.respondent.send_text(
        "借款属实。我早餐店关了，一次还不上，愿意分期，每月还五千元。"
    )
    await s.wait(people.applicant, "分期")


async def _draft_first_version(s: _Script, mediator: SimUser, due: str) -> None:
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
                "address": "示范市示范区和平街道幸福里小区3栋2单元501室",
            },
            "李秀兰": {
                "id": id_number("19790620", 32, male=False),
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
    s: _Script, people: _People, first: str, due: str
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


async def _sign_in_mini_app(s: _Script, applicant: SimUser, prompt: SentMessage) -> None:
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


async def _sign_by_typed_name(s: _Script, respondent: SimUser, prompt: SentMessage) -> None:
    s.say("被申请人输入全名签署 / the respondent signs by typing her full name")
    await respondent.press("⌨️ 输入全名签署", prompt)
    await s.wait(respondent, "全名")
    since = time.perf_counter()
    await respondent.send_text("李秀兰")
    await s.wait(respondent, "您已签署")
    s.took("typed_sign_chat", since)


async def _mediator_signs(s: _Script, people: _People, result: DemoResult) -> SentMessage:
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


async def _apply_for_judicial_confirmation(s: _Script, people: _People, result: DemoResult) -> None:
    s.say("双方同意申请司法确认 / both parties apply for judicial confirmation")
    for person in (people.applicant, people.respondent):
        await s.wait(person, "司法确认")
        await person.press("同意申请司法确认")
        await s.wait(person, "送达地址")
        await person.press("使用协议书上的住址")
        court = await s.wait(person, "受理法院")
        await person.press(court.button_texts[0])
    application = await s.file(people.applicant)
    _write(result, "judicial_confirmation_application", application.file)


async def _collect_case_documents(s: _Script, people: _People, result: DemoResult) -> None:
    """/documents: the application form for the file, and the 笔录, which each party checks
    before the version that says "经核对无误" is issued (issue 18)."""
    s.say("调解员生成申请书和调解笔录 / the mediator produces the application form and the record")
    mediator = people.mediator
    await mediator.send_command("/documents")
    draft = False
    while "mediation_application" not in result.files or not draft:
        name = (form := await s.file(mediator)).filename or ""
        if name.startswith("mediation-application"):
            _write(result, "mediation_application", form.file)
        draft = draft or name.startswith("mediation-record")
    s.say("双方核对调解笔录 / both parties check the record")
    for person in (people.applicant, people.respondent):
        ask = await s.wait(person, "核对稿")
        await person.press("✅ 核对无误", ask)
        await s.wait(person, "核对")
    while "mediation_record" not in result.files:
        name = (form := await s.file(mediator)).filename or ""
        if name.startswith("mediation-record"):
            _write(result, "mediation_record", form.file)


async def _police_mediation(s: _Script, result: DemoResult) -> None:
    """治安调解 on a second case (治安管理处罚法 第九条): a police officer signs in to the console,
    opens it, prints the 治安调解协议书, both parties sign it by hand and the officer uploads the
    scan; the sealed 协议书 carries the 签署存证 page. The agreement is performed: no punishment."""
    from features.console.auth import AuthService
    from features.console.context import StaffContext
    from features.console.ledger import LedgerQuery, LedgerService
    from features.console.procedures import ProcedureActions
    from services.staff import create_staff

    rt = s.runtime
    s.say("第二个案件：民警按治安调解处理 / a second case, mediated by the police (治安调解)")
    await _open_room(s, 1)
    password = "demo password 2026"
    error = await create_staff(
        rt.db,
        username="chenjing",
        password=password,
        role="police",
        unit_code="station",
        display_name="陈警官",
        known_units=set(rt.units.by_code),
    )
    if error is not None:
        raise RuntimeError(error)
    auth = AuthService(rt.db, rt.clock)
    login = await auth.login("chenjing", password, "127.0.0.1", "demo")
    account = await auth.resolve(login.token or "")
    if account is None:
        raise RuntimeError("the officer could not sign in")
    officer = StaffContext.of(account, rt.units)
    ledger = await LedgerService(rt.db, rt.units, rt.settings.tz).page(officer, LedgerQuery())
    case_id = max(row.id for row in ledger.rows)
    actions = ProcedureActions(
        rt.db, rt.units, rt.clock, rt.settings.tz, rt.files, rt.shared, rt.deliver
    )
    sides = [pid for pid, _label in (await actions.panels(officer, case_id)).police.parties]
    applicant, respondent = sides[0], sides[1]
    await actions.police_step(
        officer,
        case_id,
        "open",
        {
            "violation": "property_damage",
            "civil": "yes",
            "minor": "yes",
            "officers": "1",
            "recording_ref": "SF-TJ-0001",
            "offender": str(respondent),
            "injured": str(applicant),
            "time": "催款当日晚8时许",
            "place": "杨家坪街道幸福里小区门口",
            "cause": "催要借款发生争吵",
            "course": "李秀兰推倒王建国的电动车",
            "result": "电动车后视镜损坏",
        },
        ip="127.0.0.1",
    )
    await actions.police_step(
        officer,
        case_id,
        "draft",
        {
            "terms": "李秀兰向王建国赔礼道歉。\n李秀兰于三日内赔偿王建国后视镜损失人民币150元。",
            "method": "微信转账，当面道歉",
            "deadline": (rt.clock.now().date() + timedelta(days=3)).isoformat(),
            f"address_{applicant}": "示范市示范区和平街道幸福里小区3栋501室",
            f"address_{respondent}": "示范市示范区光明路18号院6号楼302室",
        },
        ip="127.0.0.1",
    )
    printed = await _police_document(actions, officer, case_id, "signing")
    s.say("双方在打印的治安调解协议书上手写签名，民警上传扫描件 / signed on paper, scan uploaded")
    await actions.police_step(
        officer,
        case_id,
        "signed",
        {"sha": printed.sha256, "confirm": "yes"},
        scan=handwriting_png(7),
        ip="127.0.0.1",
    )
    sealed = await _police_document(actions, officer, case_id, "effective")
    _write(result, "police_agreement", await rt.files.get(sealed.file_path or ""))
    await actions.police_step(officer, case_id, "performed", {}, ip="127.0.0.1")
    s.say("协议已履行，不予处罚 / performed: no punishment (治安管理处罚法 第九条)")


async def _police_document(
    actions: ProcedureActions, officer: StaffContext, case_id: int, status: str
) -> Document:
    """The case's 治安调解协议书 once the render job has written it in ``status``."""
    for _ in range(600):
        doc = (await actions.panels(officer, case_id)).police.document
        if doc is not None and doc.status == status and doc.render_status == "done":
            return doc
        if doc is not None and doc.render_status == "failed":
            raise RuntimeError(doc.render_error)
        await asyncio.sleep(0.1)
    raise RuntimeError("the 治安调解协议书 was not rendered")


def _cn(iso: str) -> str:
    year, month, day = (int(x) for x in iso.split("-"))
    return f"{year}年{month}月{day}日"


def _write(result: DemoResult, kind: str, data: bytes | None) -> None:
    if not data:
        raise RuntimeError(f"no file received for {kind}")
    path = result.out / FILES[kind]
    path.write_bytes(data)
    result.files[kind] = path
