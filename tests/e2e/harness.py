"""Runs the real service against the local stand-in Bot API, in-process or as a subprocess.

The bring-up itself is the shared :mod:`harness` (also used by the benchmarks and the demo);
this module keeps the shape these tests call it by.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import harness
from app.runtime import Runtime
from core.clock import Clock
from harness import TOKEN, ServiceProcess, free_port, service_env
from harness.process import ROOT
from harness.seed import add_room, seed_rooms
from harness.steps import texts
from standin import StandinBotAPI
from standin.simulation import SimUser

__all__ = [
    "ROOT",
    "TOKEN",
    "ServiceProcess",
    "add_room",
    "assert_quiet",
    "free_port",
    "running_service",
    "seed_rooms",
    "service_env",
    "texts",
]


@asynccontextmanager
async def running_service(
    standin: StandinBotAPI,
    data_dir: Path,
    database_url: str | None = None,
    *,
    clock: Clock | None = None,
    **extra: str,
) -> AsyncIterator[Runtime]:
    """The whole service (minus the HTTP server) in this process, in long-polling mode.

    With an injected ``clock`` the timer loop is not started: the test fires timers itself
    with ``runtime.timers.run_due()`` after moving the clock.
    """
    async with harness.running_service(
        data_dir, standin=standin, database_url=database_url, env=extra, clock=clock
    ) as service:
        yield service.runtime


async def assert_quiet(user: SimUser, seconds: float = 0.3) -> None:
    """Nothing more arrives: no reply was sent twice."""
    before = len(user.messages)
    await asyncio.sleep(seconds)
    extra = [m.text for m in user.messages[before:]]
    assert extra == [], f"unexpected extra messages: {extra}"
    assert user.seen == len(user.messages), [m.text for m in user.messages[user.seen :]]
