"""Login to the browser chat by phone number and a one-time code.

Why codes are hashed: a database copy must not let anyone log in as a party, so only a keyed
HMAC of (phone index, code) is stored. Why limits live in the database: a restart or a second
process must not reset them. Limits: a code lives ``CODE_TTL``; ``MAX_ATTEMPTS`` wrong tries
from one client address end that address's tries at it, ``MAX_ATTEMPTS_ALL`` from anywhere burn
it; at most ``PER_IP_HOUR`` codes per client address an hour (``TRUSTED_PROXIES``: the client's,
not the proxy's); to one phone, ``RESEND_AFTER`` between the first two codes, doubling with each
further code of the hour up to ``RESEND_MAX`` — a growing wait, not a cap, so nobody who knows a
number can keep its owner from getting a code (issue 21).

Delivery is pluggable (:class:`SmsGateway`): ``SMS_GATEWAY=aliyun`` or ``tencent`` send it through
the provider (features.webchat.sms); ``log`` writes it to the log and runs only with
``DEV_MODE=1`` (a code in a production log is a login for whoever reads it; issue 21);
``none`` (the default without DEV_MODE) offers no login by phone.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import crypto
from features.webchat.models import WebOtp
from mediation.masking import mask_phone
from mediation.validation import InvalidInput, normalise_phone
from services.rate_limits import failures, record_failure
from storage.db import Database
from storage.models import User

if TYPE_CHECKING:
    from core.config import Settings

log = logging.getLogger(__name__)

CODE_TTL = timedelta(minutes=5)
MAX_ATTEMPTS = 5  # wrong tries at one code from one client address
MAX_ATTEMPTS_ALL = 20  # wrong tries at one code from anywhere: then it is burnt
PER_IP_HOUR = 20
RESEND_AFTER = timedelta(seconds=60)
#: The wait between codes to one phone doubles with each code of the past hour, up to this.
RESEND_MAX = timedelta(minutes=15)


def resend_gap(sent_last_hour: int) -> timedelta:
    """How long after the previous code the next one may go to the same phone."""
    if sent_last_hour <= 0:
        return timedelta(0)
    return min(RESEND_MAX, RESEND_AFTER * (1 << min(sent_last_hour - 1, 20)))


CODE_DIGITS = 6


class SmsGateway(Protocol):
    """Sends a login code to a phone, or an invitation to mediation. ``language`` picks the
    text of the SMS. Both raise ``features.webchat.sms.SmsError`` when nothing was sent."""

    #: Whether :meth:`send_invitation` can send anything (a provider with an invitation
    #: template, the development log, the tests' memory).
    invites: bool

    async def send(self, phone: str, code: str, language: str) -> None: ...

    async def send_invitation(self, phone: str, unit: str, code: str, language: str) -> None:
        """An invitation to a case's mediation: the unit inviting and the invitation code
        (the provider's approved template — ``SMS_INVITE_TEMPLATE`` — holds the rest of the
        text, e.g. where to enter the code)."""
        ...


class LogSmsGateway:
    """Development adapter: no SMS, the code goes to the log (the phone masked)."""

    invites = True

    async def send(self, phone: str, code: str, language: str) -> None:
        log.warning("[DEV SMS_GATEWAY=log] login code for %s: %s", mask_phone(phone), code)

    async def send_invitation(self, phone: str, unit: str, code: str, language: str) -> None:
        log.warning(
            "[DEV SMS_GATEWAY=log] invitation for %s from %s: %s", mask_phone(phone), unit, code
        )


class MemorySmsGateway:
    """Keeps the last code per phone in memory (tests drive the login with it)."""

    invites = True

    def __init__(self) -> None:
        self.sent: dict[str, str] = {}
        #: (phone, unit, invitation code), in the order sent.
        self.invitations: list[tuple[str, str, str]] = []

    async def send(self, phone: str, code: str, language: str) -> None:
        self.sent[phone] = code

    async def send_invitation(self, phone: str, unit: str, code: str, language: str) -> None:
        self.invitations.append((phone, unit, code))


class NoSmsGateway:
    """``SMS_GATEWAY=none``: no provider configured, so no code can be sent."""

    invites = False

    async def send(self, phone: str, code: str, language: str) -> None:
        from features.webchat.sms import SmsError

        raise SmsError("no SMS gateway configured")

    async def send_invitation(self, phone: str, unit: str, code: str, language: str) -> None:
        await self.send(phone, code, language)


def make_gateway(settings: Settings) -> SmsGateway:
    """The gateway ``SMS_GATEWAY`` names (core.config checked the settings it needs)."""
    from features.webchat.sms import AliyunSms, SmsAccount, TencentSms

    s = settings
    if s.sms_gateway == "log":
        if not s.dev_mode:
            raise ValueError("SMS_GATEWAY=log runs only with DEV_MODE=1")
        return LogSmsGateway()
    account = SmsAccount(
        s.sms_endpoint_url,
        s.sms_access_key_id,
        s.sms_access_key_secret,
        s.sms_sign_name,
        s.sms_template,
        s.sms_region,
        app_id=s.sms_app_id,
        invite_template=s.sms_invite_template,
    )
    if s.sms_gateway == "aliyun":
        return AliyunSms(account)
    if s.sms_gateway == "tencent":
        return TencentSms(account)
    if s.sms_gateway == "none":
        return NoSmsGateway()
    raise ValueError(f"unknown SMS gateway {s.sms_gateway!r}")


@dataclass(frozen=True)
class OtpResult:
    """``error`` is a catalog key (under ``webchat.``) or None; ``user_id`` on a good code."""

    error: str | None = None
    user_id: int | None = None
    retry_after: int = 0
    attempts_left: int = 0


def _latest_code(phone_hash: str) -> Select[WebOtp]:
    """The phone's latest code: the only one that can log in."""
    return (
        select(WebOtp)
        .where(WebOtp.phone_hash == phone_hash)
        .order_by(WebOtp.created_at.desc(), WebOtp.id.desc())
        .limit(1)
    )


