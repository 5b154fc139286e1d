"""The signing Mini App: a page Telegram opens from the "draw your signature" button.

Routes (``setup`` adds them; the package registers it):

- ``GET /webapp/sign?d=<doc>&v=<sha256>`` – the page (HTML, CSS and a vanilla-JS signature
  pad from ``features/agreements/signing_assets``; nothing from a CDN, so the page works where Telegram's CDN
  is slow and leaks no visit to third parties);
- ``GET /webapp/sign/info`` – what the page shows: the agreement's text for this signer
  (features.agreements.reading: their own name and details in full, the others masked), who is
  signing, the exact version's SHA-256 (under 技术信息), and the interface text in the
  signer's language;
- ``GET /webapp/sign/pdf?d=<doc>`` – the version's PDF, for its signers only (logged);
- ``POST /webapp/sign`` – the drawn PNG (or a typed full name) for that version.

Both API calls carry Telegram's ``initData`` (header ``X-Telegram-Init-Data``), checked with
the bot token's HMAC (features.agreements.initdata); a party of the browser chat (no Telegram)
is authenticated instead by the chat's session cookie (same-origin requests only). A stale ``initData`` is refused; one whose
``hash`` already signed is refused as a replay (the ``webapp_logins`` primary key decides, in
the same transaction as the signature). The version hash in the request must still be the one
being signed, or the request is refused as stale: nobody signs terms they were not shown.
"""

from __future__ import annotations

import base64
import binascii
import logging
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from core import jsonsafe
from documents.errors import InvalidImageError
from features.agreements import page_signing
from features.agreements.common import services_of
from features.agreements.initdata import InitDataError, WebAppUser, check_init_data
from features.webchat.web import CHAT
from i18n import normalise_language, translate
from mediation.replies import Msg
from services.room import label_of
from web.files import serve
from web.security import client_address

if TYPE_CHECKING:
    from app.runtime import Runtime

log = logging.getLogger(__name__)

ASSETS = Path(__file__).with_name("signing_assets")
#: A phone-canvas PNG is 10–60 KB; base64 and JSON add a third.
MAX_BODY = 1_500_000
DEFAULT_MAX_AGE = timedelta(hours=1)
ENV_MAX_AGE = "MEDIATION_WEBAPP_MAX_AGE"
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'self' https://web.telegram.org"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
#: Interface text the page needs, sent by /info in the signer's language.
PAGE_STRINGS = (
    "title",
    "intro",
    "version",
    "sha",
    "tech",
    "tech_hint",
    "signer",
    "text_title",
    "text_hint",
    "pdf",
    "pdf_telegram",
    "parties",
    "h_facts",
    "h_disputes",
    "h_responsibilities",
    "h_terms",
    "h_performance",
    "f_method",
    "f_place",
    "f_deadline",
    "f_copies",
    "f_date",
    "committee",
    "confirm",
    "must_confirm",
    "draw_hint",
    "clear",
    "submit",
    "typed_label",
    "typed_submit",
    "typed_empty",
    "sending",
    "done",
    "empty",
    "failed",
    "pdf_failed",
)


def _runtime(request: web.Request) -> Runtime:
    from web.app import RUNTIME

    return request.app[RUNTIME]


def _max_age(runtime: Runtime) -> timedelta:
    raw = runtime.settings.extra.get(ENV_MAX_AGE, "").strip()
    return timedelta(seconds=int(raw)) if raw.isdigit() and int(raw) > 0 else DEFAULT_MAX_AGE


def _error(status: int, reason: str, language: str, **params: object) -> web.Response:
    text = translate(language, Msg(f"agreements.web.err_{reason}", params))
    return web.json_response(
        {"ok": False, "error": reason, "message": text}, status=status, headers=HEADERS
    )


def _user(request: web.Request, runtime: Runtime, raw: str | None = None) -> WebAppUser:
    token = runtime.settings.telegram_bot_token
    if not token:
        raise InitDataError("malformed")
    data = raw if raw is not None else request.headers.get("X-Telegram-Init-Data", "")
    return check_init_data(data, token, now=runtime.clock.now(), max_age=_max_age(runtime))


async def _browser_user(request: web.Request, runtime: Runtime) -> int | None:
    """The browser chat's logged-in user (a party without Telegram), when no ``initData``
    came: the same page, authenticated by the chat's session cookie (features.webchat.web_session).
    A cookie-authenticated POST must come from our own origin (no cross-site signing)."""
    chat = request.app.get(CHAT)
    if chat is None:
        return None
    if request.method == "POST" and (
        "Origin" not in request.headers or not chat.sessions.same_origin(request)
    ):
        return None
    user_id: int | None = await chat.sessions.user_id(request)
    return user_id


async def _caller(request: web.Request, runtime: Runtime) -> page_signing.Caller:
    """Who asks for the page or its PDF: Telegram's ``initData`` in the header, else the browser
    chat's session. Raises ``InitDataError`` when ``initData`` does not check out."""
    browser = None
    if not request.headers.get("X-Telegram-Init-Data"):
        browser = await _browser_user(request, runtime)
    return page_signing.Caller(_user(request, runtime) if browser is None else None, browser)


