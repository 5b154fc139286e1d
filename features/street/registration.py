"""Registering a dispute for someone (代为登记): the case, its parties' invitations, dispatch.

One use case for both channels: the staff member's guided dialogue in the chat
(``features.street.report``) and the phone-width form in the console
(``features.street.web.views``) build a :class:`ReportIn` and call :func:`register`
inside their transaction.

Nothing is presumed for a party: every party row starts ``pending``, the applicants' as much as
the respondents', and each gets its own invitation (a link and a QR code shown on the spot, a
code to type). The case stays 待受理 until one party on each side has confirmed the record and
consented (``services.invites.accept``); the case page and the reporter's summary say who
confirmed and who has not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from core import crypto
from features.street.models import StreetHandover, StreetReport
from features.street.tasks import dispatch_case
from mediation.case_state import CaseStatus
from mediation.disputes import DisputeType
from mediation.numbering import format_case_number
from mediation.street import StreetDirectory
from mediation.units import UnitDirectory, UnitInfo
from services import case_watch, invites
from services.cases import add_event, next_sequence
from services.delivery import Outgoing
from services.staff_alerts import Policy
from storage.models import Case, CaseParty, Evidence, StaffAccount

SIDES = ("applicant", "respondent")
SOURCE = "street"


@dataclass(frozen=True)
class PartyIn:
    side: str  # applicant | respondent
    name: str | None  # None: the reporter does not know it
    phone: str | None = None
    #: 住址 where the reporter knows it (the 申请书 prints it; the party may correct it).
    address: str | None = None


@dataclass(frozen=True)
class EvidenceIn:
    """A photo, voice note or file kept in the file store (``ref`` as the channel gave it)."""

    kind: str
    ref: str
    name: str | None = None
    mime_type: str | None = None
    size: int | None = None
    #: The file store's key, when the bytes are already kept (console uploads); chat files
    #: are fetched from their channel later, as an intake's evidence is.
    stored: str | None = None


@dataclass(frozen=True)
class ReportIn:
    dispute_type: DisputeType
    place: str
    facts: str
    parties: tuple[PartyIn, ...]
    involved: str | None = None
    police_ref: str | None = None
    evidence: tuple[EvidenceIn, ...] = ()

    def missing_side(self) -> str | None:
        """A side nobody was recorded on (the record needs someone on each, named or not)."""
        return next((s for s in SIDES if not any(p.side == s for p in self.parties)), None)


@dataclass
class Registered:
    case: Case
    invitations: list[tuple[CaseParty, invites.IssuedInvite]] = field(default_factory=list)


def unit_for(units: UnitDirectory, report: ReportIn, reporter: StaffAccount) -> UnitInfo:
    """The unit whose place words match; with none, the reporter's own unit (a grid worker
    registers what happens in their grid), never the service's catch-all default."""
    routed = units.route(report.place, report.dispute_type)
    if routed.is_default and reporter.unit_code in units.by_code:
        return units.by_code[reporter.unit_code]
    return routed


async def register(
    session: AsyncSession,
    report: ReportIn,
    *,
    reporter: StaffAccount,
    channel: str,
    units: UnitDirectory,
    street: StreetDirectory,
    out: Outgoing,
    now: datetime,
    local_year: int,
    invite_ttl: timedelta,
    tz: ZoneInfo,
    quiet: Policy | None = None,
) -> Registered:
    """File the case, invite each party, dispatch it to its posts (alerts go to ``out``)."""
    if report.missing_side() is not None:
        raise ValueError("a party on each side is required")
    unit = unit_for(units, report, reporter)
    case = await _new_case(session, report, unit, now, local_year)
    parties = list(case.parties)
    actor = f"staff:{reporter.id}"
    session.add(
        StreetReport(
            case_id=case.id,
            reporter_id=reporter.id,
            channel=channel,
            police_ref=report.police_ref,
            involved=report.involved,
            created_at=now,
        )
    )
    for item in report.evidence:
        session.add(
            Evidence(
                case_id=case.id,
                kind=item.kind,
                channel=channel,
                file_ref=item.ref,
                file_name=item.name,
                mime_type=item.mime_type,
                size=item.size,
                stored_path=item.stored,
                created_at=now,
            )
        )
    add_event(
        session,
        case.id,
        now,
        actor,
        kind="created",
        data={
            "channel": channel,
            "unit": unit.code,
            "source": SOURCE,
            "evidence": len(report.evidence),
            "police_ref": report.police_ref or "",
            "parties": [{"side": p.side, "name_known": p.name is not None} for p in report.parties],
        },
    )
    session.add(
        StreetHandover(
            case_id=case.id,
            at=now,
            kind="reported",
            unit_code=unit.code,
            risk=case.risk or "normal",
            by_staff=reporter.id,
        )
    )
    registered = Registered(case)
    for party in parties:
        issued = await invites.issue(
            session,
            case,
            party,
            created_by=actor,
            now=now,
            ttl=invite_ttl,
            phone=party.phone,
        )
        registered.invitations.append((party, issued))
    await dispatch_case(
        session,
        case,
        units=units,
        street=street,
        out=out,
        now=now,
        actor=actor,
        tz=tz,
        quiet=quiet,
    )
    return registered


async def _new_case(
    session: AsyncSession, report: ReportIn, unit: UnitInfo, now: datetime, local_year: int
) -> Case:
    """The case with its next number, and every party as recorded, each one still pending."""
    number = format_case_number(
        local_year, unit.case_prefix, await next_sequence(session, unit.code, local_year)
    )
    case = Case(
        number=number,
        unit_code=unit.code,
        dispute_type=report.dispute_type.value,
        status=CaseStatus.SUBMITTED.value,
        source=SOURCE,
        facts=report.facts,
        claims="",
        place=report.place,
        language="zh-CN",
        created_at=now,
        updated_at=now,
    )
    ordinals = dict.fromkeys(SIDES, 0)
    parties = []
    for p in report.parties:
        ordinals[p.side] += 1
        parties.append(
            CaseParty(
                side=p.side,
                ordinal=ordinals[p.side],
                status="pending",
                name=p.name or "",
                phone=p.phone,
                phone_hash=crypto.blind_index(p.phone) if p.phone else None,
                address=p.address,
            )
        )
    case.parties = parties
    session.add(case)
    await session.flush()
    await case_watch.case_stored(session, case)  # searchable in the ledger at once
    return case
