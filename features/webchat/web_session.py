"""The browser chat's login session: a random token in a cookie, the session on the server.

Why server-side: the cookie used to be a Fernet token holding only the user id, valid for 30
days whatever happened — replayed after logout it still chatted, joined cases and authorised
signing (issue 21). Now the cookie holds a random token and ``webchat_sessions`` its SHA-256,
with an absolute expiry (``MAX_AGE``), an idle expiry (``IDLE``) and ``revoked_at``: logging out
revokes this session, "sign out everywhere" every session of the person, on every replica at
once (each request reads the row; ``last_seen_at`` is written at most every ``TOUCH_EVERY``).

CSRF: the cookies are ``SameSite``; state-changing requests are JSON with an ``X-CSRF-Token``
header equal to the ``chat_csrf`` cookie (double submit, compared in constant time) and a
same-origin ``Origin``; the websocket checks ``Origin`` too (no cross-site websocket hijacking).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from aiohttp import web

from core.clock import Clock
from core.config import Settings
from features.webchat.sessions import IDLE, TOUCH_EVERY, ChatLogin, SessionStore
from storage.db import Database

__all__ = ["COOKIE", "CSRF_COOKIE", "IDLE", "MAX_AGE", "TOUCH_EVERY", "ChatLogin", "ChatSessions"]

COOKIE = "chat_session"
CSRF_COOKIE = "chat_csrf"
MAX_AGE = 30 * 24 * 3600


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ChatSessions:
    def __init__(self, settings: Settings, db: Database, clock: Clock) -> None:
        self.store = SessionStore(db)
        self.clock = clock
        self.secure = bool(settings.public_url and settings.public_url.startswith("https://"))

    async def current(self, request: web.Request) -> ChatLogin | None:
        """This request's live session (not revoked, not expired, not idle too long)."""
        token = request.cookies.get(COOKIE, "")
        if not 20 <= len(token) <= 100:
            return None
        return await self.store.find(_digest(token), self.clock.now())

    async def user_id(self, request: web.Request) -> int | None:
        """The logged-in user of this request, or None."""
        login = await self.current(request)
        return login.user_id if login is not None else None

    async def alive(self, session_id: int) -> bool:
        """Whether a session (an open websocket's) is still valid."""
        return await self.store.alive(session_id, self.clock.now())

    async def login(self, response: web.StreamResponse, user_id: int) -> None:
        token = secrets.token_urlsafe(32)
        lifetime = timedelta(seconds=MAX_AGE)
        await self.store.create(_digest(token), user_id, self.clock.now(), lifetime)
        response.set_cookie(
            COOKIE,
            token,
            max_age=MAX_AGE,
            path="/",
            httponly=True,
            samesite="Lax",
            secure=self.secure,
        )
        # A new CSRF token with the new session (no fixation across the login).
        self.new_csrf(response)

    async def logout(
        self, request: web.Request, response: web.StreamResponse, *, everywhere: bool = False
    ) -> ChatLogin | None:
        """Revoke this session (``everywhere``: every session of its person); the cookie goes."""
        login = await self.current(request)
        response.del_cookie(COOKIE, path="/")
        if login is None:
            return None
        await self.store.revoke(login, self.clock.now(), everywhere=everywhere)
        return login

    def csrf(self, request: web.Request, response: web.StreamResponse | None = None) -> str:
        """The request's CSRF token; a fresh one is set on ``response`` when there is none."""
        token = request.cookies.get(CSRF_COOKIE, "")
        if len(token) < 20 and response is not None:
            token = self.new_csrf(response)
        return token

    def new_csrf(self, response: web.StreamResponse) -> str:
        token = secrets.token_urlsafe(32)
        response.set_cookie(
            CSRF_COOKIE,
            token,
            path="/",
            httponly=True,
            samesite="Strict",
            secure=self.secure,
        )
        return token

    @staticmethod
    def same_origin(request: web.Request) -> bool:
        origin = request.headers.get("Origin")
        if origin is None:
            return True  # not sent by browsers for same-origin GETs; cookies are SameSite
        return urlsplit(origin).netloc == request.host

    def check_csrf(self, request: web.Request) -> bool:
        cookie = request.cookies.get(CSRF_COOKIE, "")
        header = request.headers.get("X-CSRF-Token", "")
        return (
            bool(cookie)
            and hmac.compare_digest(cookie.encode(), header.encode())
            and self.same_origin(request)
        )
