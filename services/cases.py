"""Creating and reading cases: numbering, parties, evidence, events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core import crypto
from mediation.case_state import CaseStatus
from mediation.disputes import DisputeType
from mediation.intake import IntakeDraft, Step
from mediation.numbering import format_case_number
from mediation.units import UnitInfo
from services import case_watch
from storage.db import insert_for, session_dialect
from storage.models import (
    Case,
    CaseCounter,
    CaseEvent,
    CaseMember,
    CaseParty,
    Evidence,
    User,
)


def add_event(
    session: AsyncSession,
    case_id: int,
    at: datetime,
    actor: str,
    *,
    kind: str,
    data: dict[str, Any],
) -> None:
    """One entry on a case's timeline (who did what, when). ``kind`` is written literally at
    every call: the timeline's labels test reads it there, so each kind has a label."""
    session.add(CaseEvent(case_id=case_id, at=at, kind=kind, actor=actor, data=data))


async def next_sequence(session: AsyncSession, unit_code: str, year: int) -> int:
    """Atomically take the next number for (unit, year).

    A single ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` is atomic on SQLite and on
    PostgreSQL alike, so concurrent intakes never get the same number (tested on both).
    """
    dialect_insert = insert_for(session_dialect(session))
    stmt = (
        dialect_insert(CaseCounter)
        .values(unit_code=unit_code, year=year, last=1)
        .on_conflict_do_update(
            index_elements=["unit_code", "year"], set_={"last": CaseCounter.last + 1}
        )
        .returning(CaseCounter.last)
    )
    return int((await session.execute(stmt)).scalar_one())


async def create_from_intake(
    session: AsyncSession,
    *,
    user: User,
    draft: IntakeDraft,
    unit: UnitInfo,
    channel: str,
    now: datetime,
    local_year: int,
    language: str,
) -> Case:
    a = draft.answers
    number = format_case_number(
        local_year, unit.case_prefix, await next_sequence(session, unit.code, local_year)
    )
    case = Case(
        number=number,
        unit_code=unit.code,
        dispute_type=DisputeType(a["dispute_type"]).value,
        status=CaseStatus.SUBMITTED.value,
        facts=a["facts"],
        claims=a["claims"],
        amount=Decimal(a["amount"]) if a.get("amount") else None,
        amount_stated=stated.value if (stated := draft.amount_stated) else None,
        place=a["place"],
        language=language,
        created_by_user_id=user.id,
        created_at=now,
        updated_at=now,
    )
    applicant, respondent = _parties(draft, user, now)
    case.parties = [applicant, respondent]
    session.add(case)
    await session.flush()
    await case_watch.case_stored(session, case)
    session.add(
        CaseMember(
            case_id=case.id,
            role="applicant",
            ordinal=1,
            party_id=applicant.id,
            user_id=user.id,
            joined_at=now,
        )
    )
    if user.phone is None:
        user.phone, user.phone_hash = a["phone"], crypto.blind_index(a["phone"])
    _add_evidence(session, case, applicant, draft.evidence, channel, now)
    add_event(
        session,
        case.id,
        now,
        f"user:{user.id}",
        kind="created",
        data={"channel": channel, "unit": unit.code, "evidence": len(draft.evidence)},
    )
    return case


def _parties(draft: IntakeDraft, user: User, now: datetime) -> tuple[CaseParty, CaseParty]:
    """The applicant (joined: the user who filed) and the respondent (pending an invitation),
    with the details the applicant said are not known (``CaseParty.unknown``): their own ID
    number answered 不知道, the other side's name answered 不知道 and a phone not given (the
    summary they confirmed said 不详 for it)."""
    a = draft.answers
    own_unknown = ["id_number"] if draft.said_unknown(Step.ID_NUMBER) else []
    other_unknown = [
        field for field, known in (("name", a["other_name"]), ("phone", a.get("other_phone")))
        if not known
    ]  # fmt: skip
    applicant = CaseParty(
        user_id=user.id,
        side="applicant",
        ordinal=1,
        status="joined",
        name=a["name"],
        note=a.get("name_note") or None,
        kind=a.get("name_kind") or "person",
        phone=a["phone"],
        phone_hash=crypto.blind_index(a["phone"]),
        id_number=a.get("id_number"),
        unknown=",".join(own_unknown) or None,
        joined_at=now,
    )
    other_phone = a.get("other_phone")
    respondent = CaseParty(
        side="respondent",
        ordinal=1,
        status="pending",
        name=a["other_name"],
        note=a.get("other_name_note") or None,
        kind=a.get("other_name_kind") or "person",
        phone=other_phone,
        phone_hash=crypto.blind_index(other_phone) if other_phone else None,
        unknown=",".join(other_unknown) or None,
    )
    return applicant, respondent


def _add_evidence(
    session: AsyncSession,
    case: Case,
    applicant: CaseParty,
    evidence: Sequence[dict[str, Any]],
    channel: str,
    now: datetime,
) -> None:
    """The files sent during intake, as the applicant's evidence."""
    for item in evidence:
        session.add(
            Evidence(
                case_id=case.id,
                party_id=applicant.id,
                kind=item["kind"],
                channel=channel,
                file_ref=item["ref"],
                file_name=item.get("name"),
                mime_type=item.get("mime_type"),
                size=item.get("size"),
                created_at=now,
            )
        )


async def cases_of_user(session: AsyncSession, user_id: int) -> Sequence[tuple[Case, CaseParty]]:
    """The user's cases, oldest first, with the user's own party row (their role)."""
    result = await session.execute(
        select(Case, CaseParty)
        .join(CaseParty, CaseParty.case_id == Case.id)
        .where(CaseParty.user_id == user_id)
        .order_by(Case.created_at, Case.id)
        .options(selectinload(Case.parties))
    )
    return [(c, p) for c, p in result.all()]
