"""Browser-chat latency: rooms of two browser parties (websockets) talking at once.

Each room's applicant sends ``--messages`` messages one after another over its websocket; the
latency of one is from sending it to the respondent's page receiving the relayed copy (inbox
commit, the conversation turn, the outbox, the mailbox dispatcher, the push). The service runs
in this process on SQLite (or ``--database-url``), with the stand-in Bot API for Telegram.

    .venv/bin/python benchmarks/webchat/latency.py --rooms 20 --messages 10
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

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402

from app.runtime import Runtime  # noqa: E402
from core import crypto  # noqa: E402
from features.webchat.otp import MemorySmsGateway  # noqa: E402
from features.webchat.web import ChatApp  # noqa: E402
from features.webchat.web_session import COOKIE  # noqa: E402
from harness import running_service  # noqa: E402
from harness.seed import add_room  # noqa: E402
from standin import StandinBotAPI  # noqa: E402
from storage.models import User  # noqa: E402


async def seed(runtime: Runtime, rooms: int) -> list[tuple[int, int]]:
    """Rooms in session of two browser parties (no mediator): their user ids."""
    pairs = []
    async with runtime.db.write() as s:
        for i in range(rooms):
            a = User(phone=f"1380000{i:04d}", phone_hash=crypto.blind_index(f"1380000{i:04d}"))
            r = User(phone=f"1390000{i:04d}", phone_hash=crypto.blind_index(f"1390000{i:04d}"))
            await add_room(
                s, a, r, None, number=f"（2026）示调字第{i + 1:04d}号", names=("甲", "乙")
            )
            pairs.append((a.id, r.id))
    return pairs


async def cookie_for(chat: ChatApp, user_id: int) -> str:
    response = web.Response()
    await chat.sessions.login(response, user_id)
    return response.cookies[COOKIE].value


async def connect(
    http: aiohttp.ClientSession, base: str, cookie: str
) -> aiohttp.ClientWebSocketResponse:
    ws = await http.ws_connect(f"{base}/chat/ws", headers={"Cookie": f"{COOKIE}={cookie}"})
    await ws.send_str(json.dumps({"type": "hello", "last": 0}))
    return ws


async def room(
    http: aiohttp.ClientSession,
    base: str,
    chat: ChatApp,
    pair: tuple[int, int],
    n: int,
    out: list[float],
) -> None:
    sender = await connect(http, base, await cookie_for(chat, pair[0]))
    receiver = await connect(http, base, await cookie_for(chat, pair[1]))
    for i in range(n):
        tag = f"m{pair[0]}-{i}"
        start = time.perf_counter()
        await sender.send_str(
            json.dumps({"type": "send", "cid": tag, "msg": {"type": "text", "text": tag}})
        )
        while True:
            data = json.loads((await receiver.receive(timeout=60)).data)
            if data.get("type") == "msg" and tag in data["item"].get("text", ""):
                out.append((time.perf_counter() - start) * 1000)
                break
    await sender.close()
    await receiver.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rooms", type=int, default=20)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    async with StandinBotAPI() as standin:
        data_dir = Path(tempfile.mkdtemp()) / "var"
        async with running_service(
            data_dir,
            standin=standin,
            database_url=args.database_url,
            web_app=True,
            sms_gateway=MemorySmsGateway(),
            kb_ready=False,
        ) as service:
            base, chat = service.base_url, service.chat
            assert chat is not None  # web_app=True
            pairs = await seed(service.runtime, args.rooms)
            latencies: list[float] = []
            cpu0, t0 = time.process_time(), time.perf_counter()
            async with aiohttp.ClientSession() as http:
                await asyncio.gather(
                    *(room(http, base, chat, p, args.messages, latencies) for p in pairs)
                )
            wall = time.perf_counter() - t0
            cpu = time.process_time() - cpu0
    q = statistics.quantiles(latencies, n=100)
    print(
        json.dumps(
            {
                "rooms": args.rooms,
                "messages": len(latencies),
                "wall_s": round(wall, 2),
                "messages_per_s": round(len(latencies) / wall, 1),
                "p50_ms": round(q[49], 1),
                "p95_ms": round(q[94], 1),
                "max_ms": round(max(latencies), 1),
                "cpu_s_process": round(cpu, 2),
                "load_1min": os.getloadavg()[0],
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
