"""Shared fixtures: real databases (SQLite always, PostgreSQL when reachable), settings, keys.

PostgreSQL tests use ``TEST_POSTGRES_URL`` (the test script sets
postgresql+asyncpg://postgres@127.0.0.1:5432/test). Without a reachable server they are
skipped, and the run's summary says so.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from cryptography.fernet import Fernet
from hypothesis import settings as hypothesis_settings
from sqlalchemy.engine import make_url

import harness.service
import i18n
from app.features import metadata
from core import crypto
from core.config import Settings
from documents.pool import RenderPool
from documents.seal import Sealer
from harness.schema import SchemaTemplate
from harness.service import reset_postgres
from harness.shared import SealKeyTemplate, SharedRenderPool
from legal_kb.statutes import LawsDbStatutes
from storage.db import Database
from tests.backends import BACKENDS

if TYPE_CHECKING:
    from services.conversation import ConversationService

# A message whose placeholders cannot be filled fails the test that sends it (in this process
# and in the service processes tests start) instead of reaching a user as "{name}".
os.environ["I18N_STRICT"] = "1"
i18n.STRICT = True

# Property tests are deterministic: hypothesis derives its examples from each test itself
# (``derandomize``), so a run is red or green by the code, never by chance (issue 21: a red CI
# run from randomness blocks a landing as surely as a bug). A failure any run ever found is kept
# as an explicit ``@example`` or a replayed regression in the test. For exploring with fresh
# random examples locally: HYPOTHESIS_PROFILE=explore.
hypothesis_settings.register_profile("deterministic", derandomize=True, database=None)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))

# Parallel workers (pytest-xdist, ``scripts/test.sh`` runs two): each has its own PostgreSQL
# database (the given one's name + ``_gw0``…, created on first use; tests empty it at will) and
# its own range of ports for ``harness.env.free_port``, so that two tests running at once never
# share a database or pick the same port.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
BASE_PG_URL = os.environ.get("TEST_POSTGRES_URL", "")
PG_URL = BASE_PG_URL
if BASE_PG_URL and WORKER:
    _base = make_url(BASE_PG_URL)
    PG_URL = _base.set(database=f"{_base.database}_{WORKER}").render_as_string(hide_password=False)
if WORKER.startswith("gw") and WORKER[2:].isdigit():
    _low = 20000 + 1500 * int(WORKER[2:])  # below Linux's ephemeral ports (32768 and up)
    os.environ.setdefault("HARNESS_PORTS", f"{_low}-{_low + 1499}")
_pg_state: dict[str, str | None] = {}


async def _create_worker_database() -> None:
    """``PG_URL``'s database, made from the given one's server if it is not there yet."""
    import asyncpg

    name = make_url(PG_URL).database
    conn = await asyncpg.connect(BASE_PG_URL.replace("postgresql+asyncpg", "postgresql"))
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def postgres_unavailable() -> str | None:
    """None when PostgreSQL answers, else the reason (checked once per run)."""
    if "reason" in _pg_state:
        return _pg_state["reason"]
    reason: str | None = None
    if not PG_URL:
        reason = "TEST_POSTGRES_URL is not set"
    else:
        import asyncpg

        async def probe() -> None:
            if PG_URL != BASE_PG_URL:
                await _create_worker_database()
            conn = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg", "postgresql"))
            await conn.close()

        try:
            asyncio.run(asyncio.wait_for(probe(), 5))
        except Exception as exc:
            reason = f"PostgreSQL not reachable at {PG_URL}: {exc}"
    _pg_state["reason"] = reason
    return reason


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = None
    for item in items:
        if item.get_closest_marker("postgres") is not None:
            reason = reason or postgres_unavailable()
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    reason = _pg_state.get("reason")
    if reason:
        terminalreporter.write_line(f"NOTE: PostgreSQL tests were skipped: {reason}", yellow=True)
    elif "reason" in _pg_state:
        terminalreporter.write_line("PostgreSQL tests ran against " + PG_URL, green=True)


@pytest.fixture(autouse=True, scope="session")
def _pii_keys() -> None:
    crypto.configure((Fernet.generate_key().decode(),), "test-secret")


@pytest.fixture(autouse=True, scope="session")
def _schema_template() -> Iterator[SchemaTemplate]:
    """Every service a test starts on a new SQLite file gets a copy of one migrated in this
    process (``harness.schema``: ~4 s of migrations saved per start)."""
    template = SchemaTemplate()
    harness.service.upgrade_schema = template.upgrade
    try:
        yield template
    finally:
        harness.service.upgrade_schema = harness.service.alembic_upgrade
        template.close()


_STATUTES: list[LawsDbStatutes] = []


def _two_worker_pool() -> RenderPool:
    _STATUTES.append(LawsDbStatutes())
    return RenderPool(2, statutes=_STATUTES[-1], timeout=120)


_RENDER_POOL = SharedRenderPool(_two_worker_pool)


@pytest.fixture(autouse=True, scope="session")
def _shared_render_pool() -> Iterator[None]:
    """One render pool per test process, spawned on first use: the one every service gets
    that a test gives none (``harness.service.defaults``) and the ``render_pool`` fixture."""
    harness.service.defaults.render_pool = _RENDER_POOL.started
    try:
        yield
    finally:
        harness.service.defaults.render_pool = None
        asyncio.run(_RENDER_POOL.close())
        for source in _STATUTES:
            source.close()


@pytest.fixture(autouse=True, scope="session")
def _seal_key_template() -> Iterator[None]:
    """A service a test gives no seal key finds one in its ``DATA_DIR/keys``, made once per
    process for its organisation (``harness.shared.SealKeyTemplate``: ~0.6 s of RSA-3072
    generation saved per first start)."""
    template = SealKeyTemplate()
    harness.service.defaults.seal_keys = template.place
    try:
        yield
    finally:
        harness.service.defaults.seal_keys = None
        template.close()


@pytest.fixture(scope="session")
def statutes() -> Iterator[LawsDbStatutes]:
    source = LawsDbStatutes()
    yield source
    source.close()


@pytest.fixture(scope="session")
def render_pool() -> Iterator[RenderPool]:
    """The process's shared pool (two workers, started): the pool holds no loop state, so
    every test's loop can await it."""
    yield asyncio.run(_RENDER_POOL.started())


