"""Dashboard figures that come from the lawyers' tables: consultations and response times.

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

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Case

#: (session, start, end, unit codes) → a count.
CountSource = Callable[
    [AsyncSession, datetime | None, datetime | None, frozenset[str]], Awaitable[int]
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

    async def consultations(
        session: AsyncSession, start: datetime | None, end: datetime | None, units: frozenset[str]
    ) -> int:
        query = select(func.count()).where(
            consultation.unit_code.in_(sorted(units)),
            *_period(consultation.created_at, start, end),
        )
        return int((await session.execute(query)).scalar_one())

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