async def _code_pending(session: AsyncSession, phone_hash: str, now: datetime) -> bool:
    """Whether the phone's latest code can still log in: asked again too soon, she is told
    to enter it (and the page shows the box for it) rather than only to wait."""
    row = (await session.execute(_latest_code(phone_hash))).scalar_one_or_none()
    return (
        row is not None
        and row.used_at is None
        and now < row.expires_at
        and row.attempts < MAX_ATTEMPTS_ALL
    )


class OtpService:
    def __init__(self, db: Database, gateway: SmsGateway, secret: str) -> None:
        self.db = db
        self.gateway = gateway
        self._key = crypto.derive_key(secret, "webchat-otp")

    def _code_hash(self, phone_hash: str, code: str) -> str:
        return hmac.new(self._key, f"{phone_hash}:{code}".encode(), hashlib.sha256).hexdigest()

    def _ip_hash(self, ip: str) -> str:
        return hmac.new(self._key, f"ip:{ip}".encode(), hashlib.sha256).hexdigest()

    async def request(self, raw_phone: str, ip: str, now: datetime, language: str) -> OtpResult:
        """Send a fresh code, unless a limit says no."""
        try:
            phone = normalise_phone(raw_phone)
        except InvalidInput:
            return OtpResult("err_phone")
        phone_hash, ip_hash = crypto.blind_index(phone), self._ip_hash(ip)
        hour_ago = now - timedelta(hours=1)
        code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
        async with self.db.write() as session:
            per_phone, last = (
                await session.execute(
                    select(func.count(), func.max(WebOtp.created_at)).where(
                        WebOtp.phone_hash == phone_hash, WebOtp.created_at > hour_ago
                    )
                )
            ).one()
            # Per phone, a growing wait instead of a cap: anyone who knows the number could
            # use up a fixed hourly cap and keep its owner out (issue 21).
            gap = resend_gap(int(per_phone))
            if last is not None and now - last < gap:
                wait = int((gap - (now - last)).total_seconds()) + 1
                pending = await _code_pending(session, phone_hash, now)
                return OtpResult("err_wait_code" if pending else "err_wait", retry_after=wait)
            per_ip = (
                await session.execute(
                    select(func.count())
                    .select_from(WebOtp)
                    .where(WebOtp.ip_hash == ip_hash, WebOtp.created_at > hour_ago)
                )
            ).scalar_one()
            if per_ip >= PER_IP_HOUR:
                log.warning("login codes rate-limited for %s", mask_phone(phone))
                return OtpResult("err_rate", retry_after=3600)
            session.add(
                WebOtp(
                    phone_hash=phone_hash,
                    ip_hash=ip_hash,
                    code_hash=self._code_hash(phone_hash, code),
                    created_at=now,
                    expires_at=now + CODE_TTL,
                )
            )
        from features.webchat.sms import SmsError

        try:
            await self.gateway.send(phone, code, language)
        except SmsError:
            return OtpResult("err_sms", retry_after=60)
        return OtpResult()

    async def verify(
        self, raw_phone: str, code: str, now: datetime, language: str, ip: str = "?"
    ) -> OtpResult:
        """Check the latest code for the phone; log in (find or create the user) if right.

        Wrong tries count per code *and client address*: ``MAX_ATTEMPTS`` from one address end
        that address's tries at this code, and ``MAX_ATTEMPTS_ALL`` from anywhere burn it. Five
        wrong tries from anyone used to burn it, so whoever knew a number could keep its owner
        from logging in (issue 21)."""
        try:
            phone = normalise_phone(raw_phone)
        except InvalidInput:
            return OtpResult("err_phone")
        phone_hash = crypto.blind_index(phone)
        code = "".join(ch for ch in code if ch.isdigit())
        async with self.db.write() as session:
            row = (
                await session.execute(_latest_code(phone_hash).with_for_update())
            ).scalar_one_or_none()
            if row is None or row.used_at is not None:
                return OtpResult("err_no_code")
            mine = f"{row.id}:{self._ip_hash(ip)}"
            mine_wrong = await failures(session, "otp.wrong", mine, now, CODE_TTL * 2)
            if row.attempts >= MAX_ATTEMPTS_ALL or mine_wrong >= MAX_ATTEMPTS:
                return OtpResult("err_too_many")
            if now >= row.expires_at:
                return OtpResult("err_expired")
            if not hmac.compare_digest(row.code_hash, self._code_hash(phone_hash, code)):
                row.attempts += 1
                await record_failure(session, "otp.wrong", mine, now)
                left = min(MAX_ATTEMPTS - mine_wrong - 1, MAX_ATTEMPTS_ALL - row.attempts)
                return OtpResult("err_wrong" if left > 0 else "err_too_many", attempts_left=left)
            row.used_at = now
            user = (
                await session.execute(
                    select(User)
                    .where(User.phone_hash == phone_hash, User.telegram_id.is_(None))
                    .order_by(User.id)
                    .limit(1)
                )
            ).scalar_one_or_none()
            if user is None:
                user = User(phone=phone, phone_hash=phone_hash, language=language, created_at=now)
                session.add(user)
                await session.flush()
            log.info("browser login of user %s (%s)", user.id, mask_phone(phone))
            return OtpResult(user_id=user.id)
