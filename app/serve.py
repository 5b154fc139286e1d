"""The web server's life: the aiohttp app bound to the runtime's start and stop, the event
loop, and the heap settled once everything long-lived is loaded."""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from app.runtime import Runtime, build_runtime, start_runtime, stop_runtime
from core.config import Settings
from core.startup import prepare

log = logging.getLogger(__name__)


def settle_heap() -> None:
    """Move everything built at start-up out of the garbage collector's sight.

    The runtime loads long-lived object graphs once (the knowledge base's tokeniser dictionary,
    SQLAlchemy's mappers, python-telegram-bot, templates): ~200,000 objects that every full
    collection walked again, 65–95 ms each, several times a minute under load. They live as
    long as the process, so ``gc.freeze()`` after start-up is safe and leaves the collector only
    the objects made while serving (measured: docs/benchmarks.md, "The path of an update").
    The youngest generation is collected every 7,000 net allocations instead of 700: serving
    one update allocates thousands of short-lived objects (ORM rows, PTB objects, JSON), and at
    700 the collector ran ~260 times per 1,000 updates (~0.14 ms of CPU per update) for no
    memory gained (RSS the same within 1 MB over the throughput benchmark).
    """
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(7_000, 10, 10)


def make_web_app(settings: Settings) -> web.Application:
    """The aiohttp app with the runtime's life bound to the app's (``cleanup_ctx``)."""
    from web.app import create_app

    holder: list[Runtime] = []

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        runtime = holder[0]
        await start_runtime(runtime)
        settle_heap()
        yield
        await stop_runtime(runtime)

    async def factory() -> web.Application:
        runtime = await build_runtime(settings)
        holder.append(runtime)
        app = create_app(runtime)
        app.cleanup_ctx.append(lifecycle)
        return app

    return factory()  # type: ignore[return-value]  # aiohttp accepts an awaitable app


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from storage.migrate import upgrade

    prepare(settings)
    upgrade(settings.database_url)
    mode = "off (set TELEGRAM_BOT_TOKEN)"
    if settings.telegram_bot_token:
        mode = "webhook" if settings.webhook_mode else "long polling"
    print(
        f"Mediation service on http://{settings.web_host}:{settings.web_port}/  "
        f"database: {settings.database_url.split('://')[0]}  Telegram: {mode}",
        flush=True,
    )
    web.run_app(
        make_web_app(settings),
        host=settings.web_host,
        port=settings.web_port,
        print=None,
        access_log=None,
        loop=new_event_loop(settings.event_loop),
    )
    return 0


def new_event_loop(kind: str) -> asyncio.AbstractEventLoop:
    """uvloop by default: the service is CPU-bound on one core under load, and uvloop's
    transports and scheduling cost less per webhook call, Bot API call and task switch than
    asyncio's (docs/benchmarks.md, "The path of an update"). ``EVENT_LOOP=asyncio`` for the
    standard loop."""
    if kind == "uvloop":
        try:
            import uvloop
        except ImportError:  # not built for this platform: the standard loop works the same
            log.warning("uvloop is not installed; using asyncio's event loop")
        else:
            return uvloop.new_event_loop()
    return asyncio.new_event_loop()
