"""The browser chat (``/chat``): residents without Telegram report, join, talk and sign.

Routes (``setup`` mounts them; the package registers it):

- ``GET /chat`` (``?unit=<code>`` from a unit's QR poster), ``GET /chat/join/<code or token>``:
  the page (HTML/CSS/JS from ``features/webchat/static``, nothing fetched from elsewhere);
- ``POST /chat/otp/request``, ``POST /chat/otp/verify``, ``POST /chat/logout`` (``{"everywhere":
  true}``: every session of the person): phone login, sessions on the server (features.webchat.web_session);
- ``GET /chat/ws``: the websocket — the page says ``hello`` with the last ``seq`` it has and
  gets every mailbox message after it, then live ones; it sends ``{"cid", "msg"}`` and gets an
  ``ack`` once the message is stored (see features.webchat.channel);
- ``GET /chat/file/<seq>``: a file from this person's mailbox (the sealed agreement, a voice
  recording to play…); ``POST /chat/upload``: evidence and recordings (see ``features.webchat.web_files``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from html import escape as html_escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import WSCloseCode, WSMsgType, web

from core import crypto, jsonsafe
from core.config import public_base
from features.webchat.channel import (
    WebChannel,
    latest_seqs,
    login_phone,
    mailbox_after,
    user_language,
)
from features.webchat.invitation import preview
from features.webchat.otp import CODE_TTL, OtpService, SmsGateway, make_gateway
from features.webchat.staff_menu import staff_buttons
from features.webchat.web_render import render_item
from features.webchat.web_session import ChatSessions
from i18n import catalog, normalise_language, translate
from mediation.masking import mask_phone
from storage.db import Database

if TYPE_CHECKING:
    from app.runtime import Runtime

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
WATCH_SECONDS = 1.0
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "media-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


class Hub:
    """Open websockets per person; the mailbox dispatcher wakes them."""

    def __init__(self) -> None:
        self.connections: dict[int, set[Connection]] = {}

    def add(self, conn: Connection) -> None:
        self.connections.setdefault(conn.user_id, set()).add(conn)

    def remove(self, conn: Connection) -> None:
        conns = self.connections.get(conn.user_id)
        if conns is not None:
            conns.discard(conn)
            if not conns:
                self.connections.pop(conn.user_id, None)

    def wake(self, users: set[int]) -> None:
        for uid in users:
            for conn in self.connections.get(uid, ()):
                conn.wakeup.set()

    async def watch(self, db: Database, every: float = WATCH_SECONDS) -> None:
        """Wake pages whose mailbox grew without this process knowing (another replica's
        dispatcher moved the rows): one query for all connected people, every ``every`` s."""
        while True:
            await asyncio.sleep(every)
            try:
                users = list(self.connections)
                for i in range(0, len(users), 500):
                    chunk = users[i : i + 500]
                    latest = await latest_seqs(db, chunk)
                    for uid in chunk:
                        for conn in self.connections.get(uid, ()):
                            if latest.get(uid, 0) > conn.last:
                                conn.wakeup.set()
            except Exception:
                log.exception("checking the chat mailboxes failed")

    async def disconnect(self, user_id: int, session_id: int | None = None) -> int:
        """Close this person's sockets (``session_id``: only those of one login session;
        logout; tests drop connections with it)."""
        conns = [
            c
            for c in self.connections.get(user_id, ())
            if session_id is None or c.session_id == session_id
        ]
        for conn in conns:
            await conn.ws.close(code=4000, message=b"closed by server")
        return len(conns)

    async def close_all(self) -> None:
        """Close every open socket as the service stops (1001, going away: the page reconnects,
        as after any closed socket, to whichever replica is up). aiohttp's graceful shutdown
        waits for running handlers, and a socket's handler runs as long as its page is open:
        without this a stop with browsers connected waited out the whole shutdown timeout
        (≈ 30–60 s; measured in the tests, docs/benchmarks.md "The test suite's time")."""
        for conns in list(self.connections.values()):
            for conn in list(conns):
                await conn.ws.close(code=WSCloseCode.GOING_AWAY, message=b"service stopping")


class Connection:
    def __init__(
        self, ws: web.WebSocketResponse, user_id: int, last: int, session_id: int = 0
    ) -> None:
        self.ws = ws
        self.user_id = user_id
        self.session_id = session_id
        self.last = last
        self.wakeup = asyncio.Event()
        self.lock = asyncio.Lock()

    async def send(self, data: dict[str, Any]) -> None:
        async with self.lock:
            await self.ws.send_str(json.dumps(data, ensure_ascii=False))


class ChatApp:
    def __init__(self, runtime: Runtime, gateway: SmsGateway, dev_gateway: bool) -> None:
        self.runtime = runtime
        self.sessions = ChatSessions(runtime.settings, runtime.db, runtime.clock)
        settings = runtime.settings
        secret = crypto.load_or_create_secret(settings.secret_key, settings.data_dir)
        self.otp = OtpService(runtime.db, gateway, secret)
        self.dev_gateway = dev_gateway
        self.channel = WebChannel(runtime.db, runtime.conversation)
        self.hub = Hub()
        self.channel.dispatcher.listeners.append(self.hub.wake)
        self.base = public_base(runtime.settings)

    async def language_of(self, user_id: int | None, request: web.Request) -> str:
        if user_id is not None:
            known = await user_language(self.runtime.db, user_id)
            if known is not None:
                return known
        wanted = request.query.get("lang")
        if wanted:
            return normalise_language(wanted)
        return self.runtime.settings.default_language


CHAT: web.AppKey[ChatApp] = web.AppKey("chat")


def _chat(request: web.Request) -> ChatApp:
    return request.app[CHAT]


def strings(language: str) -> dict[str, str]:
    """The page's interface text from the catalogs (keys under ``webchat.``)."""
    return {
        k.removeprefix("webchat."): v
        for k, v in catalog(language).items()
        if k.startswith("webchat.") and not k.startswith("webchat.poster.")
    }


