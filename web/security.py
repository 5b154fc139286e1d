"""Safety nets for every web route: security headers, clear error pages, upload limits.

Why one place: routes are added by several feature modules (console, Mini App, verify page,
browser chat); each sets its own strict Content-Security-Policy, but a route that forgets, an
aiohttp default error ("404: Not Found", "413: Request Entity Too Large") or an unexpected
exception must still reach the person as a clear page in their language, never as a traceback,
and every response must carry the basic headers.

- Headers (``on_response_prepare``, so streamed and file responses get them too; a route's own
  value wins): ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``, a
  restrictive default CSP, and ``X-Frame-Options: DENY`` unless the route's CSP names its own
  ``frame-ancestors`` (the Mini App must be framed by Telegram's web client).
- Errors (middleware): aiohttp's default error texts become a zh-CN/en page, or JSON for API
  callers; any other exception is logged (scrubbed by core.logs) and answered with a 500 page
  that says nothing about the internals.
- Uploads to ``/verify/…`` (a PDF re-checked against the seal, which costs CPU) are limited per
  client address and per document once the link is known to be right (features.verify.web), counted in
  the database so that replicas share the limits
  (:class:`services.rate_limits.SharedRateLimiter`), and must be a PDF by their first bytes
  (``%PDF-``), not by their name.
- Connections (``on_response_prepare``): a request that asked to switch protocols (``Connection:
  Upgrade``, ``CONNECT``) and was answered with anything but ``101`` closes its connection after
  the answer. aiohttp (3.14.5) switches a connection to the requested protocol only once the
  request's body has been read in full; when the answer goes out before the rest of the body
  arrives (a 405, a refused sign-in: no handler reads it), the switch happens after aiohttp has
  stopped watching for a declined upgrade, and every later byte on that kept-alive connection
  is stored as "upgraded" data that nothing reads: the next request on it never gets an answer.
  Found by tests/security/test_web_hostile.py (a ``PATCH`` with ``Upgrade: websocket`` and a
  210 KB body, then an unrelated multipart ``POST`` on the same connection waited for ever).
- Form bodies are read once, before any handler, within ``FORM_READ_SECONDS``: a client that
  promises more than it sends (``Content-Length`` longer than the body) gets a 408 instead of
  holding a handler open.
"""

from __future__ import annotations

import asyncio
import functools
import html
import logging
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from core import netaddr
from i18n import normalise_language, translate
from services.rate_limits import SharedRateLimiter
from storage.db import is_refused_value

if TYPE_CHECKING:
    from app.runtime import Runtime

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

DEFAULT_CSP = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
#: Uploads of copies to /verify (counted once the id and key are right: features.verify.web): per
#: client address, and per document. The CPU they cost is bounded by the verify pool's
#: workers and queue (documents.verify_pool), not by a limit everyone shares.
VERIFY_PER_ADDRESS = (10, 600.0)  # 10 per 10 minutes
VERIFY_PER_DOCUMENT = (30, 600.0)
PDF_MAGIC = b"%PDF-"
PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{title}</title>
<style>body{{font-family:"Noto Sans CJK SC",system-ui,sans-serif;max-width:40rem;margin:2rem auto;
padding:0 1rem;line-height:1.6}}</style></head>
<body><h1>{title}</h1><p>{message}</p><p><a href="/">{home}</a></p></body></html>"""

_REASONS = {
    400: "bad_request",
    401: "forbidden",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "timeout",
    413: "too_large",
    415: "unsupported_type",
    429: "too_many",
    503: "unavailable",
}


LIMITS: web.AppKey[tuple[SharedRateLimiter, SharedRateLimiter]] = web.AppKey(
    "security_limits", tuple
)


def language_of(request: web.Request) -> str:
    chosen = request.query.get("lang") or request.headers.get("Accept-Language") or ""
    return normalise_language(chosen.split(",")[0].strip() or None)


def wants_json(request: web.Request) -> bool:
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_response(
    request: web.Request, status: int, reason: str, **params: object
) -> web.Response:
    """A clear error in the caller's language: JSON for API callers, else a small page."""
    language = language_of(request)
    message = translate(language, f"security.{reason}", **params)
    headers = {"Cache-Control": "no-store"}
    if wants_json(request):
        return web.json_response(
            {"ok": False, "error": reason, "message": message}, status=status, headers=headers
        )
    text = PAGE.format(
        lang=language,
        title=html.escape(translate(language, "security.title")),
        message=html.escape(message),
        home=html.escape(translate(language, "security.home")),
    )
    return web.Response(text=text, status=status, content_type="text/html", headers=headers)


def _is_default_text(exc: web.HTTPException) -> bool:
    return exc.text in (None, "", f"{exc.status}: {exc.reason}")


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"


def _route_limit(exc: web.HTTPException) -> int | None:
    """The limit a route raised ``HTTPRequestEntityTooLarge(limit, …)`` with (the /verify
    upload's 5 MB, say): aiohttp keeps it only in the default text."""
    found = re.match(r"Maximum request body size (\d+) exceeded", exc.text or "")
    return int(found.group(1)) if found else None


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or (exc.status != 413 and not _is_default_text(exc)):
            raise
        reason = _REASONS.get(exc.status, "bad_request" if exc.status < 500 else "error")
        params: dict[str, object] = {}
        if exc.status == 413:
            from web.app import MAX_UPDATE_BYTES

            params["limit"] = _size(_route_limit(exc) or MAX_UPDATE_BYTES)
        if exc.status == 429:
            params["minutes"] = 10
        response = error_response(request, exc.status, reason, **params)
        for name in ("Allow", "Retry-After", "Location"):
            if name in exc.headers:
                response.headers[name] = exc.headers[name]
        return response
    except Exception as exc:
        if is_refused_value(exc):
            # A value from the request the database cannot hold (a NUL character, a number out
            # of range): the request is at fault, not us.
            log.warning("refused a value the database cannot hold: %s", request.path)
            return error_response(request, 400, "bad_request")
        log.exception("unhandled error in %s %s", request.method, request.path)
        return error_response(request, 500, "error")


