"""Runs the real service against the local stand-in Bot API, in-process or as a subprocess."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.standin import StandinBotAPI
from bot.standin.simulation import SimUser
from core.clock import Clock
from core.config import Settings
from main import Runtime, build_runtime, start_runtime, stop_runtime
from mediation.numbering import format_case_number, parse_case_number
from services.cases import next_sequence
from storage.models import Case, CaseMember, CaseParty, StaffAccount, User

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456:TEST-token_for-the-standin"


def service_env(
    standin: StandinBotAPI, data_dir: Path, database_url: str | None = None
) -> dict[str, str]:
    env = {
        "DATA_DIR": str(data_dir),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": standin.bot_api_url,
        "TELEGRAM_API_FILE_URL": standin.file_url,
        # The stand-in does not throttle; the limiter is tested on its own.
        "TELEGRAM_RATE_GLOBAL": "0",
        "TELEGRAM_RATE_PER_CHAT": "0",
        # These tests are about the conversation, not the statutes: no laws import per start.
        "KB_ENABLED": "0",
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


@asynccontextmanager
async def running_service(
    standin: StandinBotAPI,
    data_dir: Path,
    database_url: str | None = None,
    *,
    clock: Clock | None = None,
    **extra: str,
) -> AsyncIterator[Runtime]:
    """The whole service (minus the HTTP server) in this process, in long-polling mode.

    With an injected ``clock`` the timer loop is not started: the test fires timers itself
    with ``runtime.timers.run_due()`` after moving the clock.
    """
    from storage.migrate import upgrade

    settings = Settings.from_env({**service_env(standin, data_dir, database_url), **extra})
    await asyncio.to_thread(upgrade, settings.database_url)
    runtime = await build_runtime(settings, clock=clock)
    await start_runtime(runtime, timers=clock is None)
    # A knowledge base warming up in the background would make what the bot says after a
    # filing (the relevant articles) depend on timing: wait until it can answer.
    kb = runtime.extras.get("kb")
    if kb is not None:
        async with runtime.db.read() as session:
            laws = (await session.execute(text("SELECT 1 FROM kb_article LIMIT 1"))).first()
        for _ in range(600 if laws else 0):
            if kb.status().keyword_ready:
                break
            await asyncio.sleep(0.05)
    try:
        yield runtime
    finally:
        await stop_runtime(runtime)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServiceProcess:
    """``python main.py serve`` as a child process, for crash tests (SIGKILL) and benchmarks."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = {**os.environ, **env}
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "main.py"), "serve"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


async def texts(user: SimUser, n: int, timeout: float = 10.0) -> list[str]:  # noqa: ASYNC109
    return [m.text or "" for m in await user.wait_for_messages(n, timeout=timeout)]


async def assert_quiet(user: SimUser, seconds: float = 0.3) -> None:
    """Nothing more arrives: no reply was sent twice."""
    before = len(user.messages)
    await asyncio.sleep(seconds)
    extra = [m.text for m in user.messages[before:]]
    assert extra == [], f"unexpected extra messages: {extra}"
    assert user.seen == len(user.messages), [m.text for m in user.messages[user.seen :]]


async def add_room(
    s: AsyncSession,
    applicant: User,
    respondent: User,
    mediator: StaffAccount,
    *,
    number: str | None = None,
    unit_code: str = "default",
    dispute_type: str = "neighbour",
    facts: str = "噪音",
    claims: str = "停止",
    room_mode: str = "joint",
    names: tuple[str, str] = ("甲方", "乙方"),
) -> Case:
    """A case in mediation with its session open: applicant, respondent and mediator in the
    room. Tests seed rooms this way instead of walking the intake each time.

    The number comes from the case counter, as a filed case's does (``number``, when given,
    must be the one it hands out): seeded cases that bypassed it collided with the next case
    filed through the intake (``uq_cases_number``; issue 21)."""
    year, prefix = 2026, "示调"
    if number is not None:
        parsed = parse_case_number(number)
        assert parsed is not None, number
        year, prefix = parsed[0], parsed[1].removesuffix("字")
    serial = await next_sequence(s, unit_code, year)
    allocated = format_case_number(year, prefix, serial)
    assert number in (None, allocated), f"the case counter gives {allocated}, not {number}"
    case = Case(
        number=allocated,
        unit_code=unit_code,
        dispute_type=dispute_type,
        status="mediating",
        facts=facts,
        claims=claims,
        place="九龙坡区",
        room_mode=room_mode,
        session_open=True,
    )
    s.add_all([applicant, respondent, mediator, case])
    await s.flush()
    case.mediator_id = mediator.id
    pa = CaseParty(case_id=case.id, user_id=applicant.id, side="applicant", name=names[0])
    pr = CaseParty(case_id=case.id, user_id=respondent.id, side="respondent", name=names[1])
    s.add_all([pa, pr])
    await s.flush()
    s.add_all(
        [
            CaseMember(case_id=case.id, role="applicant", party_id=pa.id, user_id=applicant.id),
            CaseMember(case_id=case.id, role="respondent", party_id=pr.id, user_id=respondent.id),
            CaseMember(case_id=case.id, role="mediator", staff_id=mediator.id),
        ]
    )
    return case


async def seed_rooms(
    env: dict[str, str], rooms: int, *, first_id: int = 0
) -> list[tuple[int, int, int]]:
    """Rooms in session, created straight in the database: (applicant, respondent, mediator)."""
    from storage.migrate import upgrade

    settings = Settings.from_env(env)
    await asyncio.to_thread(upgrade, settings.database_url)
    runtime = await build_runtime(settings)
    ids: list[tuple[int, int, int]] = []
    async with runtime.db.write() as s:
        for i in range(rooms):
            a, r, m = 200_000 + first_id + i, 300_000 + first_id + i, 400_000 + first_id + i
            staff = StaffAccount(
                username=f"mediator{first_id + i}",
                display_name="调解员",
                password_hash="x",
                role="mediator",
                unit_code="default",
                telegram_id=m,
            )
            await add_room(s, User(telegram_id=a), User(telegram_id=r), staff)
            ids.append((a, r, m))
    await runtime.db.dispose()
    return ids


#: The other side's number ``tests.e2e.test_intake.walk_intake`` types: its invitation is bound
#: to it, so the invited person must be this phone's owner.
RESPONDENT_PHONE = "+8613987654321"


async def join_invited(user: SimUser, token: str) -> str:
    """``/start <token>`` as the invited person: the invitation is bound to the number the
    applicant gave, so they share their own contact first; returns the invitation's summary."""
    await user.send_command("/start", token)
    (ask,) = await texts(user, 1)
    assert "分享您的手机号" in ask, ask
    await user.press("📱 分享我的手机号")
    return (await texts(user, 2))[-1]
