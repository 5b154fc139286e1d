"""The whole service as the street's tests run it: the console on a free port and one of this
folder's units files (the street's posts, the joint centres, the station lawyer)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from app.runtime import Runtime
from core.clock import Clock
from documents.pool import RenderPool
from documents.seal import Sealer
from features.webchat.otp import SmsGateway
from harness import RunningService, running_service
from standin import StandinBotAPI

HERE = Path(__file__).parent


@asynccontextmanager
async def street_service(
    tmp_path: Path,
    units: str,
    *,
    standin: StandinBotAPI | None = None,
    database_url: str | None = None,
    clock: Clock | None = None,
    render_pool: RenderPool | None = None,
    sealer: Sealer | None = None,
    sms_gateway: SmsGateway | None = None,
    env: Mapping[str, str] | None = None,
) -> AsyncIterator[RunningService]:
    """:func:`harness.running_service` under ``tmp_path``/var with the web app and the units
    file ``units`` (a name in this folder, or a path); ``env`` adds settings."""
    async with running_service(
        tmp_path / "var",
        standin=standin,
        database_url=database_url,
        clock=clock,
        web_app=True,
        render_pool=render_pool,
        sealer=sealer,
        sms_gateway=sms_gateway,
        env={**(env or {}), "UNITS_FILE": str(HERE / units)},
    ) as service:
        yield service


@asynccontextmanager
async def street_with_bot(
    tmp_path: Path, units: str, **options: Any
) -> AsyncIterator[tuple[StandinBotAPI, Runtime, str]]:
    """:func:`street_service` (``options`` as there) with a stand-in Bot API for the Telegram
    side, as the street's whole-service tests run it; yields the stand-in, the runtime and the
    console's base URL."""
    async with StandinBotAPI() as standin:
        async with street_service(tmp_path, units, standin=standin, **options) as service:
            yield standin, service.runtime, service.base_url
