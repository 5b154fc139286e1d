"""Staff accounts as the tests open them: through :func:`services.staff.create_staff`, as the
console's 账号管理 does, so that a test's mediator, grid worker or admin is made by the rules
real accounts follow (known unit, password length), and a refusal fails the test at once."""

from __future__ import annotations

from typing import Protocol

from mediation.units import UnitDirectory
from services.staff import create_staff
from storage.db import Database
from tests.console.conftest import PASSWORD

__all__ = ["PASSWORD", "Service", "add_account"]


class Service(Protocol):
    """Where accounts are opened: a runtime, or a test's world, with its database and units."""

    @property
    def db(self) -> Database: ...

    @property
    def units(self) -> UnitDirectory: ...


async def add_account(
    where: Service, username: str, role: str, *, unit: str | None = None, name: str | None = None
) -> None:
    """A ``role`` account ``username`` in ``unit`` (the default unit if none), shown as
    ``name`` (its username if none); its password is the console tests' :data:`PASSWORD`."""
    error = await create_staff(
        where.db,
        username=username,
        password=PASSWORD,
        role=role,
        unit_code=unit or where.units.default.code,
        display_name=name or username,
        known_units=set(where.units.by_code),
    )
    assert error is None, error
