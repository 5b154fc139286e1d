"""A group's members as parties of the case: each invited, each bound by the written agreement
by their own signature or by the representative's with their special authority (issue 24,
item 5).

Why parties and not a parallel list: the written agreement's signing plan
(``mediation.parties``), its identity questions, invitations, room seats, signatures and the
court-ready rules already work per party; a roster member who was not a party was never asked
to sign and never counted. So a member added to the roster becomes a ``case_parties`` row on
the claimants' side (or is matched to the party already registered with the same phone or
name), gets an invitation like any street party, and the representative's authority from them
is a ``party_agents`` row (委托代理人) that the plan reads as for any other agent. A
representative who is one of the claimants acts from their own seat (``agent_party_id``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import crypto
from features.street.models import StreetMember, StreetReport
from mediation.group_signing import ClaimantSeat, Cover, cover, signed_for
from mediation.masking import mask_id_number
from mediation.parties import Acting, AgentKind, SigningPlan
from mediation.street_joint import member_agent
from services import invites
from storage.document_models import Document, DocumentSignature
from storage.models import Case, CaseParty, PartyAgent, StaffAccount

#: The document whose signing the roster follows (features.agreements.common.AGREEMENT).
AGREEMENT = "mediation_agreement"
CLAIMANTS = "applicant"


def _yuan(cents: int) -> str:
    """An amount as the documents take it: yuan with two decimals (``8600.00``)."""
    return f"{Decimal(cents) / 100:.2f}"


def _same_name(a: str, b: str) -> bool:
    return "".join(a.split()) == "".join(b.split())


async def enlist(
    session: AsyncSession,
    case: Case,
    members: Sequence[StreetMember],
    *,
    actor: str,
    now: datetime,
    ttl: timedelta,
) -> list[tuple[StreetMember, invites.IssuedInvite]]:
    """Make each new member a party of the claimants' side, or match them to the party already
    registered (same phone, else same name and no other phone); each new party is invited."""
    parties = list(
        (
            await session.execute(
                select(CaseParty).where(CaseParty.case_id == case.id, CaseParty.side == CLAIMANTS)
            )
        ).scalars()
    )
    taken = set(
        (
            await session.execute(
                select(StreetMember.party_id).where(
                    StreetMember.case_id == case.id, StreetMember.party_id.is_not(None)
                )
            )
        ).scalars()
    )
    ordinal = max((p.ordinal for p in parties), default=0)
    issued: list[tuple[StreetMember, invites.IssuedInvite]] = []
    for m in members:
        match = _match(m, [p for p in parties if p.id not in taken])
        if match is not None:
            if not match.name:
                match.name = m.name  # a party registered as unknown is this member
            if m.phone and not match.phone:
                match.phone, match.phone_hash = m.phone, crypto.blind_index(m.phone)
            m.party_id = match.id
            taken.add(match.id)
            continue
        ordinal += 1
        party = CaseParty(
            case_id=case.id,
            side=CLAIMANTS,
            ordinal=ordinal,
            status="pending",
            name=m.name,
            phone=m.phone,
            phone_hash=crypto.blind_index(m.phone) if m.phone else None,
        )
        session.add(party)
        await session.flush()
        m.party_id = party.id
        taken.add(party.id)
        invite = await invites.issue(
            session, case, party, created_by=actor, now=now, ttl=ttl, phone=m.phone
        )
        issued.append((m, invite))
    return issued


def _match(m: StreetMember, parties: Sequence[CaseParty]) -> CaseParty | None:
    if m.phone:
        digest = crypto.blind_index(m.phone)
        found = next((p for p in parties if p.phone_hash == digest), None)
        if found is not None:
            return found
    return next((p for p in parties if p.name and _same_name(p.name, m.name) and not p.phone), None)


async def representative_party(session: AsyncSession, case_id: int, name: str) -> int | None:
    """The representative's own party, when they are one of the claimants."""
    rows = await session.execute(
        select(CaseParty).where(CaseParty.case_id == case_id, CaseParty.side == CLAIMANTS)
    )
    return next((p.id for p in rows.scalars() if p.name and _same_name(p.name, name)), None)


async def authorise(
    session: AsyncSession,
    case: Case,
    member: StreetMember,
    *,
    staff: StaffAccount,
    now: datetime,
) -> None:
    """The representative's authority from ``member`` as that party's 委托代理人 (checked by
    ``staff``, who saw the written 授权委托书); the plan decides what it lets them do."""
    report = (
        await session.execute(select(StreetReport).where(StreetReport.case_id == case.id))
    ).scalar_one_or_none()
    rep = (report.representative or "") if report is not None else ""
    if not rep or member.party_id is None:
        return
    own = await representative_party(session, case.id, rep)
    if own == member.party_id:
        return  # the representative signs for themself as a party
    agent = (
        await session.execute(
            select(PartyAgent).where(
                PartyAgent.party_id == member.party_id,
                PartyAgent.kind == AgentKind.ENTRUSTED.value,
            )
        )
    ).scalar_one_or_none()
    if agent is None:
        agent = PartyAgent(
            case_id=case.id, party_id=member.party_id, kind=AgentKind.ENTRUSTED.value, name=rep
        )
        session.add(agent)
    agent.name, agent.agent_party_id = rep[:100], own
    agent.relation = "群体纠纷代表人"
    agent.authority = member.authority
    agent.checked_by_staff_id, agent.checked_at = staff.id, now


# ---------------------------------------------------------------------- the written agreement


async def members_of(session: AsyncSession, case_id: int) -> list[StreetMember]:
    rows = await session.execute(
        select(StreetMember).where(StreetMember.case_id == case_id).order_by(StreetMember.ordinal)
    )
    return list(rows.scalars())


def seats(
    members: Sequence[StreetMember], plan: SigningPlan, representative: str
) -> list[ClaimantSeat]:
    """Each member's signature slot in ``plan`` (None when the plan has none for them)."""
    out = []
    for m in members:
        seat = plan.seat_of(m.party_id) if m.party_id is not None else None
        out.append(
            ClaimantSeat(
                party_id=m.party_id or 0,
                name=m.name,
                amount_cents=m.amount_cents,
                signer_id=seat.signer_id if seat is not None else None,
                acting=seat.acting if seat is not None else Acting.SELF,
                signatory=(seat.agent_name or m.name) if seat is not None else "",
                agent=member_agent(representative, m.authority, m.checked_at is not None),
            )
        )
    return out


async def agreement_group(
    session: AsyncSession, case_id: int, plan: SigningPlan, id_numbers: dict[int, str | None]
) -> dict[str, object] | None:
    """The group's part of a 协议书 version: every claimant (masked ID number where known, the
    amount, who signs for them) with the total, and each representative with the scope of the
    authority they hold. None for a case without a roster."""
    members = await members_of(session, case_id)
    if not members:
        return None
    report = (
        await session.execute(select(StreetReport).where(StreetReport.case_id == case_id))
    ).scalar_one_or_none()
    rep = (report.representative or "") if report is not None else ""
    planned = seats(members, plan, rep)
    rows = [
        {
            "no": n,
            "party_id": m.party_id,
            "name": m.name,
            "id_masked": mask_id_number(id_numbers.get(m.party_id or 0)) or "",
            "amount": _yuan(m.amount_cents),
            "signer": s.signer_id or "",
            "acting": s.acting.value,
            "signatory": s.signatory,
            "authority": m.authority or "",
        }
        for n, (m, s) in enumerate(zip(members, planned, strict=True), 1)
    ]
    # Those the representative signs for on this version (a member with special authority who
    # came to sign in person is bound by their own hand), and those who gave a general one.
    special = signed_for(planned).get(rep, [])
    general = [m.name for m in members if m.authority == "general" and not _same_name(m.name, rep)]
    return {
        "members": rows,
        "total": _yuan(sum(m.amount_cents for m in members)),
        "representatives": [{"name": rep, "special": special, "general": general}] if rep else [],
    }


@dataclass(frozen=True)
class MemberStatus:
    member: StreetMember
    cover: Cover
    signatory: str


@dataclass(frozen=True)
class GroupSigning:
    version: int
    status: str
    members: list[MemberStatus]

    @property
    def missing(self) -> list[MemberStatus]:
        return [m for m in self.members if m.cover not in (Cover.SELF, Cover.REPRESENTATIVE)]


async def signing_status(session: AsyncSession, case_id: int) -> GroupSigning | None:
    """Each member's standing on the newest version of the agreement being signed or signed
    (the console's case pages; the chat names the missing the same way)."""
    doc = (
        await session.execute(
            select(Document)
            .where(
                Document.case_id == case_id,
                Document.kind == AGREEMENT,
                Document.status.in_(("signing", "sealing", "effective")),
            )
            .order_by(Document.version.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if doc is None or not doc.content.get("group"):
        return None
    signed = set(
        (
            await session.execute(
                select(DocumentSignature.signer_id).where(
                    DocumentSignature.document_id == doc.id,
                    DocumentSignature.decision == "signed",
                    DocumentSignature.version_sha == doc.sha256,
                )
            )
        ).scalars()
    )
    return GroupSigning(
        doc.version,
        doc.status,
        status_rows(await members_of(session, case_id), doc.content, signed),
    )


def status_rows(
    members: Sequence[StreetMember], content: dict[str, object], signed: set[str]
) -> list[MemberStatus]:
    group = content.get("group")
    rows = group.get("members", []) if isinstance(group, dict) else []
    reps = group.get("representatives", []) if isinstance(group, dict) else []
    rep = str(reps[0]["name"]) if reps else ""
    by_party = {r.get("party_id"): r for r in rows}
    out = []
    for m in members:
        row = by_party.get(m.party_id)
        if row is None:
            out.append(MemberStatus(m, Cover.NOT_COVERED, ""))
            continue
        signer = str(row.get("signer") or "") or None
        seat = ClaimantSeat(
            party_id=m.party_id or 0,
            name=m.name,
            amount_cents=m.amount_cents,
            signer_id=signer,
            acting=Acting(str(row.get("acting") or "self")),
            signatory=str(row.get("signatory") or ""),
            agent=member_agent(rep, m.authority, m.checked_at is not None),
        )
        out.append(MemberStatus(m, cover(seat, signed), seat.signatory))
    return out