def has_nul(request: web.Request) -> bool:
    """A NUL character has no use in any of our inputs, and PostgreSQL refuses it in text."""
    query = request.query
    return "\x00" in request.path or any("\x00" in k or "\x00" in v for k, v in query.items())


FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
#: How long a form body may take to arrive in full (forms are at most ``client_max_size``, 1 MB:
#: a minute is ~140 kbit/s, slower than any phone that can open the pages).
FORM_READ_SECONDS = 60.0
#: The same, per app: a test sets it short to see the 408 without waiting a minute.
FORM_TIMEOUT: web.AppKey[float] = web.AppKey("security_form_timeout", float)


@web.middleware
async def form_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Parse a form body once, here, so a malformed one (a multipart body cut short, an
    unknown charset, bytes that are not UTF-8) is a clear 400 instead of an exception inside
    whichever handler or CSRF check reads it first, and one that never arrives in full (a
    ``Content-Length`` longer than what the client sends) a 408 after ``FORM_READ_SECONDS``
    instead of a handler waiting for as long as the client keeps the connection open.
    ``request.post()`` caches its result, so handlers get the parsed form for free. /verify
    streams its upload and parses it itself.
    NUL characters in the path, query or form are refused here too (found by the fuzz test on
    PostgreSQL: ``/verify/%00`` was a 500)."""
    if has_nul(request):
        return error_response(request, 400, "bad_request")
    if (
        request.method in ("POST", "PUT", "PATCH", "DELETE")
        and request.content_type in FORMS
        # /verify and the browser chat's /chat/upload stream their uploads and parse them.
        and not request.path.startswith(("/verify/", "/chat/upload"))
    ):
        try:
            async with asyncio.timeout(request.config_dict.get(FORM_TIMEOUT, FORM_READ_SECONDS)):
                form = await request.post()
        except TimeoutError:
            response = error_response(request, 408, "timeout")
            response.force_close()  # the rest of the body may still come: not a next request
            return response
        except (ValueError, AssertionError, LookupError, HttpProcessingError):
            return error_response(request, 400, "bad_request")
        if any(isinstance(v, str) and "\x00" in v for v in form.values()):
            return error_response(request, 400, "bad_request")
    return await handler(request)


def client_address(request: web.Request) -> str:
    """The client's address as limits count it: the peer, or — when the peer is one of
    ``TRUSTED_PROXIES`` — the address the proxies name (core.netaddr)."""
    from web.app import RUNTIME

    runtime = request.config_dict.get(RUNTIME)
    proxies = runtime.settings.trusted_proxies if runtime is not None else ()
    if not proxies:
        return request.remote or "?"
    return netaddr.client_address(
        request.remote,
        request.headers.get("Forwarded"),
        request.headers.get("X-Forwarded-For"),
        _networks(proxies),
    )


@functools.cache
def _networks(proxies: tuple[str, ...]) -> tuple[netaddr.Network, ...]:
    return netaddr.parse_networks(",".join(proxies))


@web.middleware
async def upload_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Type check for the public upload of /verify (before any parsing); its limits are
    counted by features.verify.web once the document is known."""
    if request.method != "POST" or not request.path.startswith("/verify/"):
        return await handler(request)
    if not request.content_type.startswith("multipart/"):
        return error_response(request, 415, "unsupported_type")
    return await handler(request)


def is_pdf(data: bytes) -> bool:
    """By content, not by name: a PDF starts with ``%PDF-`` (within its first KB by the spec's
    tolerance; readers accept leading junk, which a sealed file of ours never has)."""
    return data[:1024].lstrip().startswith(PDF_MAGIC)


async def add_headers(request: web.Request, response: web.StreamResponse) -> None:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    csp = headers.setdefault("Content-Security-Policy", DEFAULT_CSP)
    if "frame-ancestors" not in csp or "frame-ancestors 'none'" in csp:
        headers.setdefault("X-Frame-Options", "DENY")


def asks_to_switch(request: web.Request) -> bool:
    """The request asked for another protocol on its connection (a WebSocket, ``CONNECT``)."""
    if request.method == "CONNECT":
        return True
    tokens = ",".join(request.headers.getall("Connection", [])).lower().split(",")
    return "upgrade" in {t.strip() for t in tokens} and bool(request.headers.get("Upgrade"))


async def close_declined_upgrade(request: web.Request, response: web.StreamResponse) -> None:
    """A declined switch of protocols ends the connection after its answer (module docstring,
    "Connections"): the client opens a new one for its next request instead of sending it into
    a connection aiohttp may already treat as switched."""
    if response.status != 101 and asks_to_switch(request):
        response.force_close()
        response.headers["Connection"] = "close"


def setup(app: web.Application, runtime: Runtime) -> None:
    """Mounted last by ``web.app.create_app``: outermost middlewares and the header hook."""
    now = runtime.clock.now
    app[LIMITS] = (
        SharedRateLimiter(runtime.db, "verify.address", *VERIFY_PER_ADDRESS, now=now),
        SharedRateLimiter(runtime.db, "verify.document", *VERIFY_PER_DOCUMENT, now=now),
    )
    app.middlewares.insert(0, form_middleware)
    app.middlewares.insert(0, upload_middleware)
    app.middlewares.insert(0, error_middleware)
    app.on_response_prepare.append(add_headers)
    app.on_response_prepare.append(close_declined_upgrade)
