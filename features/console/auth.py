"""Staff sign-in: passwords (Argon2), optional TOTP, rate limits, server-side sessions.

Rate limits count failed attempts stored in ``console_login_attempts``, keyed by the client
address (``TRUSTED_PROXIES`` decides whether a proxy's ``X-Forwarded-For`` names it): after
``PAIR_LIMIT`` failures for one username *from one address*, or ``IP_LIMIT`` from one address
for any usernames, within ``WINDOW``, that address waits before its next try — 30 s, doubling
with each further failure, at most 15 minutes (backoff, OWASP ASVS 2.2.1). There is no lock of a
username everywhere: five wrong passwords from anywhere locked the account for its owner too,
so anyone who knew a name kept that person out (issue 21). The decision is taken inside the
write transaction that records the attempt, with the account row locked (``FOR UPDATE``;
SQLite serialises writers anyway), so parallel guesses cannot slip past it on PostgreSQL. While
an address waits even the right password is refused from it, and the hash is not checked, so
the backoff also caps the CPU an attacker can make us burn.

Unknown usernames are checked against a dummy hash so that response time does not tell which
usernames exist.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Any

import pyotp
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from features.console import audit
from features.console.models import ConsoleSession, LoginAttempt, StaffSecurity
from services.staff import check_password, hash_password
from storage.db import Database
from storage.models import StaffAccount

WINDOW = timedelta(minutes=15)
PAIR_LIMIT = 5  # failures for one username from one address before backoff
IP_LIMIT = 20  # failures from one address, any usernames, before backoff
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_MAX = timedelta(minutes=15)
IDLE_TIMEOUT = timedelta(hours=4)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
#: ``last_seen_at`` is written at most this often, so browsing is not a stream of writes.
TOUCH_EVERY = timedelta(minutes=5)
#: Login attempts and ended sessions are deleted after this long (far beyond ``WINDOW``).
KEEP_ATTEMPTS = timedelta(days=2)
TOTP_ISSUER = "指尖上的调解室"


@cache
def _dummy_hash() -> str:
    """A hash made with the same parameters as real ones, for unknown usernames."""
    return hash_password("not-a-real-password-" + secrets.token_hex(8))


class Outcome(StrEnum):
    OK = "ok"
    TOTP_REQUIRED = "totp_required"
    INVALID = "invalid"
    LOCKED = "locked"


@dataclass(frozen=True)
class LoginResult:
    outcome: Outcome
    staff_id: int | None = None
    token: str | None = None
    retry_after: float = 0.0


def token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def backoff(failures: int, limit: int) -> timedelta:
    """How long to wait after the last failure, once ``failures`` reached ``limit``."""
    if failures < limit:
        return timedelta(0)
    return min(BACKOFF_MAX, BACKOFF_FIRST * (1 << min(failures - limit, 20)))


async def _wait(session: AsyncSession, now: datetime, username: str, ip: str) -> float:
    """Seconds this address must wait before trying ``username`` again (0: go ahead)."""
    since = now - WINDOW
    last_ok = (
        await session.execute(
            select(func.max(LoginAttempt.at)).where(
                LoginAttempt.username == username,
                LoginAttempt.ip == ip,
                LoginAttempt.success.is_(True),
            )
        )
    ).scalar()
    pair_since = max(since, last_ok) if last_ok is not None else since
    pair, pair_last = (
        await session.execute(
            select(func.count(), func.max(LoginAttempt.at)).where(
                LoginAttempt.username == username,
                LoginAttempt.ip == ip,
                LoginAttempt.success.is_(False),
                LoginAttempt.at > pair_since,
            )
        )
    ).one()
    by_ip, ip_last = (
        await session.execute(
            select(func.count(), func.max(LoginAttempt.at)).where(
                LoginAttempt.ip == ip, LoginAttempt.success.is_(False), LoginAttempt.at > since
            )
        )
    ).one()
    wait = timedelta(0)
    if pair_last is not None:
        wait = max(wait, pair_last + backoff(int(pair), PAIR_LIMIT) - now)
    if ip_last is not None:
        wait = max(wait, ip_last + backoff(int(by_ip), IP_LIMIT) - now)
    return max(0.0, wait.total_seconds())


def _audit_sign_in(
    session: AsyncSession,
    now: datetime,
    action: str,
    username: str,
    ip: str,
    unit_code: str | None,
    data: dict[str, Any] | None = None,
) -> None:
    """A sign-in step in the audit log under the name as typed (there may be no such account,
    and a locked or failed attempt has no signed-in staff member to name)."""
    audit.record(
        session, at=now, action=action, actor=username, ip=ip, unit_code=unit_code, data=data
    )


class AuthService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    # ------------------------------------------------------------------ password step

    async def login(self, username: str, password: str, ip: str, user_agent: str) -> LoginResult:
        username = username.strip()[:64]
        now = self.clock.now()
        async with self.db.read() as session:
            wait_early = await _wait(session, now, username, ip)
            account = (
                await session.execute(select(StaffAccount).where(StaffAccount.username == username))
            ).scalar_one_or_none()
        if wait_early > 0:
            async with self.db.write() as session:
                unit = account.unit_code if account else None
                _audit_sign_in(session, now, "login_locked", username, ip, unit)
            return LoginResult(Outcome.LOCKED, retry_after=wait_early)
        stored = account.password_hash if account is not None else _dummy_hash()
        password_ok = await asyncio.to_thread(check_password, stored, password)
        ok = password_ok and account is not None and account.active
        async with self.db.write() as session:
            if account is not None:  # serialise attempts on one account (PostgreSQL)
                await session.execute(
                    select(StaffAccount.id).where(StaffAccount.id == account.id).with_for_update()
                )
            unit = account.unit_code if account else None
            wait = await _wait(session, now, username, ip)
            if wait > 0:
                _audit_sign_in(session, now, "login_locked", username, ip, unit)
                return LoginResult(Outcome.LOCKED, retry_after=wait)
            if not ok or account is None:
                session.add(LoginAttempt(at=now, username=username, ip=ip, success=False))
                _audit_sign_in(session, now, "login_failed", username, ip, unit)
                return LoginResult(Outcome.INVALID)
            security = await session.get(StaffSecurity, account.id)
            if security is not None and security.totp_enabled:
                # The password was right; the attempt counts once the second factor is given.
                return LoginResult(Outcome.TOTP_REQUIRED, staff_id=account.id)
            session.add(LoginAttempt(at=now, username=username, ip=ip, success=True))
            token = await self._new_session(session, account.id, now, ip, user_agent)
            _audit_sign_in(session, now, "login", username, ip, unit, {"totp": False})
        return LoginResult(Outcome.OK, staff_id=account.id, token=token)

    # ------------------------------------------------------------------ TOTP step

    async def login_totp(self, staff_id: int, code: str, ip: str, user_agent: str) -> LoginResult:
        now = self.clock.now()
        async with self.db.write() as session:
            account = (
                await session.execute(
                    select(StaffAccount).where(StaffAccount.id == staff_id).with_for_update()
                )
            ).scalar_one_or_none()
            if account is None or not account.active:
                return LoginResult(Outcome.INVALID)
            username = account.username
            wait = await _wait(session, now, username, ip)
            if wait > 0:
                _audit_sign_in(session, now, "login_locked", username, ip, account.unit_code)
                return LoginResult(Outcome.LOCKED, retry_after=wait)
            security = await session.get(StaffSecurity, staff_id)
            step = self._accept_totp(security, code, now)
            if security is None or step is None:
                session.add(LoginAttempt(at=now, username=username, ip=ip, success=False))
                _audit_sign_in(session, now, "totp_failed", username, ip, account.unit_code)
                return LoginResult(Outcome.INVALID)
            security.totp_last_step = step
            session.add(LoginAttempt(at=now, username=username, ip=ip, success=True))
            token = await self._new_session(session, staff_id, now, ip, user_agent)
            unit = account.unit_code
            _audit_sign_in(session, now, "login", username, ip, unit, {"totp": True})
        return LoginResult(Outcome.OK, staff_id=staff_id, token=token)

    @staticmethod
    def _accept_totp(security: StaffSecurity | None, code: str, now: datetime) -> int | None:
        """The time step the code belongs to (±1 step of clock drift), if not used before."""
        if security is None or not security.totp_enabled or not security.totp_secret:
            return None
        return totp_step(security.totp_secret, code, now, after=security.totp_last_step)

    # ------------------------------------------------------------------ sessions

    async def _new_session(
        self, session: AsyncSession, staff_id: int, now: datetime, ip: str, user_agent: str
    ) -> str:
        token = secrets.token_urlsafe(32)
        session.add(
            ConsoleSession(
                id=token_id(token),
                staff_id=staff_id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + ABSOLUTE_TIMEOUT,
                ip=ip[:64],
                user_agent=user_agent[:300],
            )
        )
        return token

    async def resolve(self, token: str) -> StaffAccount | None:
        """The active account behind a session token, or ``None`` (expired, revoked, idle)."""
        now = self.clock.now()
        sid = token_id(token)
        async with self.db.read() as session:
            row = (
                await session.execute(
                    select(ConsoleSession, StaffAccount)
                    .join(StaffAccount, StaffAccount.id == ConsoleSession.staff_id)
                    .where(ConsoleSession.id == sid)
                )
            ).first()
        if row is None:
            return None
        record, account = row
        if (
            record.revoked_at is not None
            or record.expires_at <= now
            or record.last_seen_at + IDLE_TIMEOUT <= now
            or not account.active
        ):
            return None
        if now - record.last_seen_at >= TOUCH_EVERY:
            async with self.db.write() as session:
                await session.execute(
                    update(ConsoleSession).where(ConsoleSession.id == sid).values(last_seen_at=now)
                )
        return account

    async def logout(self, token: str, username: str, unit_code: str, ip: str) -> None:
        now = self.clock.now()
        async with self.db.write() as session:
            await session.execute(
                update(ConsoleSession)
                .where(ConsoleSession.id == token_id(token), ConsoleSession.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            _audit_sign_in(session, now, "logout", username, ip, unit_code)

    async def prune(self) -> int:
        """Forget attempts and sessions nobody needs any more (the audit log keeps history)."""
        now = self.clock.now()
        async with self.db.write() as session:
            attempts = await session.execute(
                delete(LoginAttempt).where(LoginAttempt.at < now - KEEP_ATTEMPTS)
            )
            sessions = await session.execute(
                delete(ConsoleSession).where(ConsoleSession.expires_at < now - KEEP_ATTEMPTS)
            )
        return int(attempts.rowcount or 0) + int(sessions.rowcount or 0)  # type: ignore[attr-defined]


async def revoke_all(session: AsyncSession, staff_id: int, now: datetime) -> None:
    """End every session of an account (deactivation, password change)."""
    await session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.staff_id == staff_id, ConsoleSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def totp_step(secret: str, code: str, now: datetime, *, after: int = 0) -> int | None:
    """The step of a valid code at ``now`` (±1 step), if it is later than ``after``."""
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    for delta in (-1, 0, 1):
        at = now + timedelta(seconds=delta * totp.interval)
        if hmac.compare_digest(totp.at(at), code):
            step = int(totp.timecode(at))
            return step if step > after else None
    return None


def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=TOTP_ISSUER)
