"""Load and soak: 1,000 simulated users and 20,000 updates through the stand-in Bot API.

The service runs as its own process (``main.py serve``, webhook mode). Users: 40 % walk the
intake conversation (commands, buttons, free text); the rest sit in 200 seeded mediation rooms
(applicant, respondent, mediator): the parties talk (each message relayed to the two others)
and ask commands (/help, /cases). Every reply is checked — none missing, none wrong, none
extra — and the latency of each update is measured from the moment the stand-in queued it to
the moment its last expected reply reached the stand-in.

At the end the invariant checker (services.invariants) runs over the service's database and
the stand-in's record: its findings are part of the result.

    .venv/bin/python benchmarks/reliability/load.py                      # 20,000 updates
    nice .venv/bin/python benchmarks/reliability/load.py --soak 1800 --rate 20

``--soak SECONDS`` runs the same mix at a steady ``--rate`` (updates/s) for that long and
samples the service's RSS every 10 s: it reports the slope (MB/min, least squares) and the
first and last five-minute averages, to show memory stays flat.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks.common import cpu_seconds, report, rss_mb  # noqa: E402
from harness import free_port  # noqa: E402
from harness.process import serving_process, webhook_env  # noqa: E402
from harness.seed import seed_rooms  # noqa: E402
from harness.steps import NEIGHBOUR_INTAKE  # noqa: E402
from standin import StandinBotAPI  # noqa: E402
from standin.simulation import SimUser  # noqa: E402

#: The intake, as bot_throughput walks it.
INTAKE = NEIGHBOUR_INTAKE
COMMANDS = (("/help", "可用命令"), ("/cases", "您的案件"))


class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        #: (seconds since start, latency): to tell a slow service from a starved host.
        self.timeline: list[tuple[float, float]] = []
        self.t0 = time.monotonic()
        self.updates = 0
        self.errors: list[str] = []
        self.stop_at = float("inf")
        self.budget = 0  # updates still to send (load mode)

    def take(self) -> bool:
        if time.monotonic() >= self.stop_at or self.budget <= 0:
            return False
        self.budget -= 1
        return True


async def pace(think: float) -> None:
    if think > 0:
        await asyncio.sleep(random.uniform(0.5 * think, 1.5 * think))


async def timed(
    tally: Tally, send: object, waits: list[tuple[SimUser, int]], wait_s: float
) -> list[list[str]] | None:
    """Send one update, wait for the expected number of replies per user; None on error."""
    started = time.perf_counter()
    try:
        await send  # type: ignore[misc]
        got = [
            [m.text or "" for m in await u.wait_for_messages(n, timeout=wait_s)] for u, n in waits
        ]
    except AssertionError as exc:
        tally.errors.append(str(exc)[:300])
        return None
    latency = time.perf_counter() - started
    tally.latencies.append(latency)
    tally.timeline.append((time.monotonic() - tally.t0, latency))
    tally.updates += 1
    return got


async def intake_user(user: SimUser, tally: Tally, think: float, wait_s: float) -> None:
    while True:
        for action, arg, markers in INTAKE:
            if not tally.take():
                return
            await pace(think)
            send = (
                user.send_command(arg)
                if action == "command"
                else user.press(arg)
                if action == "press"
                else user.send_text(arg)
            )
            got = await timed(tally, send, [(user, len(markers))], wait_s)
            if got is None:
                return
            for marker, text in zip(markers, got[0], strict=True):
                if marker not in text:
                    tally.errors.append(f"chat {user.user_id}: expected {marker!r}, got {text!r}")
                    return


async def room_users(
    people: tuple[SimUser, SimUser, SimUser], tally: Tally, think: float, wait_s: float
) -> None:
    applicant, respondent, mediator = people
    k = 0
    while tally.take():
        await pace(think)
        speaker = (applicant, respondent)[k % 2]
        if k % 3 == 2:
            command, marker = COMMANDS[(k // 3) % 2]
            got = await timed(tally, speaker.send_command(command), [(speaker, 1)], wait_s)
            if got is None:
                return
            if marker not in got[0][0]:
                tally.errors.append(f"{speaker.user_id}: {command} answered {got[0][0]!r}")
                return
        else:
            text = f"第{k}条 {speaker.user_id} 关于噪音的意见"
            listeners = [p for p in (applicant, respondent, mediator) if p is not speaker]
            got = await timed(tally, speaker.send_text(text), [(u, 1) for u in listeners], wait_s)
            if got is None:
                return
            for u, texts in zip(listeners, got, strict=True):
                if text not in texts[0]:
                    tally.errors.append(f"{u.user_id} got {texts[0]!r}, wanted {text!r}")
                    return
        k += 1


async def sample_rss(
    pid: int, samples: list[tuple[float, float]], loads: list[float], every: float
) -> None:
    t0 = time.monotonic()
    while True:
        samples.append((time.monotonic() - t0, rss_mb(pid)))
        loads.append(os.getloadavg()[0])
        await asyncio.sleep(every)


def slope_mb_per_min(samples: list[tuple[float, float]]) -> float:
    if len(samples) < 2:
        return 0.0
    xs = [t / 60 for t, _ in samples]
    ys = [m for _, m in samples]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


async def run(args: argparse.Namespace) -> dict[str, object]:
    from services.invariants import check
    from storage.db import Database

    random.seed(args.seed)
    port = free_port()
    rooms_n = args.rooms
    intake_n = args.users - 3 * rooms_n
    with tempfile.TemporaryDirectory() as tmp:
        async with StandinBotAPI(record_calls=False) as standin:
            env = webhook_env(standin, Path(tmp) / "var", port, args.database)
            # Numbers far above the intake's own (seeded rows do not move the case counter).
            ids = await seed_rooms(env, rooms_n, first_id=50_000)
            log_path = Path(tmp) / "service.log"
            samples: list[tuple[float, float]] = []
            try:
                async with serving_process(env, log_path, standin, attempts=1200) as svc:
                    assert svc.proc is not None
                    pid = svc.proc.pid
                    rooms = [tuple(standin.user(i) for i in trio) for trio in ids]
                    for room in rooms:
                        for u in room:
                            u.register()
                    intakers = [
                        standin.user(100_000 + i, phone=f"+86138{i:08d}") for i in range(intake_n)
                    ]
                    tally = Tally()
                    loads: list[float] = []
                    if args.soak:
                        tally.budget = 10**9
                        tally.stop_at = time.monotonic() + args.soak
                        # Each of the n actors sends one update per ``think`` s on average.
                        actors = intake_n + rooms_n
                        think = actors / args.rate
                    else:
                        tally.budget = args.updates
                        think = 0.0
                    sampler = asyncio.create_task(
                        sample_rss(pid, samples, loads, args.sample_every)
                    )
                    cpu0 = cpu_seconds(pid)
                    load0 = os.getloadavg()
                    started = time.perf_counter()
                    await asyncio.gather(
                        *(intake_user(u, tally, think, args.timeout) for u in intakers),
                        *(room_users(r, tally, think, args.timeout) for r in rooms),  # type: ignore[arg-type]
                    )
                    elapsed = time.perf_counter() - started
                    sampler.cancel()
                    cpu = cpu_seconds(pid) - cpu0
                    await asyncio.sleep(1.0)
                    everyone = intakers + [u for r in rooms for u in r]
                    extra = sum(len(u.messages) - u.seen for u in everyone)
                    rss = rss_mb(pid)
                    load1 = os.getloadavg()
                    db = Database(
                        env.get("DATABASE_URL") or f"sqlite+aiosqlite:///{tmp}/var/mediation.db"
                    )
                    delivered = {u.chat_id: [m.message_id for m in u.messages] for u in everyone}
                    checked_at = datetime.now(UTC)
                    report = await check(
                        db, grace=timedelta(seconds=0), delivered=delivered, now=checked_at
                    )
                    await db.dispose()
            finally:
                if args.log_out:
                    log_text = await asyncio.to_thread(log_path.read_text)
                    await asyncio.to_thread(Path(args.log_out).write_text, log_text)
    lat = sorted(tally.latencies)

    def pct(p: float) -> float | None:
        return round(1000 * lat[min(len(lat) - 1, int(p * len(lat)))], 1) if lat else None

    result: dict[str, object] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "mode": f"soak {args.soak}s at {args.rate}/s" if args.soak else "load",
        "users": intake_n + 3 * rooms_n,
        "intake_users": intake_n,
        "rooms": rooms_n,
        "database": (args.database or "sqlite").split(":")[0],
        "updates": tally.updates,
        "elapsed_s": round(elapsed, 1),
        "updates_per_s": round(tally.updates / elapsed, 1),
        "latency_ms_p50": round(1000 * statistics.median(lat), 1) if lat else None,
        "latency_ms_p99": pct(0.99),
        "latency_ms_max": round(1000 * lat[-1], 1) if lat else None,
        "errors": len(tally.errors),
        "extra_replies": extra,
        "invariant_findings": sum(report.counts.values()),
        "invariant_counts": dict(report.counts),
        "service_cpu_s": round(cpu, 1),
        "service_cpu_ms_per_update": round(1000 * cpu / max(1, tally.updates), 2),
        "service_rss_mb_end": round(rss, 1),
        "load_average_start_end": [round(load0[0], 2), round(load1[0], 2)],
        "first_errors": tally.errors[:3],
        "first_findings": report.findings[:5],
    }
    windows: dict[int, list[float]] = {}
    for t, latency in tally.timeline:
        windows.setdefault(int(t // 300), []).append(latency)
    result["latency_ms_p50_p99_per_5min"] = [
        [
            round(1000 * statistics.median(v), 1),
            round(1000 * sorted(v)[int(0.99 * (len(v) - 1))], 1),
        ]
        for _, v in sorted(windows.items())
    ]
    if loads:
        per = max(1, int(300 / args.sample_every))
        result["load_average_per_5min"] = [
            round(statistics.fmean(loads[i : i + per]), 1) for i in range(0, len(loads), per)
        ]
    if samples:
        window = 300.0
        first = [m for t, m in samples if t < window]
        last = [m for t, m in samples if t > samples[-1][0] - window]
        result |= {
            "rss_samples": len(samples),
            "rss_mb_min_max": [
                round(min(m for _, m in samples), 1),
                round(max(m for _, m in samples), 1),
            ],
            "rss_slope_mb_per_min": round(slope_mb_per_min(samples), 3),
            "rss_slope_after_warmup_mb_per_min": round(
                slope_mb_per_min([s for s in samples if s[0] >= window]), 3
            ),
            "rss_mb_first_5min_avg": round(statistics.fmean(first), 1) if first else None,
            "rss_mb_last_5min_avg": round(statistics.fmean(last), 1) if last else None,
        }
        if args.samples_out:
            rows = "\n".join(f"{t:.0f}\t{m:.1f}" for t, m in samples) + "\n"
            await asyncio.to_thread(Path(args.samples_out).write_text, rows)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--rooms", type=int, default=200, help="rooms of 3 among the users")
    parser.add_argument("--updates", type=int, default=20_000)
    parser.add_argument("--soak", type=float, default=0.0, help="seconds at a steady rate")
    parser.add_argument("--rate", type=float, default=20.0, help="updates/s in soak mode")
    parser.add_argument("--sample-every", type=float, default=10.0)
    parser.add_argument("--samples-out", default=None, help="write (seconds, RSS MB) rows")
    parser.add_argument("--database", default=None, help="DATABASE_URL (default: SQLite)")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--log-out", default=None, help="copy the service's log here")
    report(asyncio.run(run(parser.parse_args())), "errors", "extra_replies", "invariant_findings")


if __name__ == "__main__":
    main()
