"""Control routes under ``/_standin/`` and a small client for them.

Benchmarks and the demo run the bot in another process, so everything the
in-process Python API offers (simulate users, read what the bot sent, inject
faults, read counters) is also reachable over JSON/HTTP.  ``StandinControl``
wraps those routes so a benchmark reads like an in-process test.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

from .models import JSONDict, RateLimits, SentMessage, dumps
from .params import describe_params

if TYPE_CHECKING:
    from .server import StandinBotAPI
    from .simulation import SimUser

_PROFILE = ("first_name", "last_name", "username", "language_code", "phone")


def _bytes(body: JSONDict, key: str = "data_b64") -> bytes | None:
    value = body.get(key)
    return base64.b64decode(value) if value else None


_ACTIONS: dict[str, Callable[[SimUser, JSONDict], Awaitable[JSONDict]]] = {
    "text": lambda u, b: u.send_text(b["text"], reply_to=b.get("reply_to")),
    "command": lambda u, b: u.send_command(b["command"], b.get("payload")),
    "press": lambda u, b: u.press(b["button"], b.get("message_id")),
    "edit": lambda u, b: u.edit_last(b["text"]),
    "forward": lambda u, b: u.forward_text(
        b["text"], b.get("from_name", "李四"), b.get("from_user_id")
    ),
    "contact": lambda u, b: u.send_contact(b.get("phone"), bool(b.get("own", True))),
    "photo": lambda u, b: u.send_photo(_bytes(b), b.get("caption")),
    "document": lambda u, b: u.send_document(
        _bytes(b) or b"",
        b.get("filename", "evidence.pdf"),
        b.get("mime", "application/pdf"),
        b.get("caption"),
    ),
    "voice": lambda u, b: u.send_voice(_bytes(b), int(b.get("duration", 3))),
    "sticker": lambda u, b: u.send_sticker(b.get("emoji", "👍")),
    "location": lambda u, b: u.send_location(float(b["latitude"]), float(b["longitude"])),
    "group": lambda u, b: u.send_in_group(b["text"], int(b["group_id"])),
    "block": lambda u, b: u.block(),
    "unblock": lambda u, b: u.unblock(),
}


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=dumps(data), content_type="application/json")


def _fail(message: str, status: int = 400) -> web.Response:
    return _json({"ok": False, "error": message}, status)


async def _body(request: web.Request) -> JSONDict:
    if not request.body_exists:
        return {}
    data = await request.json()
    return data if isinstance(data, dict) else {}


def add_control_routes(app: web.Application, server: StandinBotAPI) -> None:
    """Mount the ``/_standin/`` routes for *server* on *app*."""
    _ControlRoutes(app, server).mount()


class _ControlRoutes:
    """The handlers of the ``/_standin/`` routes for one server (see :func:`add_control_routes`)."""

    def __init__(self, app: web.Application, server: StandinBotAPI) -> None:
        self.app = app
        self.server = server

    def mount(self) -> None:
        for method, path, handler in (
            ("GET", "/", self._info),
            ("POST", "/users/{id}/{action}", self._user_action),
            ("POST", "/updates", self._inject),
            ("POST", "/chats", self._register_chat),
            ("GET", "/chats/{id}/messages", self._messages),
            ("GET", "/chats/{id}/wait", self._wait),
            ("GET", "/stats", self._stats),
            ("GET", "/calls", self._calls),
            ("GET", "/errors", self._errors),
            ("POST", "/config", self._config),
            ("POST", "/faults", self._faults),
            ("POST", "/reset", self._reset),
            ("POST", "/clear", self._clear),
            ("POST", "/idle", self._idle),
        ):
            add = self.app.router.add_get if method == "GET" else self.app.router.add_post
            add("/_standin" + path, handler)

    def _bot_id(self, request: web.Request, body: JSONDict | None = None) -> int | None:
        value = (body or {}).get("bot_id", request.query.get("bot_id"))
        return int(value) if value not in (None, "") else None

    async def _info(self, request: web.Request) -> web.Response:
        return _json(
            {
                "bot_api_url": self.server.bot_api_url,
                "file_url": self.server.file_url,
                "routes": sorted(
                    {str(r.resource.canonical) for r in self.app.router.routes() if r.resource}
                ),
            }
        )

    async def _user_action(self, request: web.Request) -> web.Response:
        body = await _body(request)
        action = _ACTIONS.get(request.match_info["action"])
        if action is None and request.match_info["action"] != "register":
            return _fail(f"unknown action {request.match_info['action']!r}", 404)
        user = self.server.user(int(request.match_info["id"]), bot_id=self._bot_id(request, body))
        for key in _PROFILE:
            if key in body:
                setattr(user, key, body[key])
        if action is None:
            user.register()
            return _json({"ok": True, "chat_id": user.chat_id})
        try:
            update = await action(user, body)
        except KeyError as exc:
            return _fail(f"missing field {exc.args[0]!r}")
        except AssertionError as exc:
            return _fail(str(exc), 404)
        return _json({"ok": True, "update": update})

    async def _inject(self, request: web.Request) -> web.Response:
        body = await _body(request)
        update = body.get("update", body)
        if not isinstance(update, dict):
            return _fail("update must be an object")
        result = self.server.inject_raw_update(
            update, bot_id=self._bot_id(request, body), keep_id=bool(body.get("keep_id"))
        )
        return _json({"ok": True, "update": result})

    async def _register_chat(self, request: web.Request) -> web.Response:
        body = await _body(request)
        self.server.register_chat(
            int(body["chat_id"]),
            str(body.get("type", "private")),
            first_name=body.get("first_name"),
            title=body.get("title"),
            username=body.get("username"),
            bot_id=self._bot_id(request, body),
        )
        return _json({"ok": True})

    def _after(self, request: web.Request) -> tuple[int, list[SentMessage]]:
        since = int(request.query.get("since", 0))
        messages = self.server.sent_to(int(request.match_info["id"]), bot_id=self._bot_id(request))
        return since, [m for m in messages if m.message_id > since]

    async def _messages(self, request: web.Request) -> web.Response:
        _, found = self._after(request)
        last = found[-1].message_id if found else int(request.query.get("since", 0))
        return _json({"messages": [m.to_json() for m in found], "last_message_id": last})

    async def _wait(self, request: web.Request) -> web.Response:
        wanted = int(request.query.get("count", 1))
        timeout = float(request.query.get("timeout", 5))

        def check() -> list[SentMessage] | None:
            found = self._after(request)[1]
            return found if len(found) >= wanted else None

        found = await self.server.message_signal.wait_until(check, timeout)
        if found is None:
            chat_id = int(request.match_info["id"])
            report = self.server.timeout_report(chat_id, wanted, timeout, self._after(request)[1])
            return _fail(report, 408)
        return _json({"messages": [m.to_json() for m in found]})

    async def _stats(self, request: web.Request) -> web.Response:
        return _json(self.server.stats())

    async def _calls(self, request: web.Request) -> web.Response:
        method = request.query.get("method")
        limit = int(request.query.get("limit", 1000))
        found = self.server.calls_to(method) if method else list(self.server.calls)
        rows = [
            {"method": c.method, "params": describe_params(c.params), "time": c.time}
            for c in found[-limit:]
        ]
        return _json({"calls": rows})

    async def _errors(self, request: web.Request) -> web.Response:
        rows = [e._replace(params=describe_params(e.params))._asdict() for e in self.server.errors]
        return _json({"errors": rows})

    async def _config(self, request: web.Request) -> web.Response:
        body = await _body(request)
        if "latency" in body:
            self.server.latency = float(body["latency"])
        if "enforce_rate_limits" in body:
            self.server.enforce_rate_limits = bool(body["enforce_rate_limits"])
        if "record_calls" in body:
            self.server.record_calls = bool(body["record_calls"])
        if isinstance(body.get("rate_limits"), dict):
            self.server.rate_limits.update(body["rate_limits"])
            self.server.limiter.reset()
        return _json(
            {
                "latency": self.server.latency,
                "enforce_rate_limits": self.server.enforce_rate_limits,
                "record_calls": self.server.record_calls,
                "rate_limits": vars(self.server.rate_limits),
            }
        )

    async def _faults(self, request: web.Request) -> web.Response:
        body = await _body(request)
        method = str(body.get("method", "*"))
        times = int(body.get("times", 1))
        if "timeout" in body:
            self.server.timeout_next(method, float(body["timeout"]), times)
        else:
            retry_after = body.get("retry_after", 1)
            self.server.fail_next(
                method,
                int(body.get("status", 429)),
                int(retry_after) if retry_after is not None else None,
                times,
                body.get("description"),
            )
        return _json({"ok": True, "pending": len(self.server.faults.pending())})

    async def _reset(self, request: web.Request) -> web.Response:
        await self.server.reset()
        return _json({"ok": True})

    async def _clear(self, request: web.Request) -> web.Response:
        self.server.clear()
        return _json({"ok": True})

    async def _idle(self, request: web.Request) -> web.Response:
        body = await _body(request)
        try:
            await self.server.wait_idle(
                float(body.get("timeout", 5)), bot_id=self._bot_id(request, body)
            )
        except AssertionError as exc:
            return _fail(str(exc), 408)
        return _json({"ok": True})


class StandinControl:
    """Drive a stand-in running in another process (benchmarks, demo scripts)."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._session = session
        self._own_session = session is None

    async def __aenter__(self) -> StandinControl:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the session if this client created it."""
        if self._session is not None and self._own_session:
            await self._session.close()
            self._session = None

    async def _request(
        self, verb: str, path: str, body: JSONDict | None = None, **query: Any
    ) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        params = {k: str(v) for k, v in query.items() if v is not None}
        url = f"{self.base_url}/_standin{path}"
        async with self._session.request(verb, url, json=body, params=params) as response:
            data = await response.json(content_type=None)
            if response.status >= 400:
                raise AssertionError(data.get("error") if isinstance(data, dict) else data)
            return data

    # -- simulated users -------------------------------------------------------

    async def act(self, user_id: int, action: str, **body: Any) -> JSONDict:
        """Run any ``SimUser`` action (``text``, ``press``, ``photo``...); returns the update."""
        if isinstance(body.get("data"), bytes):
            body["data_b64"] = base64.b64encode(body.pop("data")).decode()
        result = await self._request("POST", f"/users/{user_id}/{action}", body)
        return dict(result.get("update", result))

    async def send_text(self, user_id: int, text: str, **profile: Any) -> JSONDict:
        """A text message from *user_id* (profile fields like ``first_name`` optional)."""
        return await self.act(user_id, "text", text=text, **profile)

    async def send_command(
        self, user_id: int, command: str, payload: str | None = None
    ) -> JSONDict:
        """``/command payload`` from *user_id*."""
        return await self.act(user_id, "command", command=command, payload=payload)

    async def press(self, user_id: int, button: str, message_id: int | None = None) -> JSONDict:
        """Press an inline or reply-keyboard button."""
        return await self.act(user_id, "press", button=button, message_id=message_id)

    async def inject_raw_update(self, update: JSONDict, keep_id: bool = False) -> JSONDict:
        """Queue an arbitrary update dict."""
        result = await self._request("POST", "/updates", {"update": update, "keep_id": keep_id})
        return dict(result["update"])

    async def register_chat(self, chat_id: int, chat_type: str = "private", **extra: Any) -> None:
        """Make a chat known to the bot."""
        await self._request("POST", "/chats", {"chat_id": chat_id, "type": chat_type, **extra})

    # -- observation -----------------------------------------------------------

    async def messages(self, chat_id: int, since: int = 0) -> list[JSONDict]:
        """Bot messages in the chat with ``message_id`` > *since*."""
        data = await self._request("GET", f"/chats/{chat_id}/messages", since=since)
        return list(data["messages"])

    async def wait_for(
        self,
        chat_id: int,
        count: int = 1,
        since: int = 0,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[JSONDict]:
        """Long-poll until *count* messages newer than *since* exist."""
        data = await self._request(
            "GET", f"/chats/{chat_id}/wait", count=count, since=since, timeout=timeout
        )
        return list(data["messages"])

    async def stats(self) -> JSONDict:
        """Call counts, messages per chat, rate-limit violations, ..."""
        return dict(await self._request("GET", "/stats"))

    async def calls(self, method: str | None = None, limit: int = 1000) -> list[JSONDict]:
        """Recorded Bot API calls."""
        return list((await self._request("GET", "/calls", method=method, limit=limit))["calls"])

    # -- configuration and faults ------------------------------------------------

    async def config(self, **settings: Any) -> JSONDict:
        """Set ``latency``, ``enforce_rate_limits``, ``record_calls``, ``rate_limits``."""
        if isinstance(settings.get("rate_limits"), RateLimits):
            settings["rate_limits"] = vars(settings["rate_limits"])
        return dict(await self._request("POST", "/config", settings))

    async def fail_next(
        self, method: str, status: int = 429, retry_after: int | None = 1, times: int = 1
    ) -> None:
        """Fail the next *times* calls of *method*."""
        body = {"method": method, "status": status, "retry_after": retry_after, "times": times}
        await self._request("POST", "/faults", body)

    async def timeout_next(self, method: str, seconds: float, times: int = 1) -> None:
        """Hold the next responses of *method* for *seconds*."""
        await self._request(
            "POST", "/faults", {"method": method, "timeout": seconds, "times": times}
        )

    async def wait_idle(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until the bot consumed every queued update."""
        await self._request("POST", "/idle", {"timeout": timeout})

    async def reset(self) -> None:
        """Fresh world (chats, users, files, webhooks, commands)."""
        await self._request("POST", "/reset")

    async def clear(self) -> None:
        """Forget messages, calls and counters."""
        await self._request("POST", "/clear")
