"""What the street's pages and task cards read: a desk's tasks, their notes, who leads a case,
how many of its parties confirmed."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from features.street.models import StreetTask, StreetTaskNote
from mediation.street import StreetDirectory, TaskRole
from storage.models import Case, CaseParty


async def tasks_of_desks(
    session: AsyncSession, desk_codes: Sequence[str], *, open_only: bool = False
) -> list[tuple[StreetTask, Case]]:
    """Tasks of the given desks, those owed first, then by deadline."""
    if not desk_codes:
        return []
    stmt = (
        select(StreetTask, Case)
        .join(Case, Case.id == StreetTask.case_id)
        .where(StreetTask.desk_code.in_(list(desk_codes)))
        .order_by(StreetTask.deadline_at, StreetTask.id)
    )
    if open_only:
        stmt = stmt.where(StreetTask.status.in_(["assigned", "accepted"]))
    rows = [(t, c) for t, c in (await session.execute(stmt)).all()]
    owed = {"assigned", "accepted"}
    return sorted(rows, key=lambda r: r[0].status not in owed)


async def notes_of(
    session: AsyncSession, task_ids: Sequence[int]
) -> dict[int, list[StreetTaskNote]]:
    if not task_ids:
        return {}
    rows = await session.execute(
        select(StreetTaskNote)
        .where(StreetTaskNote.task_id.in_(list(task_ids)))
        .order_by(StreetTaskNote.at, StreetTaskNote.id)
    )
    found: dict[int, list[StreetTaskNote]] = {}
    for note in rows.scalars():
        found.setdefault(note.task_id, []).append(note)
    return found


async def lead_desk_name(session: AsyncSession, street: StreetDirectory, case_id: int) -> str:
    """The name of the desk leading the case (the newest lead task)."""
    code = (
        await session.execute(
            select(StreetTask.desk_code)
            .where(StreetTask.case_id == case_id, StreetTask.role == TaskRole.LEAD.value)
            .order_by(StreetTask.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    desk = street.by_code.get(code) if code else None
    return desk.name if desk is not None else (code or "")


async def tasks_of_case(session: AsyncSession, case_id: int) -> list[StreetTask]:
    rows = await session.execute(
        select(StreetTask).where(StreetTask.case_id == case_id).order_by(StreetTask.id)
    )
    return list(rows.scalars())


async def party_counts(
    session: AsyncSession, case_ids: Sequence[int]
) -> dict[int, tuple[int, int]]:
    """Per case: parties who confirmed (joined) and parties in all — what is still pending."""
    if not case_ids:
        return {}
    rows = await session.execute(
        select(CaseParty.case_id, CaseParty.status).where(CaseParty.case_id.in_(list(case_ids)))
    )
    counts: dict[int, tuple[int, int]] = {}
    for case_id, status in rows.all():
        joined, total = counts.get(case_id, (0, 0))
        counts[case_id] = (joined + (status == "joined"), total + 1)
    return counts
