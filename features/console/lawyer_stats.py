"""Dashboard figures that come from the lawyers' tables: consultations and response times.

法律咨询 (issue 20: "0" after two /ask questions, because only consultation sessions were
counted) is what the logs show was asked: the assistant's answers (``assistant_questions``)
plus the requests for a lawyer (``lawyer_requests``), in the period. Each belongs to the unit
of its case or consultation; a question asked outside both (a bare ``/ask``) belongs to the
default unit, which takes what nothing routes elsewhere.

Why a separate module, imported only when those tables exist: the lawyer and assistant
features are built alongside the console; until ``features.lawyers.models`` is present the
dashboard says "not tracked yet" instead of showing zeros. :func:`sources` returns ``None``
for each figure whose table is missing.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal, null, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Case

#: (session, start, end, unit codes, the default unit) → (assistant answers, lawyer requests).
CountSource = Callable[
    [AsyncSession, datetime | None, datetime | None, frozenset[str], str],
    Awaitable[tuple[int, int]],
]
#: (session, start, end, unit codes) → (accepted requests, mean seconds to acceptance or None).
WaitSource = Callable[
    [AsyncSession, datetime | None, datetime | None, frozenset[str]],
    Awaitable[tuple[int, float | None]],
]


def _period(column: Any, start: datetime | None, end: datetime | None) -> list[Any]:
    conds = []
    if start is not None:
        conds.append(column >= start)
    if end is not None:
        conds.append(column < end)
    return conds


def sources() -> tuple[CountSource | None, WaitSource | None]:
    try:
        models = importlib.import_module("features.lawyers.models")
    except ImportError:
        return None, None
    consultation = models.Consultation
    request = models.LawyerRequest

    question = models.AssistantQuestion

    async def consultations(
        session: AsyncSession,
        start: datetime | None,
        end: datetime | None,
        units: frozenset[str],
        default_unit: str,
    ) -> tuple[int, int]:
        in_units = sorted(units)
        unit = func.coalesce(
            Case.unit_code,
            consultation.unit_code,
            literal(default_unit) if default_unit in units else null(),
        )
        answers = (
            select(func.count())
            .select_from(question)
            .outerjoin(Case, Case.id == question.case_id)
            .outerjoin(consultation, consultation.id == question.consultation_id)
            .where(unit.in_(in_units), *_period(question.created_at, start, end))
        )
        asked = (
            select(func.count())
            .select_from(request)
            .outerjoin(Case, Case.id == request.case_id)
            .outerjoin(consultation, consultation.id == request.consultation_id)
            .where(
                or_(Case.unit_code.in_(in_units), consultation.unit_code.in_(in_units)),
                *_period(request.created_at, start, end),
            )
        )
        a = int((await session.execute(answers)).scalar_one())
        b = int((await session.execute(asked)).scalar_one())
        return a, b

    async def lawyer_wait(
        session: AsyncSession, start: datetime | None, end: datetime | None, units: frozenset[str]
    ) -> tuple[int, float | None]:
        """Requests (in a case or a consultation of the units) a lawyer accepted, and how long
        the person waited on average."""
        in_units = sorted(units)
        query = (
            select(func.count(), func.avg(request.wait_seconds))
            .select_from(request)
            .outerjoin(Case, Case.id == request.case_id)
            .outerjoin(consultation, consultation.id == request.consultation_id)
            .where(
                request.wait_seconds.is_not(None),
                or_(Case.unit_code.in_(in_units), consultation.unit_code.in_(in_units)),
                *_period(request.created_at, start, end),
            )
        )
        count, mean = (await session.execute(query)).one()
        return int(count), float(mean) if mean is not None else None

    return consultations, lawyer_wait
