"""Relay latency and throughput: 100 mediation rooms of 3 people (applicant, respondent,
mediator) talking at once in joint mode, through the service as its own process.

Latency is measured from a party sending a message to the last of the other two members
receiving their copy. Two runs:

- ``--limits off``: the stand-in does not throttle and the service's limiter is off (raw speed);
- ``--limits telegram``: the service keeps Telegram's limits (30/s per bot, ~1/s per chat) and
  the stand-in enforces them: every copy must still arrive, late rather than never, with zero
  violations.

    .venv/bin/python benchmarks/relay.py --rooms 100 --messages 5 --limits off
    .venv/bin/python benchmarks/relay.py --rooms 100 --messages 2 --limits telegram
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
from harness.seed import seed_rooms  # noqa: E402
from standin import StandinBotAPI  # noqa: E402
from standin.simulation import SimUser  # noqa: E402


async def room_talk(
    people: tuple[SimUser, SimUser, SimUser],
    messages: int,
    latencies: list[float],
    errors: list[str],
) -> None:
    applicant, respondent, mediator = people
    for k in range(messages):
        speaker, listeners = (
            (applicant, (respondent, mediator))
            if k % 2 == 0
            else (respondent, (applicant, mediator))
        )
        started = time.perf_counter()
        text = f"第{k}条消息 {speaker.user_id}"
        await speaker.send_text(text)
        try:
            for listener in listeners:
                (got,) = await listener.wait_for_messages(1, timeout=120)
                if text not in (got.text or ""):
                    errors.append(f"{listener.user_id} got {got.text!r}, wanted {text!r}")
        except AssertionError as exc:
            errors.append(str(exc)[:200])
            return
        latencies.append(time.perf_counter() - started)


async def run(args: argparse.Namespace) -> dict[str, object]:
    port = free_port()
    limits = args.limits == "telegram"
    with tempfile.TemporaryDirectory() as tmp:
        async with StandinBotAPI(enforce_rate_limits=limits) as standin:
            env = webhook_env(standin, Path(tmp) / "var", port)
            if limits:
                env.pop("TELEGRAM_RATE_GLOBAL")
                env.pop("TELEGRAM_RATE_PER_CHAT")
            ids = await seed_rooms(env, args.rooms)
            async with serving_process(env, Path(tmp) / "service.log", standin) as svc:
                assert svc.proc is not None
                rooms = [(standin.user(a), standin.user(r), standin.user(m)) for a, r, m in ids]
                for room in rooms:
                    for u in room:
                        u.register()
                latencies: list[float] = []
                errors: list[str] = []
                cpu0 = cpu_seconds(svc.proc.pid)
                started = time.perf_counter()
                await asyncio.gather(
                    *(room_talk(r, args.messages, latencies, errors) for r in rooms)
                )
                elapsed = time.perf_counter() - started
                cpu = cpu_seconds(svc.proc.pid) - cpu0
                rss = rss_mb(svc.proc.pid)
                violations = standin.rate_limit_violations
    lat = sorted(latencies)
    relayed = len(latencies)
    return {
        "rooms": args.rooms,
        "messages_per_room": args.messages,
        "limits": args.limits,
        "relayed_messages": relayed,
        "copies_delivered": relayed * 2,
        "elapsed_s": round(elapsed, 2),
        "relayed_per_s": round(relayed / elapsed, 1),
        "copies_per_s": round(2 * relayed / elapsed, 1),
        "latency_ms_p50": round(1000 * statistics.median(lat), 1) if lat else None,
        "latency_ms_p95": round(1000 * lat[int(0.95 * (len(lat) - 1))], 1) if lat else None,
        "service_cpu_s": round(cpu, 1),
        "load_average": os.getloadavg()[0],
        "service_rss_mb": round(rss, 1),
        "rate_limit_violations": violations,
        "errors": len(errors),
        "first_errors": errors[:3],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rooms", type=int, default=100)
    parser.add_argument("--messages", type=int, default=5, help="messages per room")
    parser.add_argument("--limits", choices=["off", "telegram"], default="off")
    report(asyncio.run(run(parser.parse_args())), "errors", "rate_limit_violations")


if __name__ == "__main__":
    main()
