"""Group disputes (issue 24 item 5): one side of many — ten workers and more — with a
representative, a roster with each member's amount, and the authority the representative holds
from each member (the court-ready rule of ``mediation.parties``: only a checked 特别授权 lets
the representative settle for a member; a general one lets them speak only).

Why the risk is assessed here: a roster is when the service learns how many claimants there
are; every change of it runs the group rule (``mediation.street_joint.group_risk``), and a raise
to 较大 escalates as a raise by staff would (``features.street.escalation``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from features.street import group_parties
from features.street.escalation import RiskRaise, raise_risk
from features.street.models import StreetMember, StreetReport
from features.street.tasks import TaskError, locked_report
from mediation.case_state import CaseStatus
from mediation.parties import Authority
from mediation.replies import Msg
from mediation.risk import parse_level
from mediation.street_joint import MemberIn, group_risk, member_agent
from mediation.units import UnitDirectory
from services import invites
from services.delivery import Outgoing
from storage.models import Case, StaffAccount


@dataclass(frozen=True)
class MemberView:
    member: StreetMember
    may_settle: bool


@dataclass(frozen=True)
class Roster:
    representative: str | None
    members: list[MemberView]
    total_cents: int
    authorised: int


@dataclass
class Added:
    """What adding members did: the centre the group rule escalated the case to (if it did) and
    each new claimant's invitation (shown on the spot, sent by SMS when there is a gateway)."""

    escalated_to: str | None = None
    invited: list[tuple[StreetMember, invites.IssuedInvite]] = field(default_factory=list)


async def roster(session: AsyncSession, case_id: int) -> Roster:
    report = (
        await session.execute(select(StreetReport).where(StreetReport.case_id == case_id))
    ).scalar_one_or_none()
    rep = report.representative if report is not None else None
    rows = await session.execute(
        select(StreetMember).where(StreetMember.case_id == case_id).order_by(StreetMember.ordinal)
    )
    members = [
        MemberView(m, member_agent(rep or "", m.authority, m.checked_at is not None).may_sign)
        for m in rows.scalars()
    ]
    return Roster(
        representative=rep,
        members=members,
        total_cents=sum(v.member.amount_cents for v in members),
        authorised=sum(v.may_settle for v in members),
    )


async def add_members(
    session: AsyncSession,
    case: Case,
    staff: StaffAccount,
    members: Sequence[MemberIn],
    *,
    representative: str | None,
    units: UnitDirectory,
    out: Outgoing,
    now: datetime,
    invite_ttl: timedelta,
) -> Added:
    """Add members (and name the representative): each becomes a party of the claimants' side
    and is invited (``group_parties``); the group rule may raise the risk."""
    report = await locked_report(session, case)
    if case.status == CaseStatus.SIGNING.value:
        # A version being signed names its signers; a claimant added now would not be bound
        # by it, so the mediator revises the agreement first (it then includes them).
        raise TaskError("street.group.while_signing")
    if representative:
        report.representative = representative
    rows, count = await _append(session, case, members, now)
    added = Added()
    added.invited = await group_parties.enlist(
        session, case, rows, actor=f"staff:{staff.id}", now=now, ttl=invite_ttl
    )
    before = parse_level(case.risk)
    level = group_risk(count, (case.facts, case.place), before)
    if level == before:
        return added
    change = RiskRaise(
        level,
        actor="system",
        reason=f"street_group:{count}",
        by=None,
        rule="street_group",
        shown_reason=Msg("street.group.rule_reason", {"count": count}),
    )
    added.escalated_to = await raise_risk(session, case, change, units=units, out=out, now=now)
    return added


async def _append(
    session: AsyncSession, case: Case, members: Sequence[MemberIn], now: datetime
) -> tuple[list[StreetMember], int]:
    """The members after those already on the roster: the new rows and the roster's size."""
    start = (
        await session.execute(
            select(func.coalesce(func.max(StreetMember.ordinal), 0)).where(
                StreetMember.case_id == case.id
            )
        )
    ).scalar_one()
    rows = [
        StreetMember(
            case_id=case.id,
            ordinal=start + i,
            name=m.name,
            phone=m.phone,
            amount_cents=m.amount_cents,
            created_at=now,
        )
        for i, m in enumerate(members, 1)
    ]
    session.add_all(rows)
    await session.flush()
    count = (
        await session.execute(
            select(func.count()).select_from(StreetMember).where(StreetMember.case_id == case.id)
        )
    ).scalar_one()
    return rows, int(count)


async def set_authority(
    session: AsyncSession,
    case: Case,
    staff: StaffAccount,
    member_id: int,
    authority: str,
    now: datetime,
) -> StreetMember:
    """The authority the representative holds from one member, checked by this staff member
    (the written 授权委托书 seen); kept as that party's agent for the written agreement."""
    member = await session.get(StreetMember, member_id, with_for_update=True)
    if member is None or member.case_id != case.id:
        raise TaskError("street.group.no_member")
    if authority not in (Authority.SPECIAL.value, Authority.GENERAL.value):
        raise TaskError("street.group.bad_authority")
    member.authority, member.checked_by, member.checked_at = authority, staff.id, now
    await group_parties.authorise(session, case, member, staff=staff, now=now)
    return member
