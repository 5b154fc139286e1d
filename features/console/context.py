"""Who is acting: the signed-in staff member, with the units they may see resolved once."""

from __future__ import annotations

from dataclasses import dataclass

from mediation.staff_permissions import Action, Role, can, is_root, subtree
from mediation.units import UnitDirectory
from storage.models import StaffAccount


class Forbidden(Exception):
    """The staff member may not do this (the web layer answers 403)."""


class NotFound(Exception):
    """No such object, or not one this staff member may see (answered 404 either way)."""


@dataclass(frozen=True)
class StaffContext:
    id: int
    username: str
    display_name: str
    role: Role
    unit_code: str
    visible_units: frozenset[str]
    is_root: bool
    telegram_id: int | None = None

    @classmethod
    def of(cls, account: StaffAccount, units: UnitDirectory) -> StaffContext:
        return cls(
            id=account.id,
            username=account.username,
            display_name=account.display_name,
            role=Role(account.role),
            unit_code=account.unit_code,
            visible_units=subtree(units, account.unit_code),
            is_root=is_root(units, account.unit_code),
            telegram_id=account.telegram_id,
        )

    @property
    def actor(self) -> str:
        """How case events name staff (parties are ``user:<id>``, the system ``system``)."""
        return f"staff:{self.id}"

    def can(self, action: Action) -> bool:
        return can(self.role, action)

    def require(self, action: Action) -> None:
        if not self.can(action):
            raise Forbidden(action.value)

    def sees(self, unit_code: str) -> bool:
        return unit_code in self.visible_units
