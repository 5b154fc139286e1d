"""Updates per second through the whole stack: stand-in Bot API → webhook → inbox → handling →
DB → outbox → sendMessage, with many chats at once.

The service runs as its own process (``main.py serve`` in webhook mode); this process runs the
stand-in Bot API and 200 simulated parties, each walking the intake conversation and waiting for
each reply before sending the next message, as a person does. Every reply is checked: none lost,
none doubled, none out of order.

    .venv/bin/python benchmarks/bot_throughput.py --chats 200 --rounds 2
    .venv/bin/python benchmarks/bot_throughput.py --chats 200 --rounds 2 --latency 0.05
    .venv/bin/python benchmarks/bot_throughput.py --database postgresql://postgres@127.0.0.1/bench
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import cpu_seconds, report, rss_mb  # noqa: E402
from harness import free_port  # noqa: E402
from harness.process import serving_process, webhook_env  # noqa: E402
from harness.steps import NEIGHBOUR_INTAKE, take_step  # noqa: E402
from standin import StandinBotAPI  # noqa: E402
from standin.simulation import SimUser  # noqa: E402

SCRIPT = NEIGHBOUR_INTAKE


class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.updates = 0
        self.replies = 0
        self.errors: list[str] = []


async def party(user: SimUser, rounds: int, tally: Tally, timeout: float) -> None:  # noqa: ASYNC109
    for _ in range(rounds):
        for action, arg, markers in SCRIPT:
            started = time.perf_counter()
            try:
                await take_step(user, action, arg)
                got = await user.wait_for_messages(len(markers), timeout=timeout)
            except AssertionError as exc:
                tally.errors.append(f"chat {user.user_id}: {exc}")
                return
            tally.latencies.append(time.perf_counter() - started)
            tally.updates += 1
            tally.replies += len(got)
            for marker, message in zip(markers, got, strict=True):
                if marker not in (message.text or ""):
                    tally.errors.append(
                        f"chat {user.user_id}: expected {marker!r}, got {message.text!r}"
                    )
                    return


async def run(args: argparse.Namespace) -> dict[str, object]:
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        async with StandinBotAPI() as standin:
            env = webhook_env(standin, Path(tmp) / "var", port, args.database)
            async with serving_process(env, Path(tmp) / "service.log", standin) as svc:
                assert svc.proc is not None
                standin.latency = args.latency
                if args.warmup_chats:
                    # Other parties walk the intake first, unmeasured: the first filed cases load
                    # what the service loads on first use (the seal key and pyHanko, compiled
                    # statements), a one-time cost that is start-up, not handling.
                    warm = [
                        standin.user(900_000 + i, phone=f"+86137{i:08d}")
                        for i in range(args.warmup_chats)
                    ]
                    await asyncio.gather(*(party(u, 1, Tally(), args.timeout) for u in warm))
                users = [
                    standin.user(100_000 + i, phone=f"+86138{i:08d}") for i in range(args.chats)
                ]
                tally = Tally()
                cpu0 = cpu_seconds(svc.proc.pid)
                driver0 = time.process_time()
                started = time.perf_counter()
                await asyncio.gather(*(party(u, args.rounds, tally, args.timeout) for u in users))
                elapsed = time.perf_counter() - started
                cpu = cpu_seconds(svc.proc.pid) - cpu0
                driver_cpu = time.process_time() - driver0
                await asyncio.sleep(0.5)
                extra = sum(len(u.messages) - u.seen for u in users)
                rss = rss_mb(svc.proc.pid)
    lat = sorted(tally.latencies)

    def pct(p: float) -> float:
        return round(1000 * lat[min(len(lat) - 1, int(p * len(lat)))], 1) if lat else 0.0

    return {
        "chats": args.chats,
        "rounds": args.rounds,
        "warmup_chats": args.warmup_chats,
        "added_latency_ms": round(args.latency * 1000),
        "database": (args.database or "sqlite").split(":")[0],
        "updates": tally.updates,
        "replies": tally.replies,
        "elapsed_s": round(elapsed, 2),
        "updates_per_s": round(tally.updates / elapsed, 1),
        "latency_ms_p50": round(1000 * statistics.median(lat), 1) if lat else None,
        "latency_ms_p95": pct(0.95),
        "latency_ms_p99": pct(0.99),
        "service_cpu_s": round(cpu, 1),
        "service_cpu_ms_per_update": round(1000 * cpu / max(1, tally.updates), 2),
        "driver_cpu_s": round(driver_cpu, 1),
        "load_average": os.getloadavg()[0],
        "service_rss_mb": round(rss, 1),
        "wrong_or_missing_replies": len(tally.errors),
        "extra_replies": extra,
        "first_errors": tally.errors[:3],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2, help="intakes per chat (14 updates each)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per Bot API call")
    parser.add_argument("--database", default=None, help="DATABASE_URL (default: SQLite)")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument(
        "--warmup-chats",
        type=int,
        default=0,
        help="parties that walk one intake before the measured ones (not counted)",
    )
    report(asyncio.run(run(parser.parse_args())), "wrong_or_missing_replies", "extra_replies")


if __name__ == "__main__":
    main()
