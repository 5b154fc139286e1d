"""The whole service brought up in this process: the one bring-up the tests, the benchmarks and
the demo share, so that each starts the service the way production does (migrations, the
composition root, feature start hooks, the web app) and stops it cleanly.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web
from sqlalchemy import text

from app.runtime import Runtime, build_runtime, start_runtime, stop_runtime
from core.clock import Clock
from core.config import Settings
from harness.env import free_port, service_env
from standin import StandinBotAPI

if TYPE_CHECKING:
    from documents.pool import RenderPool
    from documents.seal import Sealer
    from features.webchat.otp import SmsGateway
    from features.webchat.web import ChatApp

#: How often to look (every 50 ms, so 30 s at most) for a knowledge base warming up.
KB_READY_POLLS = 600


@dataclass
class RunningService:
    """What a running service offers its driver."""

    runtime: Runtime
    settings: Settings
    #: The stand-in Bot API the service talks to, when it was given one.
    standin: StandinBotAPI | None = None
    #: The aiohttp app and its address (``http://127.0.0.1:PORT``) when ``web`` was asked for.
    web_app: web.Application | None = None
    base_url: str = ""
    #: The browser chat mounted on the web app (``features.webchat.web``), when the web app runs.
    chat: ChatApp | None = None
    #: The browser chat's one-time-code gateway, when one was given.
    sms_gateway: SmsGateway | None = None


async def reset_postgres(url: str) -> None:
    """An empty PostgreSQL database: every table (including Alembic's version table) dropped, so
    a test or a benchmark starts from the same nothing each run."""
    from storage.db import Database

    db = Database(url)
    async with db.write_engine.begin() as conn:
        await conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        await conn.exec_driver_sql("CREATE SCHEMA public")
    await db.dispose()


def alembic_upgrade(url: str) -> None:
    """Alembic's upgrade to the newest revision, as ``main.py serve`` runs it at start."""
    from storage.migrate import upgrade

    upgrade(url)


#: How :func:`migrated_runtime` brings a database to the current schema. Alembic's upgrade by
#: default; the test suite puts :meth:`harness.schema.SchemaTemplate.upgrade` here, which copies
#: a SQLite file it migrated once per process before running the same upgrade (then a no-op):
#: the 27 migrations cost ~4 s per new SQLite file (batch mode rebuilds tables), and hundreds of
#: tests start a service on one. The migrations themselves are tested on their own
#: (``tests/test_storage.py``, ``tests/security/test_payload_migration.py``).
upgrade_schema: Callable[[str], None] = alembic_upgrade


@dataclass
class StartDefaults:
    """What :func:`running_service` gives a service its caller gives no render pool or seal key
    for. Nothing by default: the service spawns its own pool and makes (or loads) its key in
    ``DATA_DIR/keys``, as in production. The test suite sets both (``harness.shared``; in
    tests/conftest.py): hundreds of tests start a service, and a pool costs ~3 s to spawn and
    an RSA-3072 key ~0.6 s to make."""

    #: The render pool to give (started) to a service given none.
    render_pool: Callable[[], Awaitable[RenderPool]] | None = None
    #: Puts a seal key and certificate for the organisation (the default unit's name) into
    #: the given ``DATA_DIR/keys`` when none are there.
    seal_keys: Callable[[Path, str], None] | None = None


defaults = StartDefaults()


async def migrated_runtime(settings: Settings, *, clock: Clock | None = None) -> Runtime:
    """The database brought to the current schema (:data:`upgrade_schema`), then the runtime
    built (not started): what ``main.py serve`` does before it serves, for seeding rows or
    driving the engine alone."""
    await asyncio.to_thread(upgrade_schema, settings.database_url)
    return await build_runtime(settings, clock=clock)


@asynccontextmanager
async def serving(app: web.Application, port: int | None = None) -> AsyncIterator[str]:
    """``app`` listening on 127.0.0.1 (on ``port`` or a free one); yields its base URL."""
    port = port or free_port()
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def wait_for_kb(runtime: Runtime) -> None:
    """A knowledge base warming up in the background would make what the bot says after a
    filing (the relevant articles) depend on timing: wait until it can answer, when statutes
    are loaded."""
    kb = runtime.shared.kb
    if kb is None:
        return
    async with runtime.db.read() as session:
        laws = (await session.execute(text("SELECT 1 FROM kb_article LIMIT 1"))).first()
    if laws is None:
        return
    for _ in range(KB_READY_POLLS):
        if kb.status().keyword_ready:
            break
        await asyncio.sleep(0.05)


@asynccontextmanager
async def running_service(
    data_dir: Path,
    *,
    standin: StandinBotAPI | None = None,
    database_url: str | None = None,
    env: Mapping[str, str] | None = None,
    clock: Clock | None = None,
    web_app: bool = False,
    render_pool: RenderPool | None = None,
    sealer: Sealer | None = None,
    sms_gateway: SmsGateway | None = None,
    kb_ready: bool = True,
) -> AsyncIterator[RunningService]:
    """The whole service, started, in this process; stopped on leaving.

    - Settings: ``data_dir``, Telegram at ``standin`` (with no statutes imported, see
      :func:`harness.env.service_env`) when given, then ``env`` over them.
    - With an injected ``clock`` the timer loop is not started: the driver fires timers itself
      with ``runtime.timers.run_due()`` after moving the clock.
    - ``render_pool``/``sealer``/``sms_gateway``: given to the features before start-up (a
      session's pool and seal key are reused, the one-time codes are read from the gateway).
    - ``web_app``: the aiohttp app (console, Mini App, verify page, browser chat) listens on a
      free port, given to the service as ``WEB_PORT``; Mini App buttons are allowed over http
      (the stand-in opens nothing).
    - ``kb_ready``: wait for a knowledge base with statutes to answer before yielding.
    """
    settings_env = {"DATA_DIR": str(data_dir)}
    if standin is not None:
        settings_env = service_env(standin, data_dir, database_url)
    elif database_url:
        settings_env["DATABASE_URL"] = database_url
    port = free_port() if web_app else None
    if port is not None:
        settings_env |= {"WEB_PORT": str(port), "MEDIATION_WEBAPP_ALLOW_HTTP": "1"}
    settings = Settings.from_env({**settings_env, **(env or {})})
    runtime = await migrated_runtime(settings, clock=clock)
    if render_pool is None and defaults.render_pool is not None:
        render_pool = await defaults.render_pool()
    if sealer is None and defaults.seal_keys is not None:
        organisation = runtime.units.default.name
        await asyncio.to_thread(defaults.seal_keys, settings.data_dir / "keys", organisation)
    shared = runtime.shared
    shared.render_pool = render_pool or shared.render_pool
    shared.sealer = sealer or shared.sealer
    shared.sms_gateway = sms_gateway or shared.sms_gateway
    await start_runtime(runtime, timers=clock is None)
    service = RunningService(runtime, settings, standin, sms_gateway=sms_gateway)
    try:
        if kb_ready:
            await wait_for_kb(runtime)
        if port is None:
            yield service
            return
        async with _with_web(service, port):
            yield service
    finally:
        await stop_runtime(runtime)


@asynccontextmanager
async def _with_web(service: RunningService, port: int) -> AsyncIterator[None]:
    from features.webchat.web import CHAT
    from web.app import create_app

    service.web_app = create_app(service.runtime)
    service.chat = service.web_app.get(CHAT)
    async with serving(service.web_app, port) as base_url:
        service.base_url = base_url
        yield
