"""The stand-in Telegram Bot API server (aiohttp).

Tests, benchmarks and ``main.py demo`` talk to this instead of
api.telegram.org, through the real python-telegram-bot client::

    async with StandinBotAPI() as server:
        app = (
            Application.builder().token("123456:TEST")
            .base_url(server.bot_api_url).base_file_url(server.file_url).build()
        )
        user = server.user(1001)
        await user.send_command("/start")
        ...

The request path is kept lean (no per-request logging, one dict lookup for
the bot, one for the method) so the fake is never the bottleneck of a load
test: it serves well over 1,500 sendMessage calls per second on one core.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web

from .control import add_control_routes
from .engine import Engine
from .methods import lookup
from .models import ApiError, Call, dumps
from .params import parse_request

_HTML_ERRORS = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}
_MAX_UPLOAD = 60 * 1024 * 1024


def error_response(error: ApiError) -> web.Response:
    """Telegram's JSON error, or the nginx HTML page its front end sends for 502-504."""
    reason = _HTML_ERRORS.get(error.status)
    if reason is not None:
        page = (
            f"<html>\r\n<head><title>{error.status} {reason}</title></head>\r\n<body>\r\n"
            f"<center><h1>{error.status} {reason}</h1></center>\r\n<hr><center>nginx/1.18.0"
            "</center>\r\n</body>\r\n</html>\r\n"
        )
        return web.Response(status=error.status, text=page, content_type="text/html")
    return web.Response(
        status=error.status, body=dumps(error.payload()), content_type="application/json"
    )


def _gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


class StandinBotAPI(Engine):
    """A local, in-process Telegram Bot API with simulation and fault injection.

    See ``Engine`` for the simulation/observation API; this class adds the
    HTTP server: Bot API at ``/bot<token>/<method>``, downloads at
    ``/file/bot<token>/<path>``, and control routes under ``/_standin/``.
    """

    def __init__(self, latency: float = 0.0, enforce_rate_limits: bool = False, **kwargs: Any):
        super().__init__(latency, enforce_rate_limits, **kwargs)
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None

    # -- lifecycle -----------------------------------------------------------

    def make_app(self) -> web.Application:
        """The aiohttp application (usable with aiohttp's test utilities too)."""
        app = web.Application(client_max_size=_MAX_UPLOAD)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        add_control_routes(app, self)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on *host*:*port* (0 = any free port) and return the base URL."""
        if self._runner is not None:
            raise RuntimeError("StandinBotAPI is already running")
        for bot in self.all_bots():
            bot.closed = False
        runner = web.AppRunner(self.make_app(), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port, backlog=1024)
        await site.start()
        self._runner = runner
        bound_port = runner.addresses[0][1]
        public_host = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
        self._base_url = f"http://{public_host}:{bound_port}"
        return self._base_url

    async def stop(self) -> None:
        """Wake long polls, stop webhook deliveries and close the listener."""
        await self.close_engine()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> StandinBotAPI:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the running server."""
        if self._base_url is None:
            raise RuntimeError("StandinBotAPI is not started")
        return self._base_url

    @property
    def bot_api_url(self) -> str:
        """What to pass to ``ApplicationBuilder.base_url``."""
        return self.base_url + "/bot"

    @property
    def file_url(self) -> str:
        """What to pass to ``ApplicationBuilder.base_file_url``."""
        return self.base_url + "/file/bot"

    # -- request handling ------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.Response:
        try:
            bot = self.bot_for_token(request.match_info["token"])
            name, handler = lookup(request.match_info["method"])
            params = await parse_request(request)
        except ApiError as exc:
            return error_response(exc)
        counts = self.method_counts
        counts[name] = counts.get(name, 0) + 1
        if self.record_calls:
            self.calls.append(Call(name, params, time.time()))
        if self.flood_waits:
            self.check_flood_wait(name, params)
        delay = 0.0
        reset_after = False
        if self.faults:
            rule = self.faults.take(name)
            if rule is not None:
                if rule.status is not None:
                    error = rule.error()
                    self.record_error(name, params, error)
                    if error.retry_after is not None:
                        self.start_flood_wait(name, error.retry_after, params)
                    return error_response(error)
                if rule.reset == "before":
                    return self.reset_connection(request, name, params, carried_out=False)
                reset_after = rule.reset == "after"
                if rule.delay_when == "before" and rule.delay > 0:
                    await asyncio.sleep(rule.delay)
                    if _gone(request):  # the client gave up: Telegram never saw the call
                        self.abandoned.append((name, params, False, time.time()))
                        return web.Response(status=499)
                else:
                    delay = rule.delay
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        try:
            result = await handler(self, bot, params)
            response = web.Response(
                body=dumps({"ok": True, "result": result}), content_type="application/json"
            )
        except ApiError as exc:
            self.record_error(name, params, exc)
            response = error_response(exc)
        if reset_after:
            return self.reset_connection(request, name, params, carried_out=True)
        if delay > 0:
            await asyncio.sleep(delay)
            if _gone(request):  # carried out, but the client never learns it
                self.abandoned.append((name, params, True, time.time()))
        return response

    def reset_connection(
        self, request: web.Request, name: str, params: dict[str, Any], *, carried_out: bool
    ) -> web.Response:
        """Drop the TCP connection with no answer (the client sees a reset/disconnect)."""
        self.abandoned.append((name, params, carried_out, time.time()))
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=499)

    async def _handle_file(self, request: web.Request) -> web.Response:
        try:
            self.bot_for_token(request.match_info["token"])
        except ApiError as exc:
            return error_response(exc)
        stored = self.files.by_path.get(request.match_info["path"])
        if stored is None:
            return error_response(ApiError(404, "Not Found"))
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )
