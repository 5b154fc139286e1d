"""Alert rows and who they reach: shared by the console's assessment and staff actions
(``features.console.risk``, ``case_actions``) and by the room's watch on every message
(``features.console.safety``), so an alert looks the same whichever path raised it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from features.console.models import Alert
from mediation import risk as domain
from mediation.risk import RiskLevel
from mediation.staff_permissions import PERMISSIONS, Action
from mediation.units import UnitDirectory
from storage.models import Case, StaffAccount

_ALERTED_ROLES = sorted(r.value for r, acts in PERMISSIONS.items() if Action.VIEW_ALERTS in acts)


@dataclass(frozen=True)
class AlertRecipient:
    staff_id: int
    username: str
    display_name: str


@dataclass(frozen=True)
class AlertNotice:
    """What the staff chat hook gets: enough to write "case X is now 重大, because …"."""

    case_id: int
    case_number: str
    kind: str  # "risk" or "escalated"
    level: RiskLevel
    unit_code: str
    reasons: tuple[str, ...]
    recipients: tuple[AlertRecipient, ...]


def add_alerts(
    session: AsyncSession,
    case: Case,
    units: Sequence[str],
    *,
    kind: str,
    level: str,
    data: dict[str, Any],
    at: datetime,
) -> None:
    """The alert rows, in the caller's transaction: one for each unit's staff on duty and one
    for the case's mediator, each acknowledged in the console's alerts page."""
    for code in units:
        session.add(
            Alert(case_id=case.id, unit_code=code, kind=kind, level=level, data=data, created_at=at)
        )
    if case.mediator_id is not None:
        session.add(
            Alert(
                case_id=case.id,
                staff_id=case.mediator_id,
                kind=kind,
                level=level,
                data=data,
                created_at=at,
            )
        )


async def write_alerts(
    session: AsyncSession,
    directory: UnitDirectory,
    case: Case,
    level: RiskLevel,
    kind: str,
    reasons: tuple[str, ...],
    now: datetime,
    units: Sequence[str] | None = None,
    data: dict[str, Any] | None = None,
) -> AlertNotice:
    """Alert rows for the units the level reaches (``mediation.risk.alert_units``: the unit's
    chain up to the level that handles such a risk) and for the case's mediator, in the
    caller's transaction; returns who is to be told. Used by the console's assessment and
    staff actions and by the room's watch on every message (``features.console.safety``)."""
    targets = (
        tuple(units) if units is not None else domain.alert_units(directory, case.unit_code, level)
    )
    payload = {"reasons": list(reasons), **(data or {})}
    add_alerts(session, case, targets, kind=kind, level=level.value, data=payload, at=now)
    conds = [and_(StaffAccount.unit_code.in_(targets), StaffAccount.role.in_(_ALERTED_ROLES))]
    if case.mediator_id is not None:
        conds.append(StaffAccount.id == case.mediator_id)
    staff_rows = await session.execute(
        select(
            StaffAccount.id,
            StaffAccount.username,
            StaffAccount.display_name,
        )
        .where(StaffAccount.active.is_(True), or_(*conds))
        .order_by(StaffAccount.id)
    )
    recipients = tuple(AlertRecipient(*r) for r in staff_rows)
    return AlertNotice(case.id, case.number, kind, level, case.unit_code, reasons, recipients)
