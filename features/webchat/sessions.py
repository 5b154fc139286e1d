"""The browser chat's server-side sessions (``webchat_sessions``): found by the SHA-256 of the
cookie's random token, with an absolute expiry, an idle expiry and ``revoked_at`` (see
``features.webchat.web_session`` for the cookie and CSRF side, and why sessions live on the server)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from features.webchat.models import WebSession
from storage.db import Database

IDLE = timedelta(days=7)
TOUCH_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class ChatLogin:
    session_id: int
    user_id: int


class SessionStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def find(self, token_hash: str, now: datetime) -> ChatLogin | None:
        """The live session with this token (not revoked, not expired, not idle too long);
        ``last_seen_at`` is written at most every ``TOUCH_EVERY``."""
        async with self.db.read() as session:
            row = (
                await session.execute(select(WebSession).where(WebSession.token_hash == token_hash))
            ).scalar_one_or_none()
        if (
            row is None
            or row.revoked_at is not None
            or now >= row.expires_at
            or now - row.last_seen_at >= IDLE
        ):
            return None
        if now - row.last_seen_at >= TOUCH_EVERY:
            async with self.db.write() as session:
                await session.execute(
                    update(WebSession).where(WebSession.id == row.id).values(last_seen_at=now)
                )
        return ChatLogin(row.id, row.user_id)

    async def alive(self, session_id: int, now: datetime) -> bool:
        """Whether a session (an open websocket's) is still valid."""
        async with self.db.read() as session:
            row = await session.get(WebSession, session_id)
        return row is not None and row.revoked_at is None and now < row.expires_at

    async def create(
        self, token_hash: str, user_id: int, now: datetime, lifetime: timedelta
    ) -> None:
        async with self.db.write() as session:
            session.add(
                WebSession(
                    token_hash=token_hash,
                    user_id=user_id,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + lifetime,
                )
            )

    async def revoke(self, login: ChatLogin, now: datetime, *, everywhere: bool = False) -> None:
        """This session, or (``everywhere``) every session of its person."""
        which = (
            WebSession.user_id == login.user_id if everywhere else WebSession.id == login.session_id
        )
        async with self.db.write() as session:
            await session.execute(
                update(WebSession)
                .where(which, WebSession.revoked_at.is_(None))
                .values(revoked_at=now)
            )
