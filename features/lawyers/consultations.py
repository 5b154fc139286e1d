"""Consultations (咨询): legal questions without a case, numbered and counted like cases.

A person starts one with ``/ask`` when they have no case. The assistant answers each question;
if they ask for a lawyer and one accepts, the two talk through the bot (role labels only, as in
the room), and the exchange is kept encrypted. Consultations are numbered per unit and year —
（2026）示调咨字第0001号 — with the same atomic counter as case numbers, so statistics count them
next to cases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from features.lawyers.models import (
    Consultation,
    ConsultationCounter,
    ConsultationMessage,
    LawyerProfile,
    LawyerRequest,
)
from mediation.replies import Msg, Reply
from services.delivery import Outgoing, staff_addresses, user_address
from storage.db import insert_for, session_dialect
from storage.models import StaffAccount, User

#: A consultation with no message for this long is closed when the person next writes.
IDLE_CLOSE = timedelta(hours=24)


def format_number(year: int, prefix: str, sequence: int) -> str:
    return f"（{year}）{prefix}咨字第{sequence:04d}号"


async def next_sequence(session: AsyncSession, unit_code: str, year: int) -> int:
    """Atomically the next consultation number of (unit, year) (INSERT … ON CONFLICT)."""
    dialect_insert = insert_for(session_dialect(session))
    stmt = (
        dialect_insert(ConsultationCounter)
        .values(unit_code=unit_code, year=year, last=1)
        .on_conflict_do_update(
            index_elements=["unit_code", "year"], set_={"last": ConsultationCounter.last + 1}
        )
        .returning(ConsultationCounter.last)
    )
    return int((await session.execute(stmt)).scalar_one())


async def start(
    session: AsyncSession,
    *,
    user_id: int,
    channel: str,
    language: str,
    unit_code: str,
    prefix: str,
    now: datetime,
    local_year: int,
) -> Consultation:
    number = format_number(local_year, prefix, await next_sequence(session, unit_code, local_year))
    consultation = Consultation(
        number=number,
        unit_code=unit_code,
        user_id=user_id,
        channel=channel,
        language=language,
        status="open",
        created_at=now,
        last_at=now,
    )
    session.add(consultation)
    await session.flush()
    return consultation


async def load_open(
    session: AsyncSession, consultation_id: int | None, now: datetime
) -> Consultation | None:
    """The consultation if still open; one idle for a day is closed here."""
    if consultation_id is None:
        return None
    consultation = await session.get(Consultation, consultation_id, with_for_update=True)
    if consultation is None or consultation.status != "open":
        return None
    if consultation.lawyer_id is None and now - consultation.last_at > IDLE_CLOSE:
        close(consultation, now)
        return None
    return consultation


def close(consultation: Consultation, now: datetime) -> None:
    consultation.status = "closed"
    consultation.closed_at = now


async def lawyer_of(
    session: AsyncSession, consultation: Consultation
) -> tuple[LawyerProfile, StaffAccount] | None:
    if consultation.lawyer_id is None:
        return None
    profile = await session.get(LawyerProfile, consultation.lawyer_id)
    staff = await session.get(StaffAccount, profile.staff_id) if profile else None
    return (profile, staff) if profile is not None and staff is not None else None


def _header(consultation: Consultation, label: str) -> Msg:
    return Msg("lawyers.consult_header", {"number": consultation.number, "label": Msg(label)})


async def person_says(
    session: AsyncSession,
    out: Outgoing,
    consultation: Consultation,
    text: str,
    now: datetime,
) -> bool:
    """Relay the person's text to the consultation's lawyer; False if no lawyer is reachable."""
    found = await lawyer_of(session, consultation)
    address = (await staff_addresses(session, [found[1]])).get(found[1].id) if found else None
    if address is None:
        return False
    session.add(
        ConsultationMessage(
            consultation_id=consultation.id, author="person", text=text, created_at=now
        )
    )
    consultation.last_at = now
    out.send(
        address,
        Reply(
            Msg(
                "lawyers.consult_relay",
                {"header": _header(consultation, "lawyers.person"), "text": text},
            )
        ),
    )
    return True


async def lawyer_says(
    session: AsyncSession,
    out: Outgoing,
    consultation: Consultation,
    text: str,
    now: datetime,
) -> None:
    user = await session.get_one(User, consultation.user_id)
    session.add(
        ConsultationMessage(
            consultation_id=consultation.id, author="lawyer", text=text, created_at=now
        )
    )
    consultation.last_at = now
    out.send(
        user_address(user),
        Reply(
            Msg(
                "lawyers.consult_relay",
                {"header": _header(consultation, "role.lawyer"), "text": text},
            )
        ),
    )


async def tell_person(
    session: AsyncSession, out: Outgoing, consultation: Consultation, reply: Reply
) -> None:
    user = await session.get_one(User, consultation.user_id)
    out.send(user_address(user), reply)


@dataclass(frozen=True)
class ConsultationCounts:
    """Consultations in a period, for statistics next to the case counts."""

    total: int
    open: int
    with_lawyer: int
    questions: int
    by_dispute_type: dict[str, int] = field(default_factory=dict)
    by_unit: dict[str, int] = field(default_factory=dict)


async def counts(
    session: AsyncSession, since: datetime | None = None, until: datetime | None = None
) -> ConsultationCounts:
    """How many consultations were started in [since, until), and what they were about."""
    conds = []
    if since is not None:
        conds.append(Consultation.created_at >= since)
    if until is not None:
        conds.append(Consultation.created_at < until)
    total, still_open, questions = (
        await session.execute(
            select(
                func.count(Consultation.id),
                func.count(Consultation.id).filter(Consultation.status == "open"),
                func.coalesce(func.sum(Consultation.questions), 0),
            ).where(*conds)
        )
    ).one()
    with_lawyer = (
        await session.execute(
            select(func.count(func.distinct(LawyerRequest.consultation_id)))
            .join(Consultation, Consultation.id == LawyerRequest.consultation_id)
            .where(LawyerRequest.status.in_(("accepted", "done")), *conds)
        )
    ).scalar_one()
    by_type = await session.execute(
        select(Consultation.dispute_type, func.count(Consultation.id))
        .where(*conds)
        .group_by(Consultation.dispute_type)
    )
    by_unit = await session.execute(
        select(Consultation.unit_code, func.count(Consultation.id))
        .where(*conds)
        .group_by(Consultation.unit_code)
    )
    return ConsultationCounts(
        total=int(total),
        open=int(still_open),
        with_lawyer=int(with_lawyer),
        questions=int(questions),
        by_dispute_type={str(k or "unknown"): int(v) for k, v in by_type},
        by_unit={str(k): int(v) for k, v in by_unit},
    )
