"""The volunteer-lawyer registry as the console shows and edits it: one use case per page action.

The rules are the lawyers feature's (``features.lawyers.profiles``: the same as ``main.py lawyer
set`` and a lawyer's own ``/duty``); what the console adds is who may see and change whom (the
staff member's units and the units below) and the audit record of each change, written in the
same transaction as the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from features.console import audit
from features.console.context import StaffContext
from features.lawyers.profiles import (
    LawyerEntry,
    ProfileInput,
    list_lawyers,
    save_profile,
    set_paused,
)
from storage.db import Database
from storage.models import StaffAccount


@dataclass(frozen=True)
class Roster:
    accounts: list[StaffAccount]
    entries: dict[int, LawyerEntry]


async def roster(db: Database, staff: StaffContext) -> Roster:
    """The lawyers' accounts in the staff member's units, with their profiles where set."""
    async with db.read() as session:
        accounts = list(
            (
                await session.execute(
                    select(StaffAccount)
                    .where(
                        StaffAccount.role == "lawyer",
                        StaffAccount.unit_code.in_(sorted(staff.visible_units)),
                    )
                    .order_by(StaffAccount.display_name)
                )
            ).scalars()
        )
        entries = {e.staff.id: e for e in await list_lawyers(session)}
    return Roster(accounts, entries)


async def update_lawyer(
    db: Database,
    staff: StaffContext,
    staff_id: int | None,
    data: ProfileInput,
    *,
    paused: bool,
    now: datetime,
    ip: str,
) -> StaffAccount | None:
    """Save a lawyer's profile and pause flag; ``None`` when there is no such lawyer that this
    staff member may see. Raises ``InvalidInput`` (nothing saved) for a profile the rules refuse."""
    async with db.write() as session:
        account = await session.get(StaffAccount, staff_id) if staff_id else None
        if account is None or account.role != "lawyer" or not staff.sees(account.unit_code):
            return None
        profile = await save_profile(session, account.username, data, now)
        if paused != profile.paused:
            await set_paused(session, profile, paused, now)
        change = {"lawyer_profile": True, "paused": paused}
        audit.user_change(
            session, staff, ip, now, account.username, change, unit_code=account.unit_code
        )
    return account
