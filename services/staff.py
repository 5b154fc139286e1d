"""Staff accounts (mediators, police, lawyers, admins, viewers)."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import crypto
from mediation.staff_permissions import Role
from mediation.validation import InvalidInput, normalise_phone
from storage.db import Database
from storage.models import StaffAccount

#: The roles an account may have, from the permission rules (mediation.staff_permissions).
ROLES = tuple(role.value for role in Role)
_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except Exception:
        return False


async def create_staff(
    db: Database,
    *,
    username: str,
    password: str,
    role: str,
    unit_code: str,
    display_name: str,
    known_units: set[str],
) -> str | None:
    """Create an account; returns an error message instead of raising for bad input."""
    if not _USERNAME.match(username):
        return "username: 3-64 characters of letters, digits, _ . -"
    if len(password) < 10:
        return "password: at least 10 characters"
    if role not in ROLES:
        return f"role: one of {', '.join(ROLES)}"
    if unit_code not in known_units:
        return f"unit: unknown unit code {unit_code!r}"
    async with db.write() as session:
        exists = await session.execute(
            select(StaffAccount.id).where(StaffAccount.username == username)
        )
        if exists.first() is not None:
            return f"username {username!r} is taken"
        session.add(
            StaffAccount(
                username=username,
                display_name=display_name,
                password_hash=hash_password(password),
                role=role,
                unit_code=unit_code,
            )
        )
    return None


async def set_phone(db: Database, username: str, phone: str | None) -> str | None:
    """Register (or with ``None`` clear) the staff member's own mobile number.

    Why an admin does it and not the staff member: whoever logs in to the browser chat with this
    number (verified by the one-time code) gets the account's staff menu there, so the number
    must be the person's own, as an admin checks at hand-over. One account per number. Returns
    an error message instead of raising for bad input.
    """
    number: str | None = None
    if phone is not None:
        try:
            number = normalise_phone(phone)
        except InvalidInput:
            return "phone: a mainland mobile number (11 digits) or +country…"
    async with db.write() as session:
        staff = (
            await session.execute(select(StaffAccount).where(StaffAccount.username == username))
        ).scalar_one_or_none()
        if staff is None:
            return f"no staff account {username!r}"
        taken = await store_phone(session, staff, number)
        if taken is not None:
            return f"this number is already registered for {taken!r}"
    return None


async def store_phone(
    session: AsyncSession, account: StaffAccount, number: str | None
) -> str | None:
    """Set the account's (normalised) number, or clear it; the username of another account
    that already holds the number instead (nothing is changed then)."""
    index = crypto.blind_index(number) if number is not None else None
    if index is not None:
        other = await session.execute(
            select(StaffAccount.username).where(
                StaffAccount.phone_hash == index, StaffAccount.id != account.id
            )
        )
        taken = other.scalar_one_or_none()
        if taken is not None:
            return taken
    account.phone, account.phone_hash = number, index
    return None
