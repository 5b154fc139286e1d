"""Staff accounts from the console: admins create and deactivate accounts of their own units;
everyone changes their own password and turns TOTP on or off.

Errors come back as catalog keys (``console.users.error.*``, ``console.account.error.*``) so the
page explains them in the reader's language. Deactivating an account or changing a password
ends the account's other sessions at once.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from features.console import audit
from features.console.auth import new_totp_secret, revoke_all, totp_step
from features.console.context import Forbidden, NotFound, StaffContext
from features.console.models import StaffSecurity
from i18n import translate
from mediation.staff_alerts import QuietHours
from mediation.staff_permissions import Action, Role, parse_role
from mediation.units import UnitDirectory
from mediation.validation import InvalidInput, normalise_phone
from services.menus import DEFAULT_MENU
from services.outbox import QueuedMessage, enqueue
from services.outgoing import TextMessage
from services.staff import check_password, create_staff, hash_password, store_phone
from storage.db import Database
from storage.models import StaffAccount

_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")
MIN_PASSWORD = 10
#: What an admin types to remove an account's registered phone.
REMOVE_PHONE = frozenset({"无", "none", "-"})


@dataclass(frozen=True)
class NewAccount:
    username: str
    display_name: str
    role: str
    unit_code: str
    password: str


_DASHES = str.maketrans({"：": ":", "－": "-", "—": "-", "–": "-", "~": "-", "～": "-"})


def _quiet_value(text: str) -> str | None:
    """What to store for a typed quiet-hours setting: "" (the service's default), "off", a
    window "HH:MM-HH:MM"; ``None`` when it is not one of these."""
    raw = text.strip().translate(_DASHES).replace("至", "-").replace("到", "-").replace(" ", "")
    if raw in ("", "默认"):
        return ""
    if raw.lower() in ("off", "关闭", "不设", "无"):
        return "off"
    try:
        window = QuietHours.parse(raw)
    except ValueError:
        return None
    return f"{window.start:%H:%M}-{window.end:%H:%M}" if window is not None else "off"


class AccountService:
    def __init__(
        self,
        db: Database,
        units: UnitDirectory,
        clock: Clock,
        deliver: Callable[[list[QueuedMessage]], None] | None = None,
        service_quiet_hours: str = "22:00-08:00",
    ) -> None:
        self.db = db
        #: ``STAFF_QUIET_HOURS``: what a staff member who set none gets (shown on the page).
        self.service_quiet_hours = service_quiet_hours
        self.units = units
        self.clock = clock
        #: Hands queued chat messages to the channels' senders (the runtime's ``deliver``).
        self.deliver = deliver

    async def list_staff(self, staff: StaffContext) -> Sequence[StaffAccount]:
        staff.require(Action.MANAGE_USERS)
        async with self.db.read() as session:
            result = await session.execute(
                select(StaffAccount)
                .where(StaffAccount.unit_code.in_(sorted(staff.visible_units)))
                .order_by(StaffAccount.unit_code, StaffAccount.username)
            )
            return list(result.scalars())

    async def create(self, staff: StaffContext, new: NewAccount, ip: str) -> str | None:
        """Create an account in one of the admin's units; a catalog key on bad input."""
        staff.require(Action.MANAGE_USERS)
        if not _USERNAME.match(new.username):
            return "console.users.error.username"
        if len(new.password) < MIN_PASSWORD:
            return "console.users.error.password"
        if parse_role(new.role) is None:
            return "console.users.error.role"
        if not staff.sees(new.unit_code):
            return "console.users.error.unit"
        if not new.display_name.strip() or len(new.display_name) > 100:
            return "console.users.error.display_name"
        error = await create_staff(
            self.db,
            username=new.username,
            password=new.password,
            role=new.role,
            unit_code=new.unit_code,
            display_name=new.display_name.strip(),
            known_units=set(staff.visible_units),
        )
        if error is not None:
            return "console.users.error.taken"
        async with self.db.write() as session:
            change = {"created": True, "role": new.role, "unit": new.unit_code}
            audit.user_change(session, staff, ip, self.clock.now(), new.username, change)
        return None

    async def set_active(self, staff: StaffContext, staff_id: int, active: bool, ip: str) -> None:
        staff.require(Action.MANAGE_USERS)
        if staff_id == staff.id:
            raise Forbidden("cannot deactivate yourself")
        now = self.clock.now()
        queued: list[QueuedMessage] = []
        async with self.db.write() as session:
            account = await self._account(session, staff_id)
            if not staff.sees(account.unit_code):
                raise NotFound()
            was_active, account.active = account.active, active
            if not active:
                await revoke_all(session, account.id, now)
            if was_active and not active and account.telegram_id is not None:
                queued = await self._stand_down(session, account)
            audit.user_change(session, staff, ip, now, account.username, {"active": active})
        if queued and self.deliver is not None:
            self.deliver(queued)

    async def set_phone(self, staff: StaffContext, staff_id: int, text: str, ip: str) -> str | None:
        """Register the account holder's own mobile number ("无": remove it); a catalog key
        on bad input. Logging in to the browser chat with it gives them their staff menu there
        (``features.webchat.staff_menu``), so only an admin of the account's unit sets it."""
        staff.require(Action.MANAGE_USERS)
        async with self.db.write() as session:
            account = await self._account(session, staff_id)
            if not staff.sees(account.unit_code):
                raise NotFound()
            number: str | None = None
            if text.strip().lower() not in REMOVE_PHONE:  # an empty box is a slip, not "none"
                try:
                    number = normalise_phone(text)
                except InvalidInput:
                    return "console.users.error.phone"
            if await store_phone(session, account, number) is not None:
                return "console.users.error.phone_taken"
            change = {"phone": "set" if number else "removed"}
            audit.user_change(session, staff, ip, self.clock.now(), account.username, change)
        return None

    @staticmethod
    async def _stand_down(session: AsyncSession, account: StaffAccount) -> list[QueuedMessage]:
        """The linked chat hears at once that it no longer acts as staff, and its command menu
        goes back to the parties' (before, both waited for the person's next message)."""
        notice = translate(account.language or "zh-CN", "console.account.deactivated_chat")
        return await enqueue(
            session, "telegram", str(account.telegram_id), [TextMessage(notice), DEFAULT_MENU]
        )

    async def change_password(
        self, staff: StaffContext, current: str, new: str, ip: str
    ) -> str | None:
        if len(new) < MIN_PASSWORD:
            return "console.account.error.password_short"
        async with self.db.read() as session:
            account = await self._account(session, staff.id)
        if not await asyncio.to_thread(check_password, account.password_hash, current):
            return "console.account.error.password_wrong"
        new_hash = await asyncio.to_thread(hash_password, new)
        now = self.clock.now()
        async with self.db.write() as session:
            account = await self._account(session, staff.id)
            account.password_hash = new_hash
            security = await self._security(session, staff.id)
            security.password_changed_at = now
            await revoke_all(session, staff.id, now)
            audit.record(session, at=now, action="password_changed", staff=staff, ip=ip)
        return None

    # ------------------------------------------------------------ quiet hours

    async def quiet_hours(self, staff: StaffContext) -> str | None:
        """The staff member's own quiet hours as stored (``None``: the service's)."""
        async with self.db.read() as session:
            return (await self._account(session, staff.id)).quiet_hours

    async def set_quiet_hours(self, staff: StaffContext, text: str, ip: str) -> str | None:
        """Set one's own quiet hours for chat alerts: a window ("22:00-07:00", also typed as
        "22：00—07：00" or "22:00至7:00"), 关闭/off for none, or empty for the service's.
        A catalog key when the text is none of these."""
        value = _quiet_value(text)
        if value is None:
            return "console.account.error.quiet_hours"
        async with self.db.write() as session:
            account = await self._account(session, staff.id)
            account.quiet_hours = value or None
            change = {"quiet_hours": value or "default"}
            audit.user_change(session, staff, ip, self.clock.now(), account.username, change)
        return None

    # ------------------------------------------------------------------ TOTP

    async def totp_status(self, staff: StaffContext) -> tuple[bool, str | None]:
        """(enabled, pending secret): a secret is kept, unconfirmed, until a code proves it."""
        async with self.db.read() as session:
            security = await session.get(StaffSecurity, staff.id)
        if security is None:
            return False, None
        return security.totp_enabled, None if security.totp_enabled else security.totp_secret

    async def begin_totp(self, staff: StaffContext) -> str:
        async with self.db.write() as session:
            security = await self._security(session, staff.id)
            if security.totp_enabled:
                raise Forbidden("totp already enabled")
            security.totp_secret = new_totp_secret()
            return security.totp_secret

    async def confirm_totp(self, staff: StaffContext, code: str, ip: str) -> str | None:
        now = self.clock.now()
        async with self.db.write() as session:
            security = await self._security(session, staff.id)
            if security.totp_enabled or not security.totp_secret:
                return "console.account.error.totp_state"
            step = totp_step(security.totp_secret, code, now, after=security.totp_last_step)
            if step is None:
                return "console.account.error.totp_code"
            security.totp_enabled, security.totp_last_step = True, step
            audit.record(session, at=now, action="totp_enabled", staff=staff, ip=ip)
        return None

    async def disable_totp(self, staff: StaffContext, code: str, ip: str) -> str | None:
        now = self.clock.now()
        async with self.db.write() as session:
            security = await self._security(session, staff.id)
            if not security.totp_enabled or not security.totp_secret:
                return "console.account.error.totp_state"
            step = totp_step(security.totp_secret, code, now, after=security.totp_last_step)
            if step is None:
                return "console.account.error.totp_code"
            security.totp_enabled, security.totp_secret = False, None
            security.totp_last_step = step
            audit.record(session, at=now, action="totp_disabled", staff=staff, ip=ip)
        return None

    # ------------------------------------------------------------------ helpers

    @staticmethod
    async def _account(session: AsyncSession, staff_id: int) -> StaffAccount:
        account = await session.get(StaffAccount, staff_id)
        if account is None:
            raise NotFound()
        return account

    @staticmethod
    async def _security(session: AsyncSession, staff_id: int) -> StaffSecurity:
        security = (
            await session.execute(
                select(StaffSecurity).where(StaffSecurity.staff_id == staff_id).with_for_update()
            )
        ).scalar_one_or_none()
        if security is None:
            security = StaffSecurity(staff_id=staff_id, totp_enabled=False, totp_last_step=0)
            session.add(security)
            await session.flush()
        return security


ROLES: tuple[Role, ...] = tuple(Role)
