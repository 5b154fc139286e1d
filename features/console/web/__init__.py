"""The staff console (``/staff``): ledger, case pages, risk alerts, dashboard, audit log.

``web.app`` mounts it through :func:`setup` (list ``"features.console.web"`` in ``WEB_MODULES``);
tests and benchmarks call :func:`add_console` with their own options. Optional
collaborators are passed in, never imported from here: ``alert_hook`` (the chat sends
risk alerts to staff), ``documents`` (the documents package's store; until then the case page
honestly lists none) and ``timeline_sources`` (more records to merge into a case's timeline;
case events and the mediation room's messages are built in). Features add their own pages
(routes, templates, static files, menu links, dashboard panels) through
:mod:`features.console.web.pages`, mounted here behind the same checks (``runtime.console_pages``).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp_session import session_middleware
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from cryptography.fernet import Fernet

from core import crypto
from features.console import lawyer_stats, search_index
from features.console.accounts import AccountService
from features.console.auth import ABSOLUTE_TIMEOUT, AuthService
from features.console.case_actions import CaseActions
from features.console.case_view import CaseViewService
from features.console.dashboard import DashboardService
from features.console.documents import DocumentStore, NoDocuments
from features.console.export import Exporter
from features.console.ledger import LedgerService
from features.console.notify import staff_chat_alert_hook
from features.console.procedures import ProcedureActions
from features.console.risk import AlertHook, RiskService
from features.console.timeline import TimelineSource
from features.console.web import pages as feature_pages
from features.console.web.core import (
    CONSOLE,
    HERE,
    ROUTE_ACTIONS,
    STATIC,
    Console,
    Handler,
    console_middleware,
    make_env,
    static_versions,
)
from features.console.web.routes import every_route
from features.console.web.views_cases import PROCEDURES

if TYPE_CHECKING:
    from app.runtime import Runtime
    from storage.db import Database

COOKIE_NAME = "console_session"
HOUSEKEEPING_SECONDS = 3600.0
log = logging.getLogger(__name__)


def build_console(
    runtime: Runtime,
    *,
    alert_hook: AlertHook | None = None,
    documents: DocumentStore | None = None,
    timeline_sources: Sequence[TimelineSource] = (),
    lawyer_figures: bool = True,
    sweep_interval: float | None = 3.0,
) -> web.Application:
    """The console sub-application (to be mounted at ``/staff``).

    ``lawyer_figures``: count consultations and lawyers' response times on the dashboard when
    the lawyers' tables exist (``features.console.lawyer_stats``).
    """
    settings, db, units, clock = runtime.settings, runtime.db, runtime.units, runtime.clock
    tz = settings.tz
    figures = lawyer_stats.sources() if lawyer_figures else (None, None)
    risk = RiskService(db, units, clock, alert_hook)
    ledger = LedgerService(db, units, tz)
    pages = runtime.console_pages  # what features contribute (features.console.web.pages)
    static_files = feature_pages.static_files(STATIC, pages)
    console = Console(
        units=units,
        tz=tz,
        default_language=settings.default_language,
        auth=AuthService(db, clock),
        accounts=AccountService(
            db,
            units,
            clock,
            deliver=runtime.deliver,
            service_quiet_hours=settings.staff_quiet_hours,
        ),
        ledger=ledger,
        exporter=Exporter(ledger, units, tz),
        cases=CaseViewService(db, units, documents or NoDocuments(), timeline_sources),
        actions=CaseActions(db, units, clock, risk, deliver=runtime.deliver),
        risk=risk,
        dashboard=DashboardService(db, units, tz, *figures),
        env=make_env(feature_pages.template_dirs(HERE / "templates", pages)),
        static_versions=static_versions(static_files),
        static_files=static_files,
        pages=pages,
    )
    app = web.Application(middlewares=[session_middleware(_cookies(runtime)), console_middleware])
    app[CONSOLE] = console
    app[PROCEDURES] = ProcedureActions(
        db, units, clock, tz, runtime.files, runtime.shared, deliver=runtime.deliver
    )
    for page in pages:
        if page.setup is not None:
            page.setup(app, runtime)
    actions: dict[Handler, str] = {}
    for route in every_route(pages):
        if actions.setdefault(route.handler, route.action) != route.action:
            raise RuntimeError(f"{route.path}: one handler, two different actions")
        app.router.add_route(route.method, route.path, route.handler)
    app[ROUTE_ACTIONS] = actions
    app.cleanup_ctx.append(_background(console, risk, db, sweep_interval))
    return app


def _cookies(runtime: Runtime) -> EncryptedCookieStorage:
    """The session cookie: encrypted with a key derived from the service's secret, scoped to
    ``/staff``, lasting no longer than a session may."""
    settings = runtime.settings
    secret = crypto.load_or_create_secret(settings.secret_key, settings.data_dir)
    key = base64.urlsafe_b64encode(crypto.derive_key(secret, "console-cookie"))
    return EncryptedCookieStorage(
        Fernet(key),
        cookie_name=COOKIE_NAME,
        path="/staff",
        httponly=True,
        samesite="Lax",
        secure=bool(settings.public_url and settings.public_url.startswith("https://")),
        max_age=int(ABSOLUTE_TIMEOUT.total_seconds()),
    )


def _background(
    console: Console, risk: RiskService, db: Database, sweep_interval: float | None
) -> Callable[[web.Application], AsyncIterator[None]]:
    """The console's tasks while the app runs: pruning sign-in records, indexing older cases
    for the ledger's search, and the risk sweeper."""

    async def housekeeping() -> None:
        while True:
            try:
                await console.auth.prune()
            except Exception:
                log.exception("pruning login attempts and sessions failed")
            await asyncio.sleep(HOUSEKEEPING_SECONDS)

    async def index_old_cases() -> None:
        try:
            indexed = await search_index.index_missing(db)
        except Exception:
            log.exception("indexing older cases for the ledger's search failed")
        else:
            if indexed:
                log.info("ledger search: indexed %d older cases", indexed)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await risk.ensure_defaults()
        tasks = [
            asyncio.create_task(housekeeping(), name="console-housekeeping"),
            asyncio.create_task(index_old_cases(), name="console-search-index"),
        ]
        if sweep_interval is not None:
            sweeper = risk.run_sweeper(sweep_interval)
            tasks.append(asyncio.create_task(sweeper, name="console-risk-sweep"))
        yield
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return lifecycle


async def _to_console(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/staff/")


def add_console(app: web.Application, runtime: Runtime, **options: Any) -> web.Application:
    """Mount the console at ``/staff`` (and send ``/staff`` to ``/staff/``)."""
    console = build_console(runtime, **options)
    app.router.add_get("/staff", _to_console)
    app.add_subapp("/staff", console)
    return console


def setup(app: web.Application, runtime: Runtime) -> None:
    """The console's web part (registered by ``features.console.register``). Its sweep and
    escalation alerts go to staff through the chat whenever the service runs, bot or not: the
    browser chat is always mounted, and staff without Telegram are reached there."""
    hook = staff_chat_alert_hook(runtime.db, runtime.deliver, runtime.settings.public_url)
    from features.agreements.store import AgreementDocumentStore

    documents = AgreementDocumentStore(runtime.db, runtime.files, runtime.clock)
    add_console(app, runtime, alert_hook=hook, documents=documents)
