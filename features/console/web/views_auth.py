"""Sign-in, the second factor, sign-out, the account page, and static files.

Session fixation: a successful sign-in throws the old session away (``new_session``) and
issues a fresh random token and CSRF token, so a cookie planted or read before sign-in is worth
nothing after it. The pending second-factor state also lives in a fresh session and expires
after five minutes.
"""

from __future__ import annotations

import math
import secrets
import time

import segno
from aiohttp import web
from aiohttp_session import Session, get_session, new_session

from features.console.auth import Outcome, provisioning_uri
from features.console.web.core import (
    CONSOLE,
    STAFF,
    client_ip,
    flash,
    redirect,
    render,
    staff_of,
    svg,
    t,
)
from mediation.staff_alerts import QuietHours

TOTP_PENDING_SECONDS = 300


def _safe_next(value: str | None) -> str:
    """Only paths inside the console (no ``//evil.example``): no open redirect."""
    if value and value.startswith("/staff/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/staff/"


async def _start_session(request: web.Request, token: str) -> None:
    old = await get_session(request)
    lang = old.get("lang")
    session = await new_session(request)
    session["token"] = token
    session["csrf"] = secrets.token_urlsafe(32)
    if lang:
        session["lang"] = lang


async def login_form(request: web.Request) -> web.StreamResponse:
    if request.get(STAFF) is not None:
        raise web.HTTPSeeOther("/staff/")
    return await render(
        request, "login.html", next=_safe_next(request.query.get("next")), error=None
    )


async def login(request: web.Request) -> web.StreamResponse:
    console = request.app[CONSOLE]
    form = await request.post()
    username = str(form.get("username", ""))
    password = str(form.get("password", ""))
    target = _safe_next(str(form.get("next", "")))
    result = await console.auth.login(
        username, password, client_ip(request), request.headers.get("User-Agent", "")
    )
    if result.outcome is Outcome.OK and result.token:
        await _start_session(request, result.token)
        raise web.HTTPSeeOther(target)
    if result.outcome is Outcome.TOTP_REQUIRED:
        old_lang = (await get_session(request)).get("lang")
        session = await new_session(request)
        session["csrf"] = secrets.token_urlsafe(32)
        session["totp_pending"] = [result.staff_id, int(time.time()), target]
        if old_lang:
            session["lang"] = old_lang
        raise redirect(request, "/login/totp")
    key = "console.login.locked" if result.outcome is Outcome.LOCKED else "console.login.invalid"
    status = 429 if result.outcome is Outcome.LOCKED else 401
    error = t(request, key, minutes=_minutes(result.retry_after))
    return await render(request, "login.html", status=status, next=target, error=error)


def _minutes(seconds: float) -> int:
    return max(1, math.ceil(seconds / 60))


def _pending(session: Session) -> tuple[int, str] | None:
    value = session.get("totp_pending")
    if not isinstance(value, list) or len(value) != 3:
        return None
    staff_id, started, target = value
    if not isinstance(staff_id, int) or time.time() - float(started) > TOTP_PENDING_SECONDS:
        return None
    return staff_id, str(target)


async def totp_form(request: web.Request) -> web.StreamResponse:
    if _pending(await get_session(request)) is None:
        raise redirect(request, "/login")
    return await render(request, "totp.html", error=None)


async def totp_submit(request: web.Request) -> web.StreamResponse:
    console = request.app[CONSOLE]
    session = await get_session(request)
    pending = _pending(session)
    if pending is None:
        await flash(request, t(request, "console.login.totp_expired"), "error")
        raise redirect(request, "/login")
    form = await request.post()
    result = await console.auth.login_totp(
        pending[0],
        str(form.get("code", "")),
        client_ip(request),
        request.headers.get("User-Agent", ""),
    )
    if result.outcome is Outcome.OK and result.token:
        await _start_session(request, result.token)
        raise web.HTTPSeeOther(_safe_next(pending[1]))
    key = (
        "console.login.locked" if result.outcome is Outcome.LOCKED else "console.login.totp_invalid"
    )
    status = 429 if result.outcome is Outcome.LOCKED else 401
    error = t(request, key, minutes=_minutes(result.retry_after))
    return await render(request, "totp.html", status=status, error=error)


async def logout(request: web.Request) -> web.StreamResponse:
    console = request.app[CONSOLE]
    session = await get_session(request)
    token = session.get("token")
    staff = staff_of(request)
    if isinstance(token, str):
        await console.auth.logout(token, staff.username, staff.unit_code, client_ip(request))
    lang = session.get("lang")
    session = await new_session(request)
    session["csrf"] = secrets.token_urlsafe(32)
    if lang:
        session["lang"] = lang
    await flash(request, t(request, "console.login.logged_out"))
    raise redirect(request, "/login")


# ---------------------------------------------------------------------- account page


async def account(request: web.Request) -> web.StreamResponse:
    console = request.app[CONSOLE]
    staff = staff_of(request)
    enabled, pending = await console.accounts.totp_status(staff)
    qr = None
    uri = None
    if pending:
        uri = provisioning_uri(pending, staff.username)
        qr = svg(segno.make(uri, error="m").svg_inline(scale=4, dark="#0f172a"))
    return await render(
        request,
        "account.html",
        totp_enabled=enabled,
        totp_secret=pending,
        totp_uri=uri,
        totp_qr=qr,
        quiet_hours=await console.accounts.quiet_hours(staff),
        # The service's default as words: "off" (no quiet hours) is not a window to show.
        service_quiet_hours=(
            console.accounts.service_quiet_hours
            if QuietHours.parse(console.accounts.service_quiet_hours) is not None
            else t(request, "console.account.quiet_none")
        ),
    )


async def quiet_hours_change(request: web.Request) -> web.StreamResponse:
    """One's own quiet hours for the chat's alerts (a night-shift officer, a day mediator)."""
    console = request.app[CONSOLE]
    form = await request.post()
    error = await console.accounts.set_quiet_hours(
        staff_of(request), str(form.get("quiet_hours", "")), client_ip(request)
    )
    await flash(
        request,
        t(request, error or "console.account.quiet_saved"),
        "error" if error else "info",
    )
    raise redirect(request, "/account")


async def change_password(request: web.Request) -> web.StreamResponse:
    console = request.app[CONSOLE]
    form = await request.post()
    staff = staff_of(request)
    error = await console.accounts.change_password(
        staff, str(form.get("current", "")), str(form.get("new", "")), client_ip(request)
    )
    if error:
        await flash(request, t(request, error), "error")
        raise redirect(request, "/account")
    # Every session of the account ended, this one too: sign in again with the new password.
    session = await new_session(request)
    session["csrf"] = secrets.token_urlsafe(32)
    await flash(request, t(request, "console.account.password_changed"))
    raise redirect(request, "/login")


async def totp_change(request: web.Request) -> web.StreamResponse:
    console = request.app[CONSOLE]
    form = await request.post()
    staff = staff_of(request)
    step = str(form.get("step", ""))
    code = str(form.get("code", ""))
    error: str | None = None
    if step == "begin":
        await console.accounts.begin_totp(staff)
    elif step == "confirm":
        error = await console.accounts.confirm_totp(staff, code, client_ip(request))
        if error is None:
            await flash(request, t(request, "console.account.totp_on"))
    elif step == "disable":
        error = await console.accounts.disable_totp(staff, code, client_ip(request))
        if error is None:
            await flash(request, t(request, "console.account.totp_off"))
    if error:
        await flash(request, t(request, error), "error")
    raise redirect(request, "/account")


async def static_file(request: web.Request) -> web.StreamResponse:
    """Only the files shipped in ``static/`` (no directory walking)."""
    path = request.app[CONSOLE].static_files.get(request.match_info["name"])
    if path is None:
        raise web.HTTPNotFound()
    response = web.FileResponse(path)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
