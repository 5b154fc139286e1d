"""``main.py demo [--out DIR]``: a whole mediation, played by simulated people, no token needed.

The real service (conversation engine, database, outbox sender, render pool, seal, web server)
runs against the stand-in Bot API shipped in ``bot/standin``; simulated Telegram users register
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
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

DEMO_TOKEN = "123456:DEMO-token_for-the-standin"
FILES = {
    "mediation_application": "1-mediation_application-申请书.pdf",
    "mediation_record": "2-mediation_record-笔录.pdf",
    "mediation_agreement": "3-mediation_agreement_signed-协议书.pdf",
    "judicial_confirmation_application": "4-judicial_confirmation_application-司法确认申请书.pdf",
}


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


def cmd_demo(args: argparse.Namespace, settings: Any) -> int:
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
    """The simulated people and a narrator."""

    def __init__(self, standin: Any, echo: Callable[[str], None]) -> None:
        self.standin = standin
        self.echo = echo

    def say(self, text: str) -> None:
        self.echo(f"· {text}")

    async def wait(self, user: Any, needle: str, timeout: float = 60.0) -> Any:  # noqa: ASYNC109
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            (message,) = await user.wait_for_messages(1, timeout=max(0.1, deadline - loop.time()))
            if needle in (message.text or ""):
                return message

    async def file(self, user: Any, timeout: float = 90.0) -> Any:  # noqa: ASYNC109
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            (message,) = await user.wait_for_messages(1, timeout=max(0.1, deadline - loop.time()))
            if message.method == "sendDocument":
                return message


async def run_demo(
    out: Path,
    *,
    pool: Any = None,
    sealer: Any = None,
    echo: Callable[[str], None] = print,
    keep_data: bool = False,
    cases: int = 1,
    timings: dict[str, list[float]] | None = None,
) -> DemoResult:
    """Play the mediation and write the four PDFs to ``out``.

    ``cases`` > 1 plays that many mediations in the same service (benchmarks; the files are the
    first case's) and ``timings`` collects how long the signing steps took, in seconds.
    """
    from aiohttp import ClientSession, web

    from bot.standin import StandinBotAPI
    from core.config import Settings
    from main import build_runtime, start_runtime, stop_runtime
    from services.agreements.common import POOL_KEY, SEALER_KEY, services_of
    from storage.migrate import upgrade
    from web.app import create_app

    started = time.monotonic()
    await asyncio.to_thread(out.mkdir, parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="mediation-demo-"))
    result = DemoResult(await asyncio.to_thread(out.resolve))
    async with StandinBotAPI() as standin, ClientSession() as http:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        settings = Settings.from_env(
            {
                "DATA_DIR": str(data_dir),
                "TELEGRAM_BOT_TOKEN": DEMO_TOKEN,
                "TELEGRAM_API_BASE_URL": standin.bot_api_url,
                "TELEGRAM_API_FILE_URL": standin.file_url,
                "TELEGRAM_RATE_GLOBAL": "0",
                "TELEGRAM_RATE_PER_CHAT": "0",
                "WEB_PORT": str(port),
                "MEDIATION_WEBAPP_ALLOW_HTTP": "1",
                "LOG_LEVEL": "WARNING",
            }
        )
        echo(f"本地 Telegram 替身服务器 / stand-in Bot API: {standin.base_url}")
        echo(f"临时数据目录 / temporary data directory: {data_dir}")
        await asyncio.to_thread(upgrade, settings.database_url)
        runtime = await build_runtime(settings)
        if pool is not None:
            runtime.extras[POOL_KEY] = pool
        if sealer is not None:
            runtime.extras[SEALER_KEY] = sealer
        echo("启动服务（PDF 渲染进程池、调解委员会印章、网页）… / starting the service …")
        await start_runtime(runtime)
        runner = web.AppRunner(create_app(runtime), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            for index in range(cases):
                script = _Script(standin, echo if index == 0 else (lambda _text: None))
                await _play(
                    script, runtime, http, f"http://127.0.0.1:{port}", result, index, timings
                )
            if timings is not None:
                for what, seconds in services_of(runtime.extras).jobs.timings:
                    timings.setdefault(what, []).append(seconds)
        finally:
            await runner.cleanup()
            await stop_runtime(runtime)
    if keep_data:
        echo(f"数据保留在 / data kept in {data_dir}")
    else:
        shutil.rmtree(data_dir, ignore_errors=True)
    result.seconds = time.monotonic() - started
    for key, path in result.files.items():
        echo(f"  {path}  ({path.stat().st_size // 1024} KB, {key})")
    return result


async def _play(
    s: _Script,
    runtime: Any,
    http: Any,
    base: str,
    result: DemoResult,
    index: int = 0,
    timings: dict[str, list[float]] | None = None,
) -> None:
    from services.agreements.initdata import sign_init_data
    from services.mediators import create_link_code
    from services.staff import create_staff

    today = runtime.clock.now().astimezone(runtime.settings.tz).date()
    due = (today + timedelta(days=40)).isoformat()
    first = (today + timedelta(days=10)).isoformat()
    ids = 8101 + 10 * index, 8102 + 10 * index, 8200 + 10 * index
    clock = time.perf_counter

    def took(what: str, since: float) -> None:
        if timings is not None:
            timings.setdefault(what, []).append(clock() - since)

    applicant = s.standin.user(ids[0], first_name="建国", phone=f"+86138000{ids[0]:05d}")
    respondent = s.standin.user(ids[1], first_name="秀兰", phone=f"+86139000{ids[1]:05d}")

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
    await s.wait(applicant, "申请事项")
    await applicant.send_text("请求对方归还剩余借款二万五千元")
    await s.wait(applicant, "金额")
    await applicant.send_text("25000")
    await s.wait(applicant, "哪里")
    await applicant.send_text("九龙坡区杨家坪街道")
    await s.wait(applicant, "姓名")
    await applicant.send_text("王建国")
    await s.wait(applicant, "手机号")
    await applicant.press("📱 分享我的手机号")
    await s.wait(applicant, "身份证")
    await applicant.press("跳过")
    await s.wait(applicant, "对方的姓名")
    await applicant.send_text("李秀兰")
    await s.wait(applicant, "对方的手机号")
    await applicant.send_text(f"139000{ids[1]:05d}")
    await s.wait(applicant, "请核对")
    await applicant.press("✅ 确认提交")
    created = await s.wait(applicant, "案件编号")
    invite = await s.wait(applicant, "start=")
    token = (invite.text or "").split("start=")[1].split()[0]
    s.say((created.text or "").splitlines()[0])

    s.say("被申请人李秀兰通过邀请链接加入 / the respondent joins by the invitation link")
    await respondent.send_command("/start", token)
    # The invitation is bound to the number the applicant gave: she proves it is hers.
    await s.wait(respondent, "分享您的手机号")
    await respondent.press("📱 分享我的手机号")
    await s.wait(respondent, "您被邀请参加")
    await respondent.press("同意参加调解")
    await s.wait(respondent, "您已加入案件")

    s.say("调解员赵明登录并接手案件 / a mediator links Telegram and takes the case")
    await create_staff(
        runtime.db,
        username=f"zhaoming{index}",
        password="demo password 2026",
        role="mediator",
        unit_code=runtime.units.default.code,
        display_name="赵明",
        known_units=set(runtime.units.by_code),
    )
    code = await create_link_code(runtime.db, f"zhaoming{index}", runtime.clock.now())
    mediator = s.standin.user(ids[2], first_name="赵明")
    await mediator.send_command("/link", code or "")
    await s.wait(mediator, "已关联")
    await mediator.send_command("/queue")
    queue = await s.wait(mediator, "接手")
    await mediator.press(queue.button_texts[0])
    await s.wait(mediator, "您已接手")
    await s.wait(mediator, "调解方式")
    await mediator.press("▶ 开始调解会话")
    await s.wait(applicant, "调解会话已开始")

    s.say("双方在调解室中陈述 / both sides speak in the room")
    await applicant.send_text("她借我三万元，只还了五千元。我要求把剩下的二万五千元还清。")
    await s.wait(respondent, "二万五千元")
    await respondent.send_text("借款属实。我早餐店关了，一次还不上，愿意分期，每月还五千元。")
    await s.wait(applicant, "分期")

    s.say("调解员逐项制作书面协议书 / the mediator drafts the written agreement step by step")
    await mediator.press("结案")
    await s.wait(mediator, "结果")
    await mediator.press("📝 制作书面协议书")
    steps = [
        ("申请人（王建国）的住址", "示范市示范区和平街道幸福里小区3栋2单元501室"),
        ("被申请人（李秀兰）的住址", "示范市示范区和平街道光明路18号院6号楼302室"),
    ]
    for needle, answer in steps:
        await s.wait(mediator, needle)
        await mediator.send_text(answer)
    await s.wait(mediator, "纠纷的主要事实")
    await mediator.press("使用登记时的陈述")
    await s.wait(mediator, "争议事项")
    await mediator.press("使用申请事项")
    await s.wait(mediator, "各方当事人的责任")
    await mediator.send_text("被申请人未按约定期限归还借款，应当承担归还借款本金的责任。")
    await s.wait(mediator, "协议内容")
    await mediator.press("归还借款")
    blanks = {
        "债务人": "李秀兰",
        "债权人": "王建国",
        "履行期限": due,
        "金额（元）": "25000",
        "利息约定": "王建国同意免除逾期利息",
    }
    while True:  # the template asks for its blanks in the order they appear in the clause
        (asked,) = await mediator.wait_for_messages(1, timeout=60)
        text = asked.text or ""
        if "已有 1 条" in text:
            break
        if "请输入「" in text:
            await mediator.send_text(blanks[text.rsplit("「", 1)[1].split("」")[0]])
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

    s.say("申请人在 Mini App 中手写签名 / the applicant signs on the Mini App page")
    url = next(t for _x, t in prompts[applicant.user_id].buttons if "/webapp/sign" in t)
    query = parse_qs(urlsplit(url).query)
    init = sign_init_data(DEMO_TOKEN, {"id": applicant.user_id, "first_name": "建国"})
    async with http.get(url) as page:
        await page.read()
    png = "data:image/png;base64," + base64.b64encode(handwriting_png(1)).decode()
    since = clock()
    async with http.post(
        f"{base}/webapp/sign",
        json={"doc": query["d"][0], "sha": query["v"][0], "png": png},
        headers={"X-Telegram-Init-Data": init},
    ) as response:
        answer = await response.json()
    took("webapp_sign_http", since)
    if not answer.get("ok"):
        raise RuntimeError(f"Mini App signature refused: {answer}")
    await s.wait(applicant, "您已签署")

    s.say("被申请人输入全名签署 / the respondent signs by typing her full name")
    await respondent.press("⌨️ 输入全名签署", prompts[respondent.user_id])
    await s.wait(respondent, "全名")
    since = clock()
    await respondent.send_text("李秀兰")
    await s.wait(respondent, "您已签署")
    took("typed_sign_chat", since)

    s.say("调解员签署，调解委员会加盖印章 / the mediator signs; the committee's seal is applied")
    turn = await s.wait(mediator, "请您签署")
    await mediator.press("⌨️ 输入全名签署", turn)
    await s.wait(mediator, "全名")
    since = clock()
    await mediator.send_text("赵明")
    signed = await s.file(applicant)
    took("mediator_sign_to_signed_pdf", since)
    notice = await s.wait(applicant, "已生效")
    result.verify_url = next(w for w in (notice.text or "").split() if "/verify/" in w)
    if index:
        return  # benchmark rounds stop at the signed agreement
    _write(result, "mediation_agreement", signed.file)
    async with http.get(result.verify_url) as page:
        ok = page.status == 200
    s.say(f"核验页面 / verify page: {result.verify_url} ({'OK' if ok else page.status})")

    s.say("双方同意申请司法确认 / both parties apply for judicial confirmation")
    for person in (applicant, respondent):
        await s.wait(person, "司法确认")
        await person.press("同意申请司法确认")
        await s.wait(person, "送达地址")
        await person.press("使用协议书上的住址")
        court = await s.wait(person, "受理法院")
        await person.press(court.button_texts[0])
    application = await s.file(applicant)
    _write(result, "judicial_confirmation_application", application.file)

    s.say("调解员生成申请书和调解笔录 / the mediator produces the application form and the record")
    await mediator.send_command("/documents")
    while not {"mediation_application", "mediation_record"} <= set(result.files):
        form = await s.file(mediator)
        name = form.filename or ""
        if name.startswith(("mediation-application", "mediation-record")):
            _write(result, name.split("-")[0] + "_" + name.split("-")[1], form.file)


def _cn(iso: str) -> str:
    year, month, day = (int(x) for x in iso.split("-"))
    return f"{year}年{month}月{day}日"


def _write(result: DemoResult, kind: str, data: bytes | None) -> None:
    if not data:
        raise RuntimeError(f"no file received for {kind}")
    path = result.out / FILES[kind]
    path.write_bytes(data)
    result.files[kind] = path
