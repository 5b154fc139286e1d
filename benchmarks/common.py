"""Helpers shared by the service benchmarks (process CPU and memory, readiness)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import aiohttp

from standin import StandinBotAPI
from tests.e2e.harness import ServiceProcess


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def wait_ready(port: int, svc: ServiceProcess, standin: StandinBotAPI) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                    if resp.status == 200 and standin.calls_to("setWebhook"):
                        return
            except aiohttp.ClientError:
                pass
            assert svc.proc is not None and svc.proc.poll() is None, svc.log_path.read_text()
            await asyncio.sleep(0.1)
    raise SystemExit("service did not start:\n" + svc.log_path.read_text())