def _client_ip(request: web.Request) -> str:
    from web.security import client_address

    return client_address(request)


async def page(request: web.Request) -> web.StreamResponse:
    chat = _chat(request)
    user_id = await chat.sessions.user_id(request)
    language = await chat.language_of(user_id, request)
    unit_code = request.query.get("unit", "")
    unit = chat.runtime.units.by_code.get(unit_code)
    ui = strings(language)
    config: dict[str, Any] = {
        "lang": language,
        "loggedIn": user_id is not None,
        "user": user_id,
        "unit": unit.code if unit else "",
        "unitName": unit.name if unit else "",
        "join": request.match_info.get("code", "")[:80],
        "dev": chat.dev_gateway,
        # How long the page keeps offering the code box after a reload (chat.js codePending).
        "codeSeconds": int(CODE_TTL.total_seconds()),
        "strings": ui,
    }
    if user_id is not None:
        # A staff member logged in with their account's phone: their work's buttons.
        config["staff"] = await staff_buttons(chat.runtime.db, user_id, language)
    if user_id is None and config["join"]:
        # Who invited her, to what, before she is asked for her phone (issue 19).
        invited = await preview(chat.runtime.db, config["join"], chat.runtime.clock.now(), language)
        if invited is not None:
            config["invite"] = {
                "text": invited.text,
                "number": invited.number,
                "usable": invited.usable,
            }
    html = (STATIC / "chat.html").read_text(encoding="utf-8")
    payload = json.dumps(config, ensure_ascii=False).replace("<", "\\u003c")
    html = html.replace("{{LANG}}", language).replace("{{CONFIG}}", payload)
    html = html.replace("{{TITLE}}", html_escape(ui["title"]))
    response = web.Response(text=html, content_type="text/html", headers=HEADERS)
    csrf = chat.sessions.csrf(request, response)
    response.text = html.replace("{{CSRF}}", csrf)
    return response