@pytest.fixture(scope="session")
def seal(tmp_path_factory: pytest.TempPathFactory) -> Sealer:
    """One seal key per test process (RSA-3072 generation costs ~1 s)."""
    return Sealer.from_directory(
        tmp_path_factory.mktemp("seal") / "keys", organisation="示范人民调解委员会"
    )


def make_settings(tmp_path: Path, database_url: str | None = None, **env: str) -> Settings:
    environ = {"DATA_DIR": str(tmp_path / "var"), **env}
    if database_url:
        environ["DATABASE_URL"] = database_url
    return Settings.from_env(environ)


async def conversation_core(db: Database, tmp_path: Path) -> ConversationService:
    """The conversation core alone on ``db`` (the default units synced, a fake clock): for tests
    of what one turn does, without the web app, Telegram or the timers."""
    from core.clock import FakeClock
    from services.conversation import ConversationService
    from services.units import load_units, sync_units

    settings = make_settings(tmp_path)
    units = load_units(settings.units_file)
    async with db.write() as session:
        await sync_units(session, units)
    return ConversationService(db, settings, units, FakeClock())


async def backend_url(backend: str) -> str | None:
    """The database a test parametrized over ``backend`` runs on: ``None`` (the service's own
    SQLite file) or the PostgreSQL test database, emptied first; skipped without that server."""
    if backend != "postgres":
        return None
    why = postgres_unavailable()
    if why is not None:
        pytest.skip(why)
    await reset_postgres(PG_URL)
    return PG_URL


async def fresh_database(url: str) -> Database:
    """A database with the current schema and no rows."""
    if url.startswith("postgresql"):
        await reset_postgres(url)
    db = Database(url)
    async with db.write_engine.begin() as conn:
        await conn.run_sync(metadata().create_all)
    return db


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    db = await fresh_database(f"sqlite+aiosqlite:///{tmp_path / 'test.db'}")
    yield db
    await db.dispose()


@pytest.fixture
async def pg_db() -> AsyncIterator[Database]:
    reason = postgres_unavailable()
    if reason:
        pytest.skip(reason)
    db = await fresh_database(PG_URL)
    yield db
    await db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """The same test on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        database = await fresh_database(f"sqlite+aiosqlite:///{tmp_path / 'test.db'}")
    else:
        database = await fresh_database(PG_URL)
    yield database
    await database.dispose()


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest) -> str | None:
    """A whole-service test once per backend: None (the service's own SQLite) or an emptied
    PostgreSQL; the parametrised header each such test had, written once."""
    return await backend_url(request.param)
