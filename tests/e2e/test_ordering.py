"""One chat's messages stay in order through the whole pipeline (inbox → per-chat processing →
outbox → sender), while many chats are served at once; nothing is lost or doubled."""

from __future__ import annotations

import asyncio
from pathlib import Path

from standin import StandinBotAPI
from tests.e2e.harness import running_service, seed_rooms, service_env


async def test_bursts_from_many_rooms_arrive_in_order(tmp_path: Path) -> None:
    async with StandinBotAPI() as standin:
        env = service_env(standin, tmp_path / "var")
        rooms = await seed_rooms(env, 10)
        async with running_service(standin, tmp_path / "var"):
            people = [tuple(standin.user(i) for i in trio) for trio in rooms]
            for trio in people:
                for user in trio:
                    user.register()
            # Every applicant fires 25 messages without waiting for anything.
            for applicant, _r, _m in people:
                for k in range(25):
                    await applicant.send_text(f"消息{k:02d}")
            for _a, respondent, mediator in people:
                for listener in (respondent, mediator):
                    got = await listener.wait_for_messages(25, timeout=60)
                    bodies = [(m.text or "").split("\n", 1)[1] for m in got]
                    assert bodies == [f"消息{k:02d}" for k in range(25)]
            await asyncio.sleep(0.3)
            for _a, respondent, mediator in people:
                assert len(respondent.messages) == 25 and len(mediator.messages) == 25
