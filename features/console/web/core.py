"""The console's request pipeline: language, session, sign-in, CSRF, permissions, rendering.

One middleware does, in order: pick the language (``?lang=`` → session → default), make sure
the session has a CSRF token, refuse an unsafe request whose token does not match (403 — the
token is bound to the session, compared in constant time), resolve the signed-in staff member
from the server-side session, and check the route's declared action against the role matrix.
Every route declares its action in ``features.console.web.routes.ROUTES``; a route without one cannot be
registered, so a forgotten check fails closed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web
from aiohttp_session import Session, get_session
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from features.console.accounts import AccountService
from features.console.auth import AuthService
from features.console.case_actions import CaseActions
from features.console.case_view import CaseViewService
from features.console.context import Forbidden, NotFound, StaffContext
from features.console.dashboard import DashboardService
from features.console.export import Exporter
from features.console.ledger import LedgerService
from features.console.risk import RiskService
from i18n import LANGUAGES, translate
from mediation import masking
from mediation.replies import Msg
from mediation.staff_permissions import Action
from mediation.units import UnitDirectory
from services.features import timeline_message

if TYPE_CHECKING:
    from features.console.web.pages import ConsolePages, NavLink

HERE = Path(__file__).parent
STATIC = HERE / "static"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SIGNED_IN = "signed_in"  # route action meaning "any signed-in staff member"
PUBLIC = "public"


@dataclass
class Console:
    units: UnitDirectory
    tz: ZoneInfo
    default_language: str
    auth: AuthService
    accounts: AccountService
    ledger: LedgerService
    exporter: Exporter
    cases: CaseViewService
    actions: CaseActions
    risk: RiskService
    dashboard: DashboardService
    env: Environment
    static_versions: dict[str, str] = field(default_factory=dict)
    #: Every file ``/staff/static/{name}`` serves: the console's and the features' (by name).
    static_files: dict[str, Path] = field(default_factory=dict)
    #: What features contribute (``features.console.web.pages``): routes, menu, dashboard.
    pages: tuple[ConsolePages, ...] = ()

    @property
    def nav(self) -> list[NavLink]:
        return [link for page in self.pages for link in page.nav]


CONSOLE: web.AppKey[Console] = web.AppKey("console", Console)
ROUTE_ACTIONS: web.AppKey[dict[Handler, str]] = web.AppKey("console_route_actions", dict)
STAFF: web.RequestKey[StaffContext] = web.RequestKey("console_staff", StaffContext)
LANG: web.RequestKey[str] = web.RequestKey("console_lang", str)


def static_versions(files: dict[str, Path] | None = None) -> dict[str, str]:
    """Content hashes for cache-busting ``?v=`` (files are served with a long max-age); the
    console's own ``static/`` unless given every file served."""
    if files is None:
        files = {p.name: p for p in STATIC.iterdir() if p.is_file()}
    return {name: hashlib.sha256(p.read_bytes()).hexdigest()[:10] for name, p in files.items()}


