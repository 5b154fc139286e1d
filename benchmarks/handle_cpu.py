"""CPU cost of storing and handling one update, without HTTP or python-telegram-bot.

What the conversation core costs by itself: the inbox group commit plus one handling
transaction (claim, conversation row, domain step, outbox), for 200 chats at once on SQLite.

    .venv/bin/python benchmarks/handle_cpu.py
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.config import Settings  # noqa: E402
from harness import migrated_runtime  # noqa: E402
from mediation import intake  # noqa: E402
from services import inbox  # noqa: E402
from services.inbound import Inbound  # noqa: E402


async def main() -> None:
    settings = Settings.from_env({"DATA_DIR": tempfile.mkdtemp(), "KB_ENABLED": "0"})
    runtime = await migrated_runtime(settings)
    writer = inbox.InboxWriter(runtime.db, "telegram")
    ids = itertools.count()

    async def chat(k: int, updates: int) -> None:
        for _ in range(updates):
            i = next(ids)
            await writer.accept(i, str(k), {"update_id": i})
            event = Inbound("telegram", str(k), str(k), intake.TextInput("你好"))
            await runtime.conversation.handle(event, ("telegram", i))

    await asyncio.gather(*(chat(k, 2) for k in range(200)))  # warm up
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        await asyncio.gather(*(chat(k, 5) for k in range(200)))
        best = min(best, (time.process_time() - started) / 1000)
    print(f"accept + handle: {best * 1000:.2f} ms CPU per update (best of 3 × 1,000, 200 chats)")
    await runtime.db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
