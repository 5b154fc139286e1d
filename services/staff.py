"""Staff accounts (mediators, police, lawyers, admins, viewers)."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from sqlalchemy import select

from mediation.staff_permissions import Role
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
