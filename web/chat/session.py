"""The browser chat's login session: an encrypted, authenticated cookie, and CSRF.

Why a Fernet cookie and no server-side session: it carries only the user id and is checked
(authenticated encryption with a key derived from ``SECRET_KEY`` for this purpose alone, and
an age limit) on every request, so any replica can serve any request. CSRF: the cookies are
``SameSite``; state-changing requests are JSON with an ``X-CSRF-Token`` header equal to the
``chat_csrf`` cookie (double submit, compared in constant time) and a same-origin ``Origin``;
the websocket checks ``Origin`` too (no cross-site websocket hijacking).
"""

from __future__ import annotations

import base64
import hmac
import json
import secrets
from urllib.parse import urlsplit

from aiohttp import web
from cryptography.fernet import Fernet, InvalidToken

from core import crypto
from core.config import Settings

COOKIE = "chat_session"
CSRF_COOKIE = "chat_csrf"
MAX_AGE = 30 * 24 * 3600


class ChatSessions:
    def __init__(self, settings: Settings) -> None:
        secret = crypto.load_or_create_secret(settings.secret_key, settings.data_dir)
        self._fernet = Fernet(base64.urlsafe_b64encode(crypto.derive_key(secret, "chat-cookie")))
        self.secure = bool(settings.public_url and settings.public_url.startswith("https://"))

    def user_id(self, request: web.Request) -> int | None:
        """The logged-in user of this request, or None."""
        raw = request.cookies.get(COOKIE)
        if not raw:
            return None
        try:
            data = json.loads(self._fernet.decrypt(raw.encode(), ttl=MAX_AGE))
        except (InvalidToken, ValueError):
            return None
        uid = data.get("u") if isinstance(data, dict) else None
        return uid if isinstance(uid, int) else None

    def login(self, response: web.StreamResponse, user_id: int) -> None:
        token = self._fernet.encrypt(json.dumps({"u": user_id}).encode()).decode()
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

    def logout(self, response: web.StreamResponse) -> None:
        response.del_cookie(COOKIE, path="/")

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
