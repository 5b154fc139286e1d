"""Dispatch latency: from a grid worker's report to the lead post's alert (issue 24).

Usage (from the project root)::

    .venv/bin/python benchmarks/street/dispatch_latency.py                 # SQLite
    .venv/bin/python benchmarks/street/dispatch_latency.py --reports 40 --burst 10 \
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench

The whole service runs in this process against the stand-in Bot API over real HTTP, in long
polling mode, with the 悦来 units file of the tests (tests/street/units.toml). Send limits: none
by default (the service's own latency, as the tests run it); ``--production-limits`` applies
Telegram's (30 messages/s, 1/s per chat with bursts of 3). A grid worker walks ``/report``
up to the summary (unmeasured); what is timed is from the moment the worker presses
✅ 确认登记 (the callback reaches the stand-in) to the moment the stand-in receives the task card
for the lead post's member (市政建管岗, linked to Telegram): the case filed, the invitations
issued, the rule applied, the tasks and their deadline timers written, the alert queued,
sent and delivered. Two shapes:

- ``sequential``: one report at a time (a street's ordinary day);
- ``burst``: ``--burst`` grid workers press at the same moment (a crowd met by several workers
  at once); all alerts go to the same lead, so with ``--production-limits`` Telegram's per-chat
  limit (1 message/s after a burst of 3) sets the tail, as it would in production.

Prints one JSON object (p50/p95/max per shape, in ms) and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks.common import summary  # noqa: E402
from benchmarks.street.common import street_service  # noqa: E402
from harness.steps import STREET_REPORT, link_staff, take_step, wait_text  # noqa: E402
from standin.simulation import SimUser  # noqa: E402

SUBMIT = "✅ 确认登记"


async def up_to_summary(worker: SimUser) -> None:
    """Every step of the scripted report but the last (the press that files it)."""
    for action, argument, marker in STREET_REPORT[:-1]:
        await take_step(worker, action, argument)
        await wait_text(worker, marker)


async def timed_submit(worker: SimUser, lead: SimUser, number: str) -> float:
    """Seconds from the press to the lead's card naming case ``number``."""
    start = time.perf_counter()
    await worker.press(SUBMIT)
    await wait_text(lead, number, timeout=120)
    return time.perf_counter() - start


def number_of(n: int) -> str:
    return f"（2026）悦来调字第{n:04d}号"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=30, help="sequential reports")
    parser.add_argument("--burst", type=int, default=10, help="workers pressing at once")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--production-limits", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    limits = {"TELEGRAM_RATE_GLOBAL": "30", "TELEGRAM_RATE_PER_CHAT": "1"}
    async with street_service(
        "units.toml", args.database_url, env=limits if args.production_limits else None
    ) as (standin, service):
        runtime = service.runtime
        lead = await link_staff(
            runtime, standin, "jianguan", 8000, unit_code="yuelai", display_name="赵建管"
        )
        workers = [
            await link_staff(
                runtime,
                standin,
                f"wangge{i}",
                8100 + i,
                role="grid",
                unit_code="yuelai-sq",
                telegram_username=None,
            )
            for i in range(max(1, args.burst))
        ]
        filed = 0
        sequential = []
        for _ in range(args.reports):
            await up_to_summary(workers[0])
            filed += 1
            sequential.append(await timed_submit(workers[0], lead, number_of(filed)))
            await asyncio.sleep(1.1)  # the lead's chat back under its per-chat limit
        await asyncio.gather(*(up_to_summary(w) for w in workers))
        await asyncio.sleep(3.5)  # the lead's per-chat budget refilled
        start = time.perf_counter()
        arrived: list[float] = []

        async def one(worker: SimUser) -> None:
            await worker.press(SUBMIT)

        await asyncio.gather(*(one(w) for w in workers))
        wanted = {number_of(filed + i + 1) for i in range(len(workers))}
        while wanted:
            message = await wait_text(lead, "悦来调字第", timeout=120)
            hit = next((n for n in wanted if n in (message.text or "")), None)
            if hit is not None:
                wanted.discard(hit)
                arrived.append(time.perf_counter() - start)
    print(
        json.dumps(
            {
                "database": "postgresql" if args.database_url else "sqlite",
                "limits": "production" if args.production_limits else "none",
                "sequential": summary(sequential),
                "burst": {"workers": len(arrived), **summary(arrived)},
                "load": os.getloadavg()[0],
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
