"""A seeded workload of whole mediations run while the service is killed at random moments.

Shared by tests/reliability/test_kill9.py (CI size) and benchmarks/reliability/kill9.py (the
long variant). Each case: an applicant files by the intake conversation, the respondent joins
by the invitation link, a mediator takes the case and opens the session, the parties talk
(each message relayed to the two others), and for some cases the mediator drafts a written
agreement that all three sign by typing their names, sealed and delivered as a PDF.

Meanwhile :class:`Killer` SIGKILLs the service (its whole process group: render workers too)
at seeded random moments, sometimes restarting it with a ``MEDIATION_FAULT`` crash point so it
dies at an exact step, and starts it again. Nobody resends anything by hand: as Telegram does,
the stand-in keeps every update until a later getUpdates confirms it.

Every step waits for the message the person must see (long timeouts: a restart on a busy host
takes many seconds). After the run, :func:`audit` drains the service, runs the invariant
checker over the database and the stand-in's record, and classifies every message Telegram
holds that no outbox row accounts for: a duplicate is *explained* only if the process died
between its first copy and the next copy of the same content (Telegram accepted it, the process
died before recording that, the next process sent it again). A message sent twice by one
process is a bug and fails the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import aiohttp
from sqlalchemy import func, select

from harness.process import answers_health
from harness.steps import WAGE_CLAUSE, answer_identities
from services.invariants import Report, check
from standin import StandinBotAPI
from standin.models import SentMessage
from standin.simulation import SimUser
from storage.db import Database
from storage.document_models import Document
from storage.models import InboxUpdate, OutboxMessage
from tests.e2e.harness import ROOT

#: How long after a kill the stand-in may still process a request the dead process had sent.
IN_FLIGHT_SKEW = 3.0
#: Longest wait for a rendered PDF: the render job's stale-claim expiry (90 s), its reclaim
#: check (every 30 s), a restart and the layout itself.
STALE_RENDER_WAIT = 4 * 60.0
FAULTS = ("after_inbox_accept", "before_send", "after_send_before_mark")
INTAKE: list[tuple[str, str, list[str]]] = [
    ("command", "/start", ["自愿"]),
    ("press", "同意，开始登记", ["纠纷类型"]),
    ("press", "劳动争议/欠薪", ["发生了什么"]),
    ("text", "老板拖欠我三个月工资共一万二千元，多次催要都说没钱。", ["证据"]),
    ("press", "下一步", ["申请事项"]),
    ("text", "支付拖欠的工资", ["金额"]),
    ("text", "12000", ["哪里"]),
    ("text", "九龙坡区杨家坪街道", ["姓名"]),
    ("text", "张三", ["手机号"]),
    ("text", "13800000000", ["身份证"]),
    ("press", "跳过", ["对方的姓名"]),
    ("text", "李四", ["对方的手机号"]),
    ("press", "跳过", ["请核对"]),
    ("press", "✅ 确认提交", ["登记成功"]),
]


class ServiceGroup:
    """``main.py serve`` in its own process group, so a kill takes its workers with it."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = {**os.environ, **env}
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, fault: str | None = None) -> None:
        env = dict(self.env)
        env.pop("MEDIATION_FAULT", None)
        if fault:
            env["MEDIATION_FAULT"] = fault
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, str(ROOT / "main.py"), "serve"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self._reap_group()

    def _reap_group(self) -> None:
        # A worker of a process that died by its crash point may outlive it: same group.
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        self._reap_group()


async def wait_up(port: int, svc: ServiceGroup, timeout: float = 180) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if not svc.alive():
                return  # died (a crash point); the killer notices and restarts it
            if await answers_health(http, port):
                return
            await asyncio.sleep(0.1)
    raise AssertionError("service did not come up:\n" + svc.log_path.read_text()[-3000:])


@dataclass
class Killer:
    """Kills the service at seeded random points of the workload's progress.

    A point is a number of updates Telegram has queued (``progress``) — so every kill lands
    while people are mid-conversation whatever the host's speed — plus a random delay under
    a second. One kill in three restarts with a ``MEDIATION_FAULT`` crash point instead, and
    the process exits by itself at that exact step with the next traffic.
    """

    svc: ServiceGroup
    port: int
    rng: random.Random
    points: list[int]
    progress: Callable[[], int]
    deaths: list[float] = field(default_factory=list)
    by_fault: dict[str, int] = field(default_factory=dict)
    signals: int = 0
    stopped: bool = False

    async def run(self) -> None:
        for point in sorted(self.points):
            while self.progress() < point and not self.stopped:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            if self.stopped:
                return
            await asyncio.sleep(self.rng.uniform(0.0, 1.0))
            self.deaths.append(time.time())  # the moment of the signal: nothing sent after it
            if self.svc.alive():
                self.svc.kill()
                self.signals += 1
            fault = self.rng.choice(FAULTS) if self.rng.random() < 1 / 3 else None
            await asyncio.sleep(self.rng.uniform(0.0, 1.0))  # down for a moment
            self.svc.start(fault)
            if fault:
                self.by_fault[fault] = self.by_fault.get(fault, 0) + 1
                for _ in range(600):  # the point is reached with the next traffic
                    if not self.svc.alive():
                        break
                    await asyncio.sleep(0.1)
                if self.svc.alive():
                    self.svc.kill()  # never reached: kill it the ordinary way
                    self.signals += 1
                self.deaths.append(time.time())
                self.svc.start()
            await wait_up(self.port, self.svc)

    async def ensure_up(self) -> None:
        self.stopped = True
        if not self.svc.alive():
            self.deaths.append(time.time())
            self.svc.start()
        await wait_up(self.port, self.svc)


