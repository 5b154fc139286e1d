"""Staff accounts as the tests, benchmarks and demo open them: through
:func:`services.staff.create_staff`, as the console's 账号管理 does, so that a mediator, grid
worker or admin is made by the rules real accounts follow (known unit, password length), and a
refusal stops the script at once."""

from __future__ import annotations

from typing import Protocol

from mediation.units import UnitDirectory
from services.staff import create_staff
from storage.db import Database

#: The password of the accounts opened here unless one is given.
PASSWORD = "correct horse battery"


class Service(Protocol):
    """Where accounts are opened: a runtime, or a test's world, with its database and units."""

    @property
    def db(self) -> Database: ...

    @property
    def units(self) -> UnitDirectory: ...


async def add_account(
    where: Service, username: str, role: str, unit: str = "", name: str = "", password: str = ""
) -> None:
    """A ``role`` account ``username`` in ``unit`` (the default unit if none), shown as
    ``name`` (its username if none), signing in to the console with ``password``
    (:data:`PASSWORD` if none)."""
    error = await create_staff(
        where.db,
        username=username,
        password=password or PASSWORD,
        role=role,
        unit_code=unit or where.units.default.code,
        display_name=name or username,
        known_units=set(where.units.by_code),
    )
    if error is not None:
        raise AssertionError(f"staff account {username!r} refused: {error}")
