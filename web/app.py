"""The aiohttp application: Telegram webhook, health check, the public landing page and the
site's icon (``web/static``: ``/favicon.ico`` for browsers that ask for it unprompted, and
``/favicon.svg`` that the pages name; shipped with the project, nothing from a CDN).

The staff console (``/staff``), browser chat (``/chat``) and Mini App (``/webapp``) are mounted
here as sub-applications as they are built.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from core import jsonsafe
from web import security

if TYPE_CHECKING:
    from app.runtime import Runtime

log = logging.getLogger(__name__)

RUNTIME: web.AppKey[Runtime] = web.AppKey("runtime")
MAX_UPDATE_BYTES = 1 << 20
#: Telegram's update ids are positive and far below this; larger ones fit no database column
#: (an ``update_id`` of 10**24 was an OverflowError, a 500).
MAX_UPDATE_ID = (1 << 53) - 1
STATIC = Path(__file__).resolve().parent / "static"
#: The icon changes with a release at most: browsers may keep it a week.
ICON_CACHE = "public, max-age=604800"


def icon(name: str, content_type: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The handler that serves ``web/static/<name>`` as the site's icon (before, a browser's
    ``/favicon.ico`` was a 404 on every page)."""
    path = STATIC / name

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(
            path, headers={"Content-Type": content_type, "Cache-Control": ICON_CACHE}
        )

    return handler


async def health(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    async with runtime.db.read() as session:
        await session.connection()
    return web.json_response(
        {"status": "ok", "telegram": runtime.telegram is not None, "db": runtime.db.dialect}
    )


async def telegram_webhook(request: web.Request) -> web.Response:
    """Store the update and answer 200 at once; handling happens after (see bot.app)."""
    runtime = request.app[RUNTIME]
    if runtime.telegram is None:
        raise web.HTTPNotFound()
    given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if not hmac.compare_digest(given.encode(), runtime.telegram.webhook_secret.encode()):
        log.warning("webhook call with a wrong secret from %s", request.remote)
        raise web.HTTPForbidden(text="wrong secret token")
    if runtime.telegram.saturated:
        # Telegram redelivers a refused update with backoff; nothing is stored twice or lost.
        raise web.HTTPServiceUnavailable(text="busy", headers={"Retry-After": "1"})
    if request.content_length is not None and request.content_length > MAX_UPDATE_BYTES:
        raise web.HTTPRequestEntityTooLarge(MAX_UPDATE_BYTES, request.content_length)
    body = await request.content.read(MAX_UPDATE_BYTES + 1)
    if len(body) > MAX_UPDATE_BYTES:
        raise web.HTTPRequestEntityTooLarge(MAX_UPDATE_BYTES, len(body))
    try:
        raw = jsonsafe.loads(body)
    except ValueError:
        raise web.HTTPBadRequest(text="body is not JSON") from None
    if not isinstance(raw, dict) or type(raw.get("update_id")) is not int:
        raise web.HTTPBadRequest(text="not a Telegram update")
    if not 0 <= raw["update_id"] <= MAX_UPDATE_ID:
        raise web.HTTPBadRequest(text="update_id out of range")
    await runtime.telegram.accept(raw, may_hold_nul=b"\\u0000" in body)
    return web.Response(text="ok")


LANDING = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<title>{title}</title>
<style>body{{font-family:"Noto Sans CJK SC",sans-serif;max-width:40rem;margin:2rem auto;
padding:0 1rem;line-height:1.6}}</style></head>
<body><h1>{title}</h1><p>{unit}</p>
<p>线上人民调解服务正在运行。当事人通过 Telegram 机器人登记纠纷、参加调解。</p>
<p>工作人员：<a href="/staff/">进入电子台账（控制台）</a></p>
<p>The online people's mediation service is running. Staff: <a href="/staff/">console</a>.</p>
</body></html>"""


async def landing(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    import html

    text = LANDING.format(title="指尖上的调解室", unit=html.escape(runtime.units.default.name))
    return web.Response(text=text, content_type="text/html")


def create_app(runtime: Runtime) -> web.Application:
    """The shell: the webhook, health and landing page, each feature's web part as the features
    registered it (``runtime.web_setups``, see app.features), and the security layer last, so
    its middlewares are outermost and cover every feature's routes."""
    app = web.Application(client_max_size=MAX_UPDATE_BYTES)
    app[RUNTIME] = runtime
    app.router.add_get("/", landing)
    app.router.add_get("/healthz", health)
    app.router.add_get("/favicon.ico", icon("favicon.ico", "image/x-icon"))
    app.router.add_get("/favicon.svg", icon("favicon.svg", "image/svg+xml"))
    app.router.add_post("/telegram/webhook", telegram_webhook)
    for setup in runtime.web_setups:
        setup(app, runtime)
    security.setup(app, runtime)
    return app
