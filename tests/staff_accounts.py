"""Staff accounts as the tests open them: through :func:`services.staff.create_staff`, as the
console's 账号管理 does, so that a test's mediator, grid worker or admin is made by the rules
real accounts follow (known unit, password length), and a refusal fails the test at once."""

from __future__ import annotations

from mediation.units import UnitDirectory
from services.staff import create_staff
from storage.db import Database

#: The password of the tests' accounts, for the ones that sign in on the console.
PASSWORD = "correct horse battery"


async def add_account(
    db: Database,
    units: UnitDirectory,
    username: str,
    role: str,
    *,
    unit: str | None = None,
    name: str | None = None,
    password: str = PASSWORD,
) -> None:
    """A ``role`` account ``username`` in ``unit`` (the default unit if none), shown as
    ``name`` (its username if none), with ``password``."""
    error = await create_staff(
        db,
        username=username,
        password=password,
        role=role,
        unit_code=unit or units.default.code,
        display_name=name or username,
        known_units=set(units.by_code),
    )
    assert error is None, error
