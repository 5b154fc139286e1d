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
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import cpu_seconds, rss_mb, wait_ready  # noqa: E402
from bot.standin import StandinBotAPI  # noqa: E402
from bot.standin.simulation import SimUser  # noqa: E402
from core.config import Settings  # noqa: E402
from main import build_runtime  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Case, CaseMember, CaseParty, StaffAccount, User  # noqa: E402
from tests.e2e.harness import ServiceProcess, free_port, service_env  # noqa: E402


async def seed_rooms(env: dict[str, str], rooms: int) -> list[tuple[int, int, int]]:
    """Rooms in session, created straight in the database: (applicant, respondent, mediator)."""
    settings = Settings.from_env(env)
    await asyncio.to_thread(upgrade, settings.database_url)
    runtime = await build_runtime(settings)
    ids: list[tuple[int, int, int]] = []
    async with runtime.db.write() as s:
        for i in range(rooms):
            a, r, m = 200_000 + i, 300_000 + i, 400_000 + i
            ua, ur = User(telegram_id=a), User(telegram_id=r)
            staff = StaffAccount(
                username=f"mediator{i}",
                display_name="调解员",
                password_hash="x",
                role="mediator",
                unit_code="default",
                telegram_id=m,
            )
            case = Case(
                number=f"（2026）示调字第{i + 1:04d}号",
                unit_code="default",
                dispute_type="neighbour",
                status="mediating",
                facts="噪音",
                claims="停止",
                place="九龙坡区",
                room_mode="joint",
                session_open=True,
            )
            s.add_all([ua, ur, staff, case])
            await s.flush()
            case.mediator_id = staff.id
            pa = CaseParty(case_id=case.id, user_id=ua.id, side="applicant", name="甲方")
            pr = CaseParty(case_id=case.id, user_id=ur.id, side="respondent", name="乙方")
            s.add_all([pa, pr])
            await s.flush()
            s.add_all(
                [
                    CaseMember(case_id=case.id, role="applicant", party_id=pa.id, user_id=ua.id),
                    CaseMember(case_id=case.id, role="respondent", party_id=pr.id, user_id=ur.id),
                    CaseMember(case_id=case.id, role="mediator", staff_id=staff.id),
                ]
            )
            ids.append((a, r, m))
    await runtime.db.dispose()
    return ids


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
            env = {
                **service_env(standin, Path(tmp) / "var"),
                "WEB_PORT": str(port),
                "PUBLIC_URL": f"http://127.0.0.1:{port}",
                "LOG_LEVEL": "WARNING",
            }
            if limits:
                env.pop("TELEGRAM_RATE_GLOBAL")
                env.pop("TELEGRAM_RATE_PER_CHAT")
            ids = await seed_rooms(env, args.rooms)
            svc = ServiceProcess(env, Path(tmp) / "service.log")
            svc.start()
            try:
                await wait_ready(port, svc, standin)
                assert svc.proc is not None
                rooms = [tuple(standin.user(i) for i in trio) for trio in ids]
                for room in rooms:
                    for u in room:
                        u.register()
                latencies: list[float] = []
                errors: list[str] = []
                cpu0 = cpu_seconds(svc.proc.pid)
                started = time.perf_counter()
                await asyncio.gather(
                    *(room_talk(r, args.messages, latencies, errors) for r in rooms)
                )  # type: ignore[arg-type]
                elapsed = time.perf_counter() - started
                cpu = cpu_seconds(svc.proc.pid) - cpu0
                rss = rss_mb(svc.proc.pid)
                violations = standin.rate_limit_violations
            finally:
                svc.stop()
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
    result = asyncio.run(run(parser.parse_args()))
    print(json.dumps(result, ensure_ascii=False))
    if result["errors"] or result["rate_limit_violations"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