# ---------------------------------------------------------------------------- people


async def wait_text(user: SimUser, needle: str, timeout: float) -> SentMessage:  # noqa: ASYNC109
    """The next message (skipping others) whose text contains ``needle``."""
    deadline = time.monotonic() + timeout
    skipped: list[str] = []
    while True:
        left = deadline - time.monotonic()
        try:
            (message,) = await user.wait_for_messages(1, timeout=max(0.1, left))
        except AssertionError:
            raise AssertionError(
                f"chat {user.user_id}: no message with {needle!r}; skipped {skipped}"
            ) from None
        if needle in (message.text or ""):
            return message
        skipped.append((message.text or message.method)[:60])


async def press(user: SimUser, label: str, timeout: float) -> None:  # noqa: ASYNC109
    """Press a button once a message carrying it has arrived (it may trail the text before)."""
    deadline = time.monotonic() + timeout
    while not any(label in m.button_texts for m in user.messages):
        if time.monotonic() > deadline:
            raise AssertionError(f"chat {user.user_id}: no button {label!r}")
        await asyncio.sleep(0.05)
    await user.press(label)


async def wait_file(user: SimUser, timeout: float) -> SentMessage:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while True:
        (message,) = await user.wait_for_messages(1, timeout=max(0.1, deadline - time.monotonic()))
        if message.method == "sendDocument":
            return message


@dataclass
class Case:
    index: int
    applicant: SimUser
    respondent: SimUser
    mediator: SimUser
    sign: bool
    number: str = ""
    relayed: int = 0
    signed: bool = False


@dataclass
class Workload:
    standin: StandinBotAPI
    rng: random.Random
    timeout: float = 600.0
    relay_rounds: int = 2
    cases: list[Case] = field(default_factory=list)

    def people(self) -> list[SimUser]:
        return [u for c in self.cases for u in (c.applicant, c.respondent, c.mediator)]

    async def run_case(self, case: Case) -> None:
        t = self.timeout
        a, r, m = case.applicant, case.respondent, case.mediator
        await asyncio.sleep(self.rng.uniform(0, 2))
        for action, arg, markers in INTAKE:
            if action == "command":
                await a.send_command(arg)
            elif action == "press":
                await press(a, arg, t)
            else:
                await a.send_text(arg)
            for marker in markers:
                await wait_text(a, marker, t)
        invite = await wait_text(a, "start=inv_", t)  # the invitation to forward
        token = re.search(r"start=(inv_[\w-]+)", invite.text or "")
        assert token, invite.text
        await r.send_command("/start", token.group(1))
        await wait_text(r, "您被邀请参加", t)
        await press(r, "同意参加调解", t)
        welcome = await wait_text(r, "被申请人】", t)
        found = re.search(r"（\d{4}）示调字第\d+号", welcome.text or "")
        assert found, welcome.text
        case.number = found.group(0)
        await wait_text(a, "被申请人已加入调解", t)
        await m.send_command("/queue")
        await wait_text(m, case.number, t)
        await press(m, f"接手 {case.number}", t)
        await wait_text(m, "已接手", t)
        await press(m, "▶ 开始调解会话", t)
        for party in (a, r):
            await wait_text(party, "调解员已接手", t)
            await wait_text(party, "调解会话已开始", t)
        for k in range(self.relay_rounds):
            for speaker, others in ((a, (r, m)), (r, (a, m))):
                text = f"案{case.index}第{k}轮 {speaker.user_id} 的意见"
                await speaker.send_text(text)
                for other in others:
                    await wait_text(other, text, t)
                case.relayed += 1
        if case.sign:
            await self.sign(case)

    async def sign(self, case: Case) -> None:
        t = self.timeout
        a, r, m = case.applicant, case.respondent, case.mediator
        await press(m, "结案", t)
        await wait_text(m, "结果", t)
        await press(m, "📝 制作书面协议书", t)
        await answer_identities(m, timeout=t)
        await press(m, "使用登记时的陈述", t)
        await wait_text(m, "争议事项", t)
        await press(m, "使用申请事项", t)
        await wait_text(m, "各方当事人的责任", t)
        await m.send_text("被申请人未按时足额支付劳动报酬，应当承担支付责任。")
        await wait_text(m, "协议内容", t)
        await press(m, "支付欠付工资", t)
        for name, value in WAGE_CLAUSE:
            await wait_text(m, f"「{name}", t)
            await m.send_text(value)
        await wait_text(m, "已有 1 条", t)
        await press(m, "完成条款 ✓", t)
        await wait_text(m, "履行方式", t)
        await m.send_text("银行转账")
        await wait_text(m, "履行地点", t)
        await m.send_text("申请人住所地")
        await wait_text(m, "履行期限", t)
        await m.send_text("2026-12-31")
        await wait_text(m, "协议书草稿", t)
        await press(m, "✅ 生成并发送", t)
        await wait_text(m, "第 1 版已生成", t)
        prompts = {}
        # The render job's PDFs: a kill while a layout runs leaves its claim to expire first
        # (features/agreements/jobs.py STALE_CLAIM, 90 s) — late, never lost.
        tf = max(t, STALE_RENDER_WAIT)
        for person in (a, r, m):
            await wait_file(person, tf)
            prompts[person.user_id] = await wait_text(person, "签署即表示", t)
        for party, name in ((a, "张三"), (r, "李四")):
            await party.press("⌨️ 输入全名签署", prompts[party.user_id])
            await wait_text(party, "全名", t)
            await party.send_text(name)
            await wait_text(party, "您已签署协议书第 1 版", t)
        turn = await wait_text(m, "请您签署", t)
        await m.press("⌨️ 输入全名签署", turn)
        await wait_text(m, "全名", t)
        await m.send_text("王调解")
        for person in (a, r, m):
            await wait_file(person, tf)
            await wait_text(person, "已生效", t)
        case.signed = True


