"""Measure how many sendMessage calls per second the stand-in Bot API serves.

The server runs in its own process (``python -m standin``), pinned to one
CPU core when the OS allows, so the figure is "requests/s on one core" and is
not distorted by the load generator.  Clients are concurrent aiohttp
sessions sending form-encoded requests exactly like python-telegram-bot
(``chat_id``/``text`` plus ``reply_markup`` as a JSON string).

    .venv/bin/python benchmarks/standin_rps.py --duration 5 --concurrency 64 [--raw]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.process import standin_cli  # noqa: E402
from standin import StandinControl  # noqa: E402

TOKEN = "123456:benchmark-token"
MARKUP = json.dumps({"inline_keyboard": [[{"text": "同意", "callback_data": "consent:yes"}]]})


def _cpu_seconds(pid: int) -> float | None:
    """User+system CPU time of *pid* (Linux), to tell server- from client-bound runs."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _pin(pid: int, cpu: int) -> bool:
    try:
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(pid, {cpus[cpu % len(cpus)]})
        return True
    except (AttributeError, OSError):
        return False


async def _client(
    session: aiohttp.ClientSession, url: str, chats: int, worker: int, deadline: float
) -> tuple[int, int]:
    ok = failed = 0
    i = worker
    while time.monotonic() < deadline:
        data = {"chat_id": str(1000 + i % chats), "text": f"消息 {i}", "reply_markup": MARKUP}
        async with session.post(url, data=data) as response:
            await response.read()
            if response.status == 200:
                ok += 1
            else:
                failed += 1
        i += 1
    return ok, failed


async def _raw_client(url: str, chats: int, worker: int, deadline: float) -> tuple[int, int]:
    """Same requests over a bare keep-alive socket: a cheaper load generator, so a
    loaded machine measures the server rather than the client."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    head = f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
    head += "Content-Type: application/x-www-form-urlencoded\r\n"
    ok = failed = 0
    i = worker
    try:
        while time.monotonic() < deadline:
            body = urlencode(
                {"chat_id": str(1000 + i % chats), "text": f"消息 {i}", "reply_markup": MARKUP}
            ).encode()
            writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            await reader.readexactly(length)
            if status_line.split()[1] == b"200":
                ok += 1
            else:
                failed += 1
            i += 1
    finally:
        writer.close()
    return ok, failed


def _load(
    url: str, chats: int, concurrency: int, offset: int, duration: float, raw: bool
) -> tuple[int, int, float]:
    """One load-generator process: *concurrency* clients; returns (ok, failed, seconds)."""

    async def go() -> tuple[int, int, float]:
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:
            # Warm-up so connection setup is not part of the measurement.
            await _client(session, url, chats, 0, time.monotonic() + 0.3)
            started = time.monotonic()
            deadline = started + duration
            results = await asyncio.gather(
                *(
                    _raw_client(url, chats, offset * 10_000 + w, deadline)
                    if raw
                    else _client(session, url, chats, offset * 10_000 + w, deadline)
                    for w in range(concurrency)
                )
            )
            elapsed = time.monotonic() - started
        return sum(r[0] for r in results), sum(r[1] for r in results), elapsed

    return asyncio.run(go())


async def run(args: argparse.Namespace) -> float:
    """Start the server, load it for ``args.duration`` seconds, return requests/s.

    "Capacity" divides the calls the server counted by the CPU time it used,
    i.e. the rate one fully busy core would sustain; it is the honest figure
    when the load generators (sharing the machine) cannot saturate the server.
    """
    process, base = await standin_cli("--no-record-calls")
    try:
        pinned = _pin(process.pid, 0)
        async with StandinControl(base) as control:
            for chat in range(args.chats):
                await control.register_chat(1000 + chat)
            url = f"{base}/bot{TOKEN}/sendMessage"
            loop = asyncio.get_running_loop()
            calls_before = (await control.stats())["total_calls"]
            with ProcessPoolExecutor(args.processes) as pool:
                cpu_before = _cpu_seconds(process.pid)
                per_process = max(1, args.concurrency // args.processes)
                jobs = [
                    loop.run_in_executor(
                        pool, _load, url, args.chats, per_process, p, args.duration, args.raw
                    )
                    for p in range(args.processes)
                ]
                results = await asyncio.gather(*jobs)
                cpu_after = _cpu_seconds(process.pid)
            stats = await control.stats()
        ok = sum(r[0] for r in results)
        failed = sum(r[1] for r in results)
        elapsed = max(r[2] for r in results)
        rate = sum(r[0] / r[2] for r in results)
        if cpu_before is not None and cpu_after is not None and cpu_after > cpu_before:
            served = stats["total_calls"] - calls_before
            busy = (cpu_after - cpu_before) / elapsed
            capacity = served / (cpu_after - cpu_before)
            print(
                f"server CPU busy {busy:.0%} of one core; "
                f"capacity {capacity:,.0f} requests per server CPU-second"
            )
        print(
            f"sendMessage: {ok} ok, {failed} failed in {elapsed:.2f}s "
            f"with {args.concurrency} concurrent {'raw-socket' if args.raw else 'aiohttp'} "
            f"clients in {args.processes} process(es) "
            f"-> {rate:,.0f} requests/s "
            f"(server {'pinned to one core' if pinned else 'not pinned'}; "
            f"server counted {stats['calls'].get('sendMessage', 0)} sendMessage calls)"
        )
        return rate
    finally:
        process.terminate()
        await process.wait()


def main() -> None:
    """CLI entry point; exits non-zero when the rate is below ``--min-rps``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--processes", type=int, default=2, help="load-generator processes")
    parser.add_argument("--min-rps", type=float, default=0.0)
    parser.add_argument(
        "--raw", action="store_true", help="bare keep-alive sockets instead of aiohttp clients"
    )
    args = parser.parse_args()
    rate = asyncio.run(run(args))
    if rate < args.min_rps:
        raise SystemExit(f"below the required {args.min_rps:,.0f} requests/s")


if __name__ == "__main__":
    main()