def make_env(template_dirs: list[Path] | None = None) -> Environment:
    """The console's templates, and after them each contributing feature's (which extend the
    console's ``base.html``)."""
    env = Environment(
        loader=FileSystemLoader(template_dirs or [HERE / "templates"]),
        autoescape=select_autoescape(["html", "svg"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["mask_phone"] = masking.mask_phone
    env.filters["mask_name"] = masking.mask_name
    env.filters["scrub"] = masking.scrub_digits
    return env


# ---------------------------------------------------------------------- request helpers


def client_ip(request: web.Request) -> str:
    """The client's address: the peer, or what a proxy in ``TRUSTED_PROXIES`` names (never a
    forwarding header from anyone else: trusting it would let anyone dodge the limits)."""
    from web.security import client_address

    return client_address(request)


def staff_of(request: web.Request) -> StaffContext:
    staff = request.get(STAFF)
    if not isinstance(staff, StaffContext):
        raise web.HTTPForbidden()
    return staff


def lang_of(request: web.Request) -> str:
    return str(request.get(LANG, "zh-CN"))


def t(request: web.Request, key: str, **params: object) -> str:
    return translate(lang_of(request), key, **params)


async def flash(request: web.Request, text: str, kind: str = "ok") -> None:
    session = await get_session(request)
    session["flash"] = [*session.get("flash", []), [kind, text]][-5:]


def url(request: web.Request, path: str, **params: Any) -> str:
    query = {k: v for k, v in params.items() if v not in (None, "", [])}
    base = "/staff" + path
    return base + ("?" + urlencode(query, doseq=True) if query else "")


def redirect(request: web.Request, path: str, **params: Any) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(url(request, path, **params))


def home_of(staff: StaffContext) -> str:
    """Where a staff member without the dashboard starts (the sign-in lands on ``/staff/``):
    a lawyer or grid worker on their posts' tasks, others on the ledger or their account."""
    if staff.can(Action.HANDLE_TASKS):
        return "/street/tasks"
    return "/cases" if staff.can(Action.VIEW_LEDGER) else "/account"


#: The largest value of an INTEGER column on PostgreSQL: a larger id cannot exist, and passing
#: it to the driver fails (OverflowError on SQLite, DataError on asyncpg) instead of "not found".
MAX_ID = 2**31 - 1


def form_int(value: str | None) -> int | None:
    """A non-negative id or count from a form, query or path; None for anything else
    (``"²".isdigit()`` is true but ``int("²")`` fails, hence the ASCII check)."""
    if not value or not (value.isascii() and value.isdigit()) or len(value) > 10:
        return None
    number = int(value)
    return number if number <= MAX_ID else None


def path_id(request: web.Request, name: str) -> int:
    """The id in the route's ``{name}``; a page that cannot exist (404) for anything else."""
    value = form_int(request.match_info[name])
    if value is None:
        raise web.HTTPNotFound()
    return value


def case_id_of(request: web.Request) -> int:
    """The case a page is about (``{case_id}`` in the console's and the street's case routes)."""
    return path_id(request, "case_id")


# ---------------------------------------------------------------------- rendering


def fmt_time(tz: ZoneInfo, value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.astimezone(tz).strftime(fmt) if value is not None else ""


def fmt_money(value: Decimal | None) -> str:
    return f"{value:,.2f}" if value is not None else ""


async def render(
    request: web.Request, template: str, *, status: int = 200, **context: Any
) -> web.Response:
    console = request.app[CONSOLE]
    session = await get_session(request)
    lang = lang_of(request)
    staff = request.get(STAFF)
    messages = session.pop("flash", [])
    alerts = await console.risk.open_count(staff) if isinstance(staff, StaffContext) else 0
    other = "en" if lang == "zh-CN" else "zh-CN"
    query = dict(request.query)
    query["lang"] = other
    html = console.env.get_template(template).render(
        t=partial(translate, lang),
        lang=lang,
        other_lang=other,
        lang_url=request.path + "?" + urlencode(query),
        staff=staff if isinstance(staff, StaffContext) else None,
        can=(lambda a: isinstance(staff, StaffContext) and staff.can(Action(a))),
        csrf=session.get("csrf", ""),
        messages=messages,
        alert_count=alerts,
        units=console.units,
        unit_name=partial(unit_name, console.units, lang),
        time=partial(fmt_time, console.tz),
        money=fmt_money,
        static=lambda name: f"/staff/static/{name}?v={console.static_versions.get(name, '0')}",
        url=partial(url, request),
        room_text=partial(room_text, lang),
        path=request.path,
        feature_nav=console.nav,
        timeline_message=timeline_message,
        **context,
    )
    return web.Response(text=html, content_type="text/html", status=status)


def unit_name(units: UnitDirectory, lang: str, code: str) -> str:
    unit = units.by_code.get(code)
    if unit is None:
        return code
    return unit.name_en if lang == "en" and unit.name_en else unit.name


def _revive(value: object) -> object:
    """Plain ``{"key", "params"}`` dicts stored by the room back into messages."""
    if isinstance(value, dict) and set(value) == {"key", "params"}:
        params = value["params"] if isinstance(value["params"], dict) else {}
        return Msg(str(value["key"]), {k: _revive(v) for k, v in params.items()})
    if isinstance(value, list):
        return [_revive(v) for v in value]
    return value


def room_text(lang: str, key: str, params: object) -> str:
    """A room event of the record, in the reader's language."""
    values = {k: _revive(v) for k, v in params.items()} if isinstance(params, dict) else {}
    return translate(lang, Msg(key, values))


def svg(markup: str) -> Markup:
    """Chart SVG built by ``features.console.web.charts`` (which escapes every label itself)."""
    return Markup(markup)


# ---------------------------------------------------------------------- middleware


def _choose_language(request: web.Request, session: Session, default: str) -> str:
    wanted = request.query.get("lang")
    if wanted in LANGUAGES:
        if session.get("lang") != wanted:
            session["lang"] = wanted
        return str(wanted)
    stored = session.get("lang")
    return str(stored) if stored in LANGUAGES else default


async def _csrf_ok(request: web.Request, session: Session) -> bool:
    expected = session.get("csrf")
    if not expected:
        return False
    given = request.headers.get("X-CSRF-Token", "")
    if not given and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        form = await request.post()
        value = form.get("_csrf", "")
        given = value if isinstance(value, str) else ""
    return hmac.compare_digest(given.encode(), str(expected).encode())


SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


@web.middleware
async def console_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await _guarded(request, handler)
    except web.HTTPException as exc:
        exc.headers.update(SECURITY_HEADERS)
        raise
    if not response.prepared:  # a streamed export set its headers before sending them
        response.headers.update(SECURITY_HEADERS)
        if not request.path.startswith("/staff/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
    return response


async def _guarded(request: web.Request, handler: Handler) -> web.StreamResponse:
    console = request.app[CONSOLE]
    session = await get_session(request)
    request[LANG] = _choose_language(request, session, console.default_language)
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    route_handler = request.match_info.handler
    action = request.app[ROUTE_ACTIONS].get(route_handler)
    if action is None:
        if request.match_info.http_exception is not None:
            raise request.match_info.http_exception
        raise web.HTTPForbidden()  # a route nobody declared: fail closed
    if request.method in UNSAFE and not await _csrf_ok(request, session):
        return await render(
            request, "error.html", status=403, message=t(request, "console.error.csrf")
        )
    token = session.get("token")
    if isinstance(token, str):
        account = await console.auth.resolve(token)
        if account is not None:
            request[STAFF] = StaffContext.of(account, console.units)
        else:
            session.pop("token", None)
    if action == PUBLIC:
        return await handler(request)
    staff = request.get(STAFF)
    if not isinstance(staff, StaffContext):
        if request.method == "GET":
            raise redirect(request, "/login", next=request.path_qs)
        return await render(
            request, "error.html", status=401, message=t(request, "console.error.signed_out")
        )
    if action != SIGNED_IN and not staff.can(Action(action)):
        if request.method == "GET" and request.path == "/staff/":
            raise redirect(request, home_of(staff))  # the start page after sign-in
        return await render(
            request, "error.html", status=403, message=t(request, "console.error.forbidden")
        )
    try:
        return await handler(request)
    except NotFound:
        return await render(
            request, "error.html", status=404, message=t(request, "console.error.not_found")
        )
    except Forbidden:
        return await render(
            request, "error.html", status=403, message=t(request, "console.error.forbidden")
        )
