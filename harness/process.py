"""``python main.py serve`` as a child process: for crash tests (SIGKILL), replicas and the
throughput benchmarks, where the service must be a process of its own."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from harness.env import service_env
from standin import StandinBotAPI

if TYPE_CHECKING:
    import aiohttp

#: The checkout: ``main.py`` lives here.
ROOT = Path(__file__).resolve().parents[1]


class ServiceProcess:
    """The service as a child process, its output appended to ``log_path``."""

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


def webhook_env(
    standin: StandinBotAPI, data_dir: Path, port: int, database_url: str | None = None
) -> dict[str, str]:
    """A service process's settings: the stand-in's, webhook mode on ``port`` (the stand-in
    pushes updates, as Telegram does in production) and only warnings in its log."""
    return {
        **service_env(standin, data_dir, database_url),
        "WEB_PORT": str(port),
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "LOG_LEVEL": "WARNING",
    }


async def wait_ready(
    port: int, svc: ServiceProcess, standin: StandinBotAPI, attempts: int = 300
) -> None:
    """Up (``/healthz``) and its webhook set at the stand-in, looking every 0.1 s; exits with
    the service's log when it died or never came up."""
    import aiohttp

    async with aiohttp.ClientSession() as http:
        for _ in range(attempts):
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                    if resp.status == 200 and standin.method_counts.get("setWebhook"):
                        return
            except aiohttp.ClientError:
                pass
            if svc.proc is None or svc.proc.poll() is not None:
                raise SystemExit("service exited:\n" + svc.log_path.read_text())
            await asyncio.sleep(0.1)
    raise SystemExit("service did not start:\n" + svc.log_path.read_text())


@asynccontextmanager
async def serving_process(
    env: dict[str, str], log_path: Path, standin: StandinBotAPI, *, attempts: int = 300
) -> AsyncIterator[ServiceProcess]:
    """``main.py serve`` started with ``env`` (see :func:`webhook_env`), ready, and stopped
    on leaving."""
    svc = ServiceProcess(env, log_path)
    svc.start()
    try:
        await wait_ready(int(env["WEB_PORT"]), svc, standin, attempts)
        yield svc
    finally:
        svc.stop()


async def standin_cli(
    *options: str,
    cwd: Path = ROOT,
    env: Mapping[str, str] | None = None,
    timeout: float = 15.0,  # noqa: ASYNC109
) -> tuple[asyncio.subprocess.Process, str]:
    """``python -m standin --port 0 <options>`` as a child process (its stdout piped), and the
    base URL it prints once it listens; the caller terminates it. A server that does not say
    where it listens within ``timeout`` seconds is terminated and the wait's error raised."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "standin",
        "--port",
        "0",
        *options,
        stdout=asyncio.subprocess.PIPE,
        env=None if env is None else dict(env),
        cwd=cwd,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), timeout)).decode()
    except BaseException:
        process.terminate()
        await process.wait()
        raise
    return process, line.strip().rsplit(" ", 1)[-1]


async def answers_health(http: aiohttp.ClientSession, port: int) -> bool:
    """Whether the service on ``port`` answers ``/healthz`` with 200 now (a refused or broken
    connection: not up yet), for callers that wait for it in their own way."""
    import aiohttp

    try:
        async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
            return resp.status == 200
    except aiohttp.ClientError:
        return False