async def seed_mediators(env: dict[str, str], telegram_ids: list[int]) -> None:
    """One linked mediator account per case (as ``/link`` would leave it)."""
    from core.config import Settings
    from harness import migrated_runtime
    from harness.seed import linked_mediator

    # Building the runtime also writes the units the accounts belong to.
    runtime = await migrated_runtime(Settings.from_env(env))
    try:
        async with runtime.db.write() as s:
            for tg in telegram_ids:
                s.add(linked_mediator(f"kill9med{tg}", tg, "王调解"))
    finally:
        await runtime.db.dispose()


async def wait_drained(database_url: str, timeout: float = 240) -> None:  # noqa: ASYNC109
    """No update, message or document job left pending in the database."""
    db = Database(database_url)
    try:
        deadline = time.monotonic() + timeout
        while True:
            async with db.read() as s:
                left = [
                    (await s.execute(q)).scalar_one()
                    for q in (
                        select(func.count())
                        .select_from(InboxUpdate)
                        .where(InboxUpdate.status == "pending"),
                        select(func.count())
                        .select_from(OutboxMessage)
                        .where(
                            OutboxMessage.status == "pending",
                            OutboxMessage.channel == "telegram",
                        ),
                        select(func.count())
                        .select_from(Document)
                        .where(Document.render_status.in_(("pending", "rendering"))),
                    )
                ]
            if not any(left):
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"not drained: inbox/outbox/documents pending = {left}")
            await asyncio.sleep(0.5)
    finally:
        await db.dispose()


@dataclass
class Audit:
    report: Report
    duplicates: int
    unexplained: list[str]
    messages: int
    #: The longest time between a duplicate's first copy and the death that lost its record.
    longest_gap: float = 0.0
    #: Negative: the first copy was processed by the stand-in after the kill (in flight).
    shortest_gap: float = 0.0