async def page(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(
        ASSETS / "sign.html", headers={**HEADERS, "Content-Type": "text/html; charset=utf-8"}
    )


async def asset(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if name not in ("sign.js", "sign.css"):
        raise web.HTTPNotFound()
    kind = "text/javascript" if name.endswith(".js") else "text/css"
    return web.FileResponse(
        ASSETS / name, headers={**HEADERS, "Content-Type": f"{kind}; charset=utf-8"}
    )


async def info(request: web.Request) -> web.Response:
    runtime = _runtime(request)
    language = "zh-CN"
    try:
        caller = await _caller(request, runtime)
    except InitDataError as exc:
        return _error(403, exc.reason, language)
    if caller.telegram is not None:
        language = normalise_language(caller.telegram.language_code)
    page = await page_signing.view(
        runtime.db,
        caller,
        language,
        request.query.get("d", ""),
        request.query.get("v"),
    )
    language = page.language
    if not page.found:
        return _error(404, "not_found", language)
    strings = {k: translate(language, f"agreements.web.{k}") for k in PAGE_STRINGS}
    if page.signer is None:
        # Not one of this version's signers: nothing about the case (its number, version
        # and hash told a stranger which case a leaked link belongs to; issue 21).
        return web.json_response(
            {"ok": False, "error": page.state, "message": page.message, "strings": strings},
            status=403,
            headers=HEADERS,
        )
    return web.json_response(
        {
            "ok": True,
            "state": page.state,
            "message": page.message,
            "number": page.number,
            "version": page.version,
            "sha256": page.sha256,
            "signer": translate(language, label_of(page.signer.member)),
            "name": page.signer.expected_name,
            "agreement": page.agreement,
            "pdf": f"/webapp/sign/pdf?d={page.public_id}" if page.has_pdf else "",
            "strings": strings,
        },
        headers=HEADERS,
    )


async def pdf(request: web.Request) -> web.StreamResponse:
    """The version's PDF for one of its signers: Telegram's ``initData`` in the header (the
    page fetches it), or the browser chat's session (a plain link)."""
    runtime = _runtime(request)
    try:
        caller = await _caller(request, runtime)
    except InitDataError as exc:
        return _error(403, exc.reason, "zh-CN")
    user = caller.telegram
    found = await page_signing.pdf(
        runtime.db,
        caller,
        request.query.get("d", ""),
        now=runtime.clock.now(),
        ip=request.remote,
    )
    if found is None:
        return _error(404, "not_found", normalise_language(user.language_code if user else None))
    headers = {
        "Content-Type": "application/pdf",
        "Content-Disposition": f'attachment; filename="{found.filename}"',
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }
    return await serve(request, runtime.files, found.key, headers)


async def _read_body(request: web.Request) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(65536):
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _png(value: Any) -> bytes | None:
    if not value:
        return None
    text = str(value)
    if text.startswith("data:"):
        text = text.split(",", 1)[-1]
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidImageError("not base64") from None


async def submit(request: web.Request) -> web.Response:
    runtime = _runtime(request)
    language = "zh-CN"
    body = await _read_body(request)
    if body is None:
        return _error(413, "too_large", language)
    try:
        data = jsonsafe.loads(body)
        if not isinstance(data, dict):
            raise ValueError
    except ValueError:
        return _error(400, "malformed", language)
    raw_init = request.headers.get("X-Telegram-Init-Data") or str(data.get("init_data", ""))
    browser = await _browser_user(request, runtime) if not raw_init else None
    try:
        user = _user(request, runtime, raw_init) if browser is None else None
    except InitDataError as exc:
        log.warning("Mini App signature refused: %s initData from %s", exc.reason, request.remote)
        return _error(403, exc.reason, language)
    if user is not None:
        language = normalise_language(user.language_code)
    try:
        png = _png(data.get("png"))
    except InvalidImageError:
        return _error(400, "bad_image", language)
    typed = str(data["typed_name"]) if data.get("typed_name") and png is None else None
    if png is None and typed is None:
        return _error(400, "empty", language)
    try:
        services = services_of(runtime.shared)
    except RuntimeError:
        return _error(503, "unavailable", language)
    result = await page_signing.submit(
        runtime.db,
        services,
        runtime.shared,
        page_signing.Caller(user, browser, client_address(request)),
        language,
        public_id=str(data.get("doc", "")),
        sha=str(data.get("sha", "")),
        typed_name=typed,
        png=png,
        now=runtime.clock.now(),
    )
    runtime.deliver(result.queued)
    language = result.language
    if result.outcome == "replay":
        assert user is not None
        log.warning("replayed initData for Telegram user %s refused", user.telegram_id)
        return _error(409, "replay", language)
    if result.outcome == "not_found":
        return _error(404, "not_found", language)
    if result.outcome == "bad_image":
        return _error(400, "bad_image", language)
    if result.outcome == "refused":
        status = 409 if result.reason in ("stale_version", "already_signed") else 403
        return web.json_response(
            {"ok": False, "error": result.reason, "message": result.message},
            status=status,
            headers=HEADERS,
        )
    return web.json_response(
        {
            "ok": True,
            "state": "signed",
            "version": result.version,
            "message": translate(language, "agreements.web.done"),
        },
        headers=HEADERS,
    )


def setup(app: web.Application, runtime: Runtime) -> None:
    """The feature's web part, registered once in its package's ``register``."""
    app.router.add_get("/webapp/sign", page)
    app.router.add_get("/webapp/sign/info", info)
    app.router.add_get("/webapp/sign/pdf", pdf)
    app.router.add_post("/webapp/sign", submit)
    app.router.add_get("/webapp/sign/assets/{name}", asset)