async def asset(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if name not in ("chat.js", "chat.css"):
        raise web.HTTPNotFound()
    kind = "text/javascript" if name.endswith(".js") else "text/css"
    return web.FileResponse(
        STATIC / name, headers={**HEADERS, "Content-Type": f"{kind}; charset=utf-8"}
    )


async def _json_body(request: web.Request) -> dict[str, Any]:
    if request.content_length is not None and request.content_length > 4096:
        raise web.HTTPRequestEntityTooLarge(4096, request.content_length)
    try:
        data = jsonsafe.loads(await request.read())
    except ValueError:
        data = None
    return data if isinstance(data, dict) else {}


def _problem(chat: ChatApp, language: str, key: str, status: int, **params: object) -> web.Response:
    return web.json_response(
        {"ok": False, "error": key, "message": translate(language, f"webchat.{key}", **params)},
        status=status,
        headers=HEADERS,
    )


async def otp_request(request: web.Request) -> web.Response:
    chat = _chat(request)
    body = await _json_body(request)
    language = normalise_language(str(body.get("lang") or chat.runtime.settings.default_language))
    if not chat.sessions.check_csrf(request):
        return _problem(chat, language, "err_csrf", 403)
    result = await chat.otp.request(
        str(body.get("phone", "")), _client_ip(request), chat.runtime.clock.now(), language
    )
    if result.error:
        status = {"err_wait": 429, "err_wait_code": 429, "err_rate": 429, "err_sms": 503}.get(
            result.error, 400
        )
        return _problem(chat, language, result.error, status, seconds=result.retry_after)
    return web.json_response({"ok": True}, headers=HEADERS)


async def otp_verify(request: web.Request) -> web.Response:
    chat = _chat(request)
    body = await _json_body(request)
    language = normalise_language(str(body.get("lang") or chat.runtime.settings.default_language))
    if not chat.sessions.check_csrf(request):
        return _problem(chat, language, "err_csrf", 403)
    result = await chat.otp.verify(
        str(body.get("phone", "")),
        str(body.get("code", "")),
        chat.runtime.clock.now(),
        language,
        _client_ip(request),
    )
    if result.error or result.user_id is None:
        key = result.error or "err_generic"
        status = 429 if key == "err_too_many" else 400
        return _problem(chat, language, key, status, left=result.attempts_left)
    response = web.json_response({"ok": True}, headers=HEADERS)
    await chat.sessions.login(response, result.user_id)
    return response


async def logout(request: web.Request) -> web.Response:
    chat = _chat(request)
    if not chat.sessions.check_csrf(request):
        return _problem(chat, chat.runtime.settings.default_language, "err_csrf", 403)
    body = await _json_body(request)
    everywhere = body.get("everywhere") is True
    response = web.json_response({"ok": True}, headers=HEADERS)
    # Revoked on the server: a copy of the cookie is worthless from now on (issue 21).
    login = await chat.sessions.logout(request, response, everywhere=everywhere)
    if login is not None:
        await chat.hub.disconnect(login.user_id, None if everywhere else login.session_id)
    return response


async def websocket(request: web.Request) -> web.StreamResponse:
    chat = _chat(request)
    if not chat.sessions.same_origin(request):
        raise web.HTTPForbidden(text="cross-origin websocket refused")
    login = await chat.sessions.current(request)
    if login is None:
        raise web.HTTPUnauthorized(text="log in first")
    user_id = login.user_id
    ws = web.WebSocketResponse(heartbeat=20, max_msg_size=64 * 1024)
    await ws.prepare(request)
    try:
        first = await ws.receive(timeout=15)
    except TimeoutError:
        await ws.close()
        return ws
    hello = _parse(first)
    if hello is None or hello.get("type") != "hello":
        await ws.close(code=4400, message=b"hello expected")
        return ws
    last = hello.get("last")
    conn = Connection(
        ws, user_id, last if isinstance(last, int) and last >= 0 else 0, login.session_id
    )
    language = await chat.language_of(user_id, request)
    phone = (
        mask_phone((await login_phone(chat.runtime.db, user_id) or "").removeprefix("+86")) or None
    )
    chat.hub.add(conn)
    pusher = asyncio.create_task(_push(chat, conn, language, phone), name=f"chat-push-{user_id}")
    try:
        async for message in ws:
            data = _parse(message)
            if data is None:
                continue
            if data.get("type") == "send":
                cid, msg = data.get("cid"), data.get("msg")
                if not isinstance(cid, str) or not cid or not isinstance(msg, dict):
                    continue
                if not await chat.sessions.alive(login.session_id):
                    # Revoked or expired while the socket was open (another replica's logout).
                    await ws.close(code=4001, message=b"session ended")
                    break
                fresh = await chat.channel.accept(user_id, cid[:64], msg)
                await conn.send({"type": "ack", "cid": cid, "dup": not fresh})
    finally:
        chat.hub.remove(conn)
        pusher.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await pusher
    return ws


def _parse(message: Any) -> dict[str, Any] | None:
    if message.type != WSMsgType.TEXT:
        return None
    try:
        data = jsonsafe.loads(message.data)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


async def _push(chat: ChatApp, conn: Connection, language: str, phone: str | None) -> None:
    """Everything after the page's last ``seq``, then each new row as it is delivered."""
    while not conn.ws.closed:
        conn.wakeup.clear()
        rows = await mailbox_after(chat.runtime.db, conn.user_id, conn.last)
        if rows and conn.session_id and not await chat.sessions.alive(conn.session_id):
            await conn.ws.close(code=4001, message=b"session ended")  # logged out elsewhere
            return
        for row in rows:
            item = render_item(row.seq, row.payload, language, chat.base, phone)
            await conn.send({"type": "msg", "seq": row.seq, "item": item})
            conn.last = row.seq
        if not rows:
            await conn.wakeup.wait()


def add_chat(app: web.Application, runtime: Runtime, gateway: SmsGateway | None = None) -> ChatApp:
    """Mount the chat at ``/chat``; ``gateway`` overrides ``SMS_GATEWAY`` (tests)."""
    name = runtime.settings.sms_gateway
    gateway = gateway or runtime.shared.sms_gateway or make_gateway(runtime.settings)
    # The one gateway of the service: street registrations send their invitations through it.
    runtime.shared.sms_gateway = gateway
    chat = ChatApp(runtime, gateway, dev_gateway=name == "log")
    runtime.senders.append(chat.channel.dispatcher)
    if runtime.telegram is None:
        # No bot to link to: invitations carry the browser join link instead.
        runtime.conversation.deep_link = lambda token: f"{chat.base}/chat/join/{token}"
    sub = web.Application(client_max_size=64 * 1024)
    sub[CHAT] = chat
    sub.router.add_get("/", page)
    sub.router.add_get("/join/{code}", page)
    sub.router.add_get("/static/{name}", asset)
    sub.router.add_post("/otp/request", otp_request)
    sub.router.add_post("/otp/verify", otp_verify)
    sub.router.add_post("/logout", logout)
    from features.webchat import uploads
    from features.webchat import web_files as files

    sub.router.add_post("/upload", files.upload)
    sub.router.add_get("/ws", websocket)
    sub.router.add_get("/file/{seq}", files.download)

    async def lifecycle(_: web.Application) -> AsyncIterator[None]:
        # Started after the runtime (features' start hooks), so the voice service exists:
        # it reads the page's recordings from where the upload route stored them.
        voice = runtime.shared.voice
        if voice is not None:
            voice.register_fetcher("web", files.fetcher(runtime.files))
        await chat.channel.start()
        watcher = asyncio.create_task(chat.hub.watch(runtime.db), name="chat-mailbox-watch")
        sweeper = asyncio.create_task(
            uploads.run_sweeper(runtime.db, runtime.files, runtime.clock), name="chat-upload-sweep"
        )
        yield
        for task in (watcher, sweeper):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for uid in list(chat.hub.connections):
            await chat.hub.disconnect(uid)
        await chat.channel.stop()

    sub.cleanup_ctx.append(lifecycle)

    async def close_sockets(_: web.Application) -> None:
        await chat.hub.close_all()

    # on_shutdown runs before the server waits for its handlers (on_cleanup, after).
    sub.on_shutdown.append(close_sockets)

    app[CHAT] = chat
    app.router.add_get("/chat", page)
    app.add_subapp("/chat", sub)
    return chat


def setup(app: web.Application, runtime: Runtime) -> None:
    """The feature's web part, registered once in its package's ``register``."""
    add_chat(app, runtime)
