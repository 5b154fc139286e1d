"""Mediators: linking a staff account to Telegram, the unit queue, taking a case."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import crypto
from mediation import invitations as inv
from mediation.case_state import CaseStatus
from mediation.permissions import Action, Actor, ActorKind, can
from mediation.replies import Reply, reply
from mediation.room import MemberStatus, Role
from mediation.units import UnitDirectory
from services.cases import add_event
from services.delivery import Address, staff_addresses
from services.room import Room, facts
from storage.db import Database
from storage.models import Case, CaseMember, StaffAccount, StaffLinkCode

MEDIATING_ROLES = frozenset({"admin", "mediator", "police"})
LINK_CODE_TTL = timedelta(hours=24)


def no_case(staff: StaffAccount | None) -> Reply:
    """What a person is told when a command needs a case and they have none in progress, in
    their own terms: a party is told how to report a dispute (``room.no_active_case``); a
    mediator is pointed to their case list and the cases waiting (``room.no_active_case_staff``:
    before, mediators read the party's "发送 /start 登记纠纷"); a lawyer, a viewer and a grid
    worker get their role's hint (``staff.no_case_hint*``)."""
    if staff is None:
        return reply("room.no_active_case")
    if staff.role in MEDIATING_ROLES:
        return reply("room.no_active_case_staff")
    hint = {Role.LAWYER.value: "_lawyer", "viewer": "_viewer"}.get(staff.role, "")
    return reply(f"staff.no_case_hint{hint}")


async def create_link_code(db: Database, username: str, now: datetime) -> str | None:
    """A one-time code the staff member sends to the bot as ``/link CODE``."""
    async with db.write() as session:
        staff = (
            await session.execute(select(StaffAccount).where(StaffAccount.username == username))
        ).scalar_one_or_none()
        if staff is None or not staff.active:
            return None
        code = "".join(secrets.choice(inv.CODE_ALPHABET) for _ in range(inv.CODE_LENGTH))
        session.add(
            StaffLinkCode(
                staff_id=staff.id, code_digest=inv.digest(code), expires_at=now + LINK_CODE_TTL
            )
        )
    return inv.format_code(code)


async def link(
    session: AsyncSession, typed: str, telegram_id: int, now: datetime
) -> StaffAccount | str:
    """Bind the Telegram account to the staff account; a catalog key on failure."""
    code = inv.normalise_code(typed)
    if code is None:
        return "staff.link_invalid"
    row = (
        await session.execute(
            select(StaffLinkCode)
            .where(StaffLinkCode.code_digest == inv.digest(code))
            .with_for_update()
        )
    ).scalar_one_or_none()
    if row is None or row.used_at is not None or row.expires_at <= now:
        return "staff.link_invalid"
    other = (
        await session.execute(select(StaffAccount).where(StaffAccount.telegram_id == telegram_id))
    ).scalar_one_or_none()
    if other is not None and other.id != row.staff_id:
        other.telegram_id = None  # one Telegram account speaks for one staff account
        await session.flush()
    staff = await session.get_one(StaffAccount, row.staff_id)
    staff.telegram_id = telegram_id
    row.used_at = now
    return staff


async def staff_for_telegram(session: AsyncSession, telegram_id: int) -> StaffAccount | None:
    return (
        await session.execute(
            select(StaffAccount).where(
                StaffAccount.telegram_id == telegram_id, StaffAccount.active.is_(True)
            )
        )
    ).scalar_one_or_none()


async def staff_for_phone(session: AsyncSession, phone: str) -> StaffAccount | None:
    """The active staff account whose registered phone this is (``services.staff.set_phone``);
    the caller vouches that ``phone`` was verified (the browser chat's one-time code)."""
    return (
        await session.execute(
            select(StaffAccount).where(
                StaffAccount.phone_hash == crypto.blind_index(phone),
                StaffAccount.active.is_(True),
            )
        )
    ).scalar_one_or_none()


def in_subtree(units: UnitDirectory, staff_unit: str, case_unit: str) -> bool:
    """A unit sees its own cases and those of the units below it."""
    if staff_unit == case_unit:
        return True
    if case_unit not in units.by_code:
        return False
    return any(u.code == staff_unit for u in units.ancestors(case_unit))


def staff_actor(
    staff: StaffAccount, case: Case, member: CaseMember | None, units: UnitDirectory
) -> Actor:
    if staff.role == "lawyer":
        kind = ActorKind.LAWYER
    elif staff.role in MEDIATING_ROLES:
        kind = ActorKind.MEDIATOR
    else:
        kind = ActorKind.NOBODY
    return Actor(
        kind,
        Role(member.role) if member else None,
        MemberStatus(member.status) if member else None,
        assigned=case.mediator_id == staff.id,
        same_unit=in_subtree(units, staff.unit_code, case.unit_code),
    )


async def queue(session: AsyncSession, staff: StaffAccount, units: UnitDirectory) -> list[Case]:
    """Cases waiting for a mediator in the staff member's unit and the units below it."""
    codes = [u.code for u in units.units if in_subtree(units, staff.unit_code, u.code)]
    rows = await session.execute(
        select(Case)
        .where(
            Case.unit_code.in_(codes),
            Case.mediator_id.is_(None),
            Case.status.in_([CaseStatus.SUBMITTED.value, CaseStatus.ACCEPTED.value]),
        )
        .order_by(Case.created_at)
        .limit(30)
    )
    return list(rows.scalars())


async def to_alert(
    session: AsyncSession, units: UnitDirectory, case: Case
) -> list[tuple[StaffAccount, Address]]:
    """Who hears of a new case at once, and where: the mediating staff of the case's unit whom
    the chat reaches (their linked Telegram, else the browser chat of their account's phone:
    :func:`services.delivery.staff_addresses`), or, when nobody there is reachable, of the
    nearest unit above (the one whose /queue shows it). Without this, mediators found new
    cases only by polling /queue, and a browser-only mediator never heard of one."""
    levels = [case.unit_code, *(u.code for u in units.ancestors(case.unit_code))]
    rows = await session.execute(
        select(StaffAccount).where(
            StaffAccount.active.is_(True),
            or_(StaffAccount.telegram_id.is_not(None), StaffAccount.phone_hash.is_not(None)),
            StaffAccount.role.in_(sorted(MEDIATING_ROLES)),
            StaffAccount.unit_code.in_(levels),
        )
    )
    staff = list(rows.scalars())
    addresses = await staff_addresses(session, staff)
    for code in levels:
        here = [(s, addresses[s.id]) for s in staff if s.unit_code == code and s.id in addresses]
        if here:
            return sorted(here, key=lambda pair: pair[0].id)
    return []


async def take(session: AsyncSession, case: Case, staff: StaffAccount, now: datetime) -> CaseMember:
    case.mediator_id = staff.id
    case.updated_at = now
    member = CaseMember(case_id=case.id, role=Role.MEDIATOR.value, staff_id=staff.id, joined_at=now)
    session.add(member)
    add_event(session, case.id, now, f"staff:{staff.id}", kind="mediator_assigned", data={})
    await session.flush()
    return member


def may(staff: StaffAccount, room: Room, act: Action, units: UnitDirectory) -> bool:
    """Whether this staff member may do ``act`` in the room (mediation.permissions)."""
    member = room.of_staff(staff.id)
    return can(staff_actor(staff, room.case, member, units), act, facts(room))
