"""The audit log: written in the same transaction as the act it records, read by admins.

Why in the same transaction: a reveal of a phone number that committed without its audit row
(or an audit row for a status change that rolled back) would make the log lie. Only
:func:`record` writes; the table's triggers refuse updates and deletes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from features.console.context import Forbidden, StaffContext
from features.console.models import AuditEntry
from services.case_watch import Disclosure, on_disclosure
from storage.db import Database

ACTIONS = (
    "login",
    "login_failed",
    "login_locked",
    "logout",
    "totp_failed",
    "totp_enabled",
    "totp_disabled",
    "password_changed",
    "reveal",
    "share_pii",
    "export",
    "download",
    "status_change",
    "assign",
    "assign_lawyer",
    "risk_change",
    "escalate",
    "rule_change",
    "user_change",
    "payment_correct",
    "police_mediation",
    "paper_signature",
    "particulars",
)
PAGE_SIZE = 50


@on_disclosure
async def record_disclosure(session: AsyncSession, d: Disclosure) -> None:
    """A number the room masked, sent in full on purpose by the person who wrote it."""
    session.add(
        AuditEntry(
            at=d.at,
            actor_id=d.staff_id,
            actor=d.actor[:64],
            role=d.role,
            unit_code=d.unit_code,
            action="share_pii",
            case_id=d.case_id,
            target=d.target[:200],
            data={"case": d.case_number, "to": list(d.recipients)},
        )
    )


def record(
    session: AsyncSession,
    *,
    at: datetime,
    action: str,
    staff: StaffContext | None = None,
    actor: str | None = None,
    ip: str = "",
    case_id: int | None = None,
    unit_code: str | None = None,
    target: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    """Add one entry to the session (the caller's transaction commits it with the act)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    session.add(
        AuditEntry(
            at=at,
            actor_id=staff.id if staff else None,
            actor=(staff.username if staff else actor or "")[:64],
            role=staff.role.value if staff else "",
            unit_code=unit_code if unit_code is not None else (staff.unit_code if staff else None),
            action=action,
            case_id=case_id,
            target=target[:200],
            ip=ip[:64],
            data=data or {},
        )
    )


@dataclass(frozen=True)
class AuditFilter:
    action: str | None = None
    actor: str | None = None
    case_id: int | None = None
    before_id: int | None = None


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    next_before_id: int | None


def _scoped(query: Select[AuditEntry], staff: StaffContext) -> Select[AuditEntry]:
    """An admin reads entries of their own units; a top-unit admin also those tied to none
    (failed logins with unknown usernames)."""
    units = sorted(staff.visible_units)
    if staff.is_root:
        return query.where(or_(AuditEntry.unit_code.in_(units), AuditEntry.unit_code.is_(None)))
    return query.where(AuditEntry.unit_code.in_(units))


async def list_entries(db: Database, staff: StaffContext, flt: AuditFilter) -> AuditPage:
    """Newest first, ``PAGE_SIZE`` at a time (keyset on the id: stable while rows arrive)."""
    if staff.role.value != "admin":
        raise Forbidden("view_audit")
    query = _scoped(select(AuditEntry), staff)
    if flt.action:
        query = query.where(AuditEntry.action == flt.action)
    if flt.actor:
        query = query.where(AuditEntry.actor == flt.actor)
    if flt.case_id is not None:
        query = query.where(AuditEntry.case_id == flt.case_id)
    if flt.before_id is not None:
        query = query.where(AuditEntry.id < flt.before_id)
    query = query.order_by(AuditEntry.id.desc()).limit(PAGE_SIZE + 1)
    async with db.read() as session:
        rows = list((await session.execute(query)).scalars())
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return AuditPage(rows, rows[-1].id if more and rows else None)


def user_change(
    session: AsyncSession,
    staff: StaffContext,
    ip: str,
    at: datetime,
    username: str,
    data: dict[str, Any],
    *,
    unit_code: str | None = None,
) -> None:
    """An admin's change to a staff account (created, (de)activated, phone, quiet hours, a
    lawyer's profile): one action, with the account's username as its target."""
    record(
        session,
        at=at,
        action="user_change",
        staff=staff,
        ip=ip,
        unit_code=unit_code,
        target=username,
        data=data,
    )
