"""Two replicas behind one webhook URL on one PostgreSQL (issue 10, item 7).

A round-robin proxy stands in for the load balancer: consecutive updates of one chat land on
different processes. What must hold: each chat's messages are still handled in ``update_id``
order and relayed exactly once, one replica sends everything (Telegram's limits are per bot),
a timer fires once cluster-wide, and when the sending replica is killed the other takes over
and loses nothing.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, select

from harness.service import reset_postgres
from standin import SentMessage, StandinBotAPI
from standin.simulation import SimUser
from storage.base import utcnow
from storage.db import Database
from storage.models import Case, CaseEvent, InboxUpdate, Timer
from tests.conftest import PG_URL
from tests.e2e.harness import ServiceProcess, free_port, seed_rooms, service_env
from tests.e2e.test_crash import wait_healthy

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

SECRET = "replica-secret"


class RoundRobinProxy:
    """The load balancer: each webhook POST goes to the next live replica."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self.down: set[int] = set()
        self.counts = dict.fromkeys(ports, 0)
        self._next = itertools.cycle(ports)
        self.port = free_port()
        self._http: aiohttp.ClientSession | None = None

    async def forward(self, request: web.Request) -> web.Response:
        assert self._http is not None
        body = await request.read()
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() in ("content-type", "x-telegram-bot-api-secret-token")
        }
        for _ in range(len(self.ports)):
            port = next(self._next)
            if port in self.down:
                continue
            try:
                async with self._http.post(
                    f"http://127.0.0.1:{port}{request.path}", data=body, headers=headers
                ) as resp:
                    self.counts[port] += 1
                    return web.Response(status=resp.status, body=await resp.read())
            except aiohttp.ClientError:
                continue
        return web.Response(status=502)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[RoundRobinProxy]:
        app = web.Application()
        app.router.add_post("/telegram/webhook", self.forward)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.port).start()
        self._http = aiohttp.ClientSession()
        try:
            yield self
        finally:
            await self._http.close()
            await runner.cleanup()


@asynccontextmanager
async def cluster(
    standin: StandinBotAPI, tmp_path: Path, rooms: int
) -> AsyncIterator[
    tuple[list[ServiceProcess], list[int], RoundRobinProxy, list[tuple[int, int, int]]]
]:
    await reset_postgres(PG_URL)
    ports = [free_port(), free_port()]
    proxy = RoundRobinProxy(ports)
    shared = tmp_path / "shared"  # DATA_DIR on a shared volume
    base_env = {
        **service_env(standin, shared, PG_URL),
        "PUBLIC_URL": f"http://127.0.0.1:{proxy.port}",
        "WEBHOOK_SECRET": SECRET,
    }
    seeded = await seed_rooms(base_env, rooms)
    replicas = [
        ServiceProcess({**base_env, "WEB_PORT": str(port)}, tmp_path / f"replica{i}.log")
        for i, port in enumerate(ports)
    ]
    async with proxy.running():
        try:
            for svc in replicas:  # started together: start-up races are part of the test
                svc.start()
            for svc, port in zip(replicas, ports, strict=True):
                await wait_healthy(port, svc, timeout=90)
            yield replicas, ports, proxy, seeded
        finally:
            for svc in replicas:
                svc.stop()


def relayed(messages: Sequence[SentMessage]) -> list[str]:
    return [(m.text or "").split("\n", 1)[-1] for m in messages]


def registered(
    standin: StandinBotAPI, seeded: Sequence[tuple[int, int, int]]
) -> list[tuple[SimUser, SimUser, SimUser]]:
    """Each seeded room's applicant, respondent and mediator, each with a private chat the bot
    can write to."""
    people = [(standin.user(a), standin.user(r), standin.user(m)) for a, r, m in seeded]
    for trio in people:
        for user in trio:
            user.register()
    return people


async def test_two_replicas_keep_order_send_once_and_fire_timers_once(tmp_path: Path) -> None:
    async with (
        StandinBotAPI() as standin,
        cluster(standin, tmp_path, rooms=8) as (_replicas, _ports, proxy, seeded),
    ):
        people = registered(standin, seeded)
        db = Database(PG_URL)
        try:
            # A deadline reminder per case, due now: both replicas' timer loops see it.
            async with db.write() as s:
                case_ids = list((await s.execute(select(Case.id))).scalars())
                for case_id in case_ids:
                    s.add(
                        Timer(
                            key=f"test-deadline-{case_id}",
                            kind="deadline_reminder",
                            due_at=utcnow() - timedelta(seconds=1),
                            payload={"case_id": case_id, "days": 3},
                            status="pending",
                        )
                    )
            # Every applicant fires 20 messages without waiting.
            for applicant, _r, _m in people:
                for k in range(20):
                    await applicant.send_text(f"消息{k:02d}")
            for _a, respondent, mediator in people:
                got = await respondent.wait_for_messages(20, timeout=90)
                assert relayed(got) == [f"消息{k:02d}" for k in range(20)]
                mine = await mediator.wait_for_messages(21, timeout=90)  # 20 + the reminder
                texts = relayed(mine)
                assert [t for t in texts if t.startswith("消息")] == [
                    f"消息{k:02d}" for k in range(20)
                ]
            await asyncio.sleep(1.5)  # anything doubled would arrive now
            for _a, respondent, mediator in people:
                assert len(respondent.messages) == 20
                assert len(mediator.messages) == 21
            # Both replicas really took webhook traffic.
            assert all(n > 20 for n in proxy.counts.values()), proxy.counts
            async with db.read() as s:
                fired = await s.scalar(
                    select(func.count()).where(CaseEvent.kind == "deadline_reminder")
                )
                statuses = dict(
                    (
                        await s.execute(
                            select(InboxUpdate.status, func.count()).group_by(InboxUpdate.status)
                        )
                    ).all()
                )
            assert fired == len(case_ids)
            assert statuses == {"done": 20 * len(people)}
        finally:
            await db.dispose()


async def test_killing_the_sending_replica_loses_nothing(tmp_path: Path) -> None:
    async with (
        StandinBotAPI() as standin,
        cluster(standin, tmp_path, rooms=4) as (replicas, ports, proxy, seeded),
    ):
        people = registered(standin, seeded)
        for applicant, _r, _m in people:
            await applicant.send_text("开始")
        for _a, respondent, _m in people:
            await respondent.wait_for_messages(1, timeout=60)
        # Which replica sends? The one whose log says it took the role.
        leader = next(
            i for i, svc in enumerate(replicas) if "role taken" in svc.log_path.read_text()
        )
        for k in range(10):
            for applicant, _r, _m in people:
                await applicant.send_text(f"第{k}条")
            if k == 4:
                proxy.down.add(ports[leader])
                replicas[leader].kill()
        survivor = 1 - leader
        for _a, respondent, _m in people:
            await respondent.wait_for_messages(10, timeout=90)
            await asyncio.sleep(0.5)
            bodies = relayed(respondent.messages)
            # At least once: a message the killed replica had sent but not yet marked sent
            # (a window of ~0.1 s) goes out again from the survivor. Nothing is lost, and the
            # first copies are in order.
            firsts = list(dict.fromkeys(bodies))
            assert firsts == ["开始", *[f"第{k}条" for k in range(10)]], bodies
            assert len(bodies) - len(firsts) <= 2, bodies
        assert "role taken" in replicas[survivor].log_path.read_text()
