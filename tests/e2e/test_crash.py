"""SIGKILL mid-intake: the party finishes where they stopped; nothing lost, nothing answered twice.

The service runs as a real child process (``main.py serve``) against the stand-in Bot API. Each
crash lands at an exact point: while idle, between storing an update and handling it, and
between handling it and sending the reply (``core.faults``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from harness.process import answers_health
from harness.steps import NEIGHBOUR_INTAKE, walk_steps
from standin import StandinBotAPI
from storage.db import Database
from storage.models import Case, InboxUpdate
from tests.e2e.harness import ServiceProcess, assert_quiet, free_port, service_env, texts

pytestmark = pytest.mark.slow


async def wait_healthy(port: int, proc: ServiceProcess, timeout: float = 120) -> None:  # noqa: ASYNC109
    deadline = asyncio.get_running_loop().time() + timeout
    async with aiohttp.ClientSession() as http:
        while True:
            assert proc.proc is not None and proc.proc.poll() is None, proc.log_path.read_text()
            if await answers_health(http, port):
                return
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("service did not come up:\n" + proc.log_path.read_text())
            await asyncio.sleep(0.1)


async def restart(svc: ServiceProcess, port: int, fault: str | None = None) -> None:
    svc.env.pop("MEDIATION_FAULT", None)
    if fault:
        svc.env["MEDIATION_FAULT"] = fault
    svc.start()
    await wait_healthy(port, svc)


async def wait_exit(svc: ServiceProcess) -> int:
    assert svc.proc is not None
    return await asyncio.to_thread(svc.proc.wait, 60)


async def crash_while(
    svc: ServiceProcess, port: int, fault: str, step: Callable[[], Awaitable[object]]
) -> None:
    """The service, killed and started again with ``fault`` armed, dies at that point (exit
    137) while handling ``step``, the person's next update; then it starts again cleanly."""
    await asyncio.sleep(0.3)
    svc.kill()
    await restart(svc, port, fault=fault)
    await step()
    assert await wait_exit(svc) == 137
    await restart(svc, port)


async def test_sigkill_mid_intake_loses_nothing(tmp_path: Path) -> None:
    port = free_port()
    async with StandinBotAPI() as standin:
        env = {**service_env(standin, tmp_path / "var"), "WEB_PORT": str(port)}
        svc = ServiceProcess(env, tmp_path / "service.log")
        user = standin.user(5005, phone="+8613800000005")
        try:
            await restart(svc, port)
            await user.send_command("/start")
            await texts(user, 2)
            await user.press("同意，开始登记")
            await texts(user, 1)

            # 1. SIGKILL while idle; the next answer is given while the service is down.
            await asyncio.sleep(0.3)
            svc.kill()
            await user.press("劳动争议/欠薪")
            await restart(svc, port)
            assert "发生了什么" in (await texts(user, 1))[0]

            # 2. Crash right after the update is stored in the inbox, before it is handled.
            facts = "老板拖欠我三个月工资共一万二千元，多次催要都说没钱。"
            await crash_while(svc, port, "after_inbox_accept", lambda: user.send_text(facts))
            assert "证据" in (await texts(user, 1))[0]

            # 3. Crash after the state change is committed, before the reply is sent.
            await crash_while(svc, port, "before_send", lambda: user.press("下一步"))
            assert "申请事项" in (await texts(user, 1))[0]

            # The party finishes normally.
            await walk_steps(
                user,
                [
                    ("text", "支付拖欠的工资", ["金额"]),
                    ("text", "12000", ["哪里"]),
                    ("text", "九龙坡区杨家坪街道", ["姓名"]),
                    ("text", "张三", ["手机号"]),
                    ("text", "13800000005", ["手机号已保存", "身份证"]),
                    *NEIGHBOUR_INTAKE[-4:],  # no ID number, the other side by name only: filed
                ],
            )
            await assert_quiet(user, 0.5)
        finally:
            svc.stop()

        db = Database(env_url(tmp_path))
        try:
            async with db.read() as s:
                assert (await s.execute(select(func.count()).select_from(Case))).scalar_one() == 1
                statuses = set((await s.execute(select(InboxUpdate.status))).scalars())
            assert statuses == {"done"}
        finally:
            await db.dispose()
        texts_seen = [m.text for m in user.messages]
        assert len(texts_seen) == len(set(texts_seen)), "a reply was sent twice"


def env_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{(tmp_path / 'var' / 'mediation.db').resolve()}"