async def audit(database_url: str, people: list[SimUser], deaths: list[float]) -> Audit:
    """Invariants over DB + stand-in; every unaccounted message must be an explained duplicate."""
    delivered = {u.chat_id: [m.message_id for m in u.messages] for u in people}
    db = Database(database_url)
    try:
        report = await check(db, grace=timedelta(0), delivered=delivered)
        async with db.read() as s:
            rows = await s.execute(
                select(OutboxMessage.chat_id, OutboxMessage.external_id).where(
                    OutboxMessage.external_id.is_not(None)
                )
            )
            claimed = {(str(c), str(e)) for c, e in rows}
    finally:
        await db.dispose()
    duplicates = 0
    unexplained: list[str] = []
    gaps: list[float] = []
    for u in people:
        for i, msg in enumerate(u.messages):
            if (str(u.chat_id), str(msg.message_id)) in claimed:
                continue
            duplicates += 1
            again = next(
                (
                    later
                    for later in u.messages[i + 1 :]
                    if later.text == msg.text and later.method == msg.method
                ),
                None,
            )
            # Explained: Telegram had the first copy, the process died before recording it,
            # and the copy came again from the next process — never twice from one process.
            # The stand-in shares its event loop with this test: a request the dying process
            # had already sent may be processed up to IN_FLIGHT_SKEW s after the kill (no new
            # process is up that soon: a start takes longer than that).
            deaths_between = [
                d
                for d in deaths
                if again is not None and msg.time - IN_FLIGHT_SKEW <= d <= again.time
            ]
            if deaths_between:
                gaps.append(deaths_between[0] - msg.time)
            else:
                unexplained.append(
                    f"chat {u.chat_id} #{msg.message_id} {msg.method} {(msg.text or '')[:40]!r} "
                    f"(sent again: {again is not None}, no death in between)"
                )
    return Audit(
        report,
        duplicates,
        unexplained,
        sum(len(u.messages) for u in people),
        round(max(gaps), 2) if gaps else 0.0,
        round(min(gaps), 2) if gaps else 0.0,
    )


async def run_kill9(
    tmp: Path,
    *,
    cases: int,
    sign: int,
    kills: int,
    seed: int,
    concurrency: int = 20,
    timeout: float = 600.0,  # noqa: ASYNC109
    database_url: str | None = None,
) -> dict[str, object]:
    """The whole run; returns its figures (and raises if a step never got its message)."""
    from harness import free_port, service_env

    rng = random.Random(seed)
    port = free_port()
    started = time.monotonic()
    async with StandinBotAPI(record_calls=False) as standin:
        env = {
            **service_env(standin, tmp / "var", database_url),
            "WEB_PORT": str(port),
            "MEDIATION_WEBAPP_ALLOW_HTTP": "1",
            "LOG_LEVEL": "WARNING",
        }
        url = env.get("DATABASE_URL") or f"sqlite+aiosqlite:///{(tmp / 'var' / 'mediation.db')}"
        (tmp / "var").mkdir(parents=True, exist_ok=True)
        await seed_mediators(env, [630_000 + i for i in range(cases)])
        svc = ServiceGroup(env, tmp / "service.log")
        load = Workload(standin, rng, timeout=timeout)
        signing = set(rng.sample(range(cases), sign))
        for i in range(cases):
            load.cases.append(
                Case(
                    i,
                    standin.user(610_000 + i, first_name="甲", phone=f"+8613800{i:06d}"),
                    standin.user(620_000 + i, first_name="乙"),
                    standin.user(630_000 + i, first_name="调解员"),
                    sign=i in signing,
                )
            )
        # Kill points spread over the updates the run will queue (≈27 per case and ≈30 more
        # per signed agreement), between 5 % and 85 % of them.
        expected = 27 * cases + 30 * sign
        krng = random.Random(seed + 1)
        points = krng.sample(range(expected // 20, expected * 85 // 100), kills)

        def progress() -> int:
            return sum(b.updates_enqueued for b in standin.all_bots())

        killer = Killer(svc, port, krng, points, progress)
        svc.start()
        try:
            await wait_up(port, svc)
            gate = asyncio.Semaphore(concurrency)

            async def one(case: Case) -> None:
                async with gate:
                    await load.run_case(case)

            killing = asyncio.create_task(killer.run())
            try:
                await asyncio.gather(*(one(c) for c in load.cases))
            finally:
                killer.stopped = True
                await killing
            await killer.ensure_up()
            await standin.wait_idle(120)
            await wait_drained(url)
            await asyncio.sleep(1.0)
        finally:
            svc.stop()
        result = await audit(url, load.people(), killer.deaths)
        updates = sum(b.updates_enqueued for b in standin.all_bots())
    return {
        "cases": cases,
        "signed_agreements": sum(c.signed for c in load.cases),
        "relayed_messages": sum(c.relayed for c in load.cases),
        "updates": updates,
        "messages_delivered": result.messages,
        "deaths": len(killer.deaths),
        "sigkills": killer.signals,
        "crash_points": killer.by_fault,
        "duplicates_explained": result.duplicates - len(result.unexplained),
        "duplicates_unexplained": len(result.unexplained),
        "duplicate_first_copy_to_death_s": [result.shortest_gap, result.longest_gap],
        "invariant_findings": {
            k: v for k, v in result.report.counts.items() if k != "delivered_unaccounted"
        },
        "invariant_stats": result.report.stats,
        "report": result.report.render(),
        "unexplained": result.unexplained[:10],
        "elapsed_s": round(time.monotonic() - started, 1),
        "load_average": os.getloadavg()[0],
    }
