"""Response-time bookkeeping for stations: how fast lawyers answer and parties get one.

Two clocks are kept (see features.lawyers.models): per offer, from the offer to the lawyer's
answer (``response_seconds``); per request, from the party's request to acceptance
(``wait_seconds``). This module summarises them for the console and ``main.py lawyer report``.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from features.lawyers.models import LawyerOffer, LawyerProfile, LawyerRequest
from mediation.lawyer_dispatch import response_stats
from storage.models import StaffAccount


async def request_report(session: AsyncSession, since: datetime | None = None) -> dict[str, Any]:
    """Requests by status, time to acceptance, and each lawyer's answers since ``since``."""
    req_cond = [LawyerRequest.created_at >= since] if since is not None else []
    statuses = await session.execute(
        select(LawyerRequest.status, func.count(LawyerRequest.id))
        .where(*req_cond)
        .group_by(LawyerRequest.status)
    )
    waits = await session.execute(
        select(LawyerRequest.wait_seconds).where(LawyerRequest.wait_seconds.is_not(None), *req_cond)
    )
    offer_cond = [LawyerOffer.offered_at >= since] if since is not None else []
    offers = await session.execute(
        select(
            StaffAccount.username,
            LawyerOffer.status,
            LawyerOffer.response_seconds,
        )
        .join(LawyerProfile, LawyerProfile.id == LawyerOffer.lawyer_id)
        .join(StaffAccount, StaffAccount.id == LawyerProfile.staff_id)
        .where(*offer_cond)
    )
    per_lawyer: dict[str, dict[str, Any]] = {}
    seconds: dict[str, list[int]] = {}
    for username, status, answered in offers:
        row = per_lawyer.setdefault(username, {"offers": 0})
        row["offers"] += 1
        row[status] = row.get(status, 0) + 1
        if answered is not None:
            seconds.setdefault(username, []).append(answered)
    for username, row in per_lawyer.items():
        row["response_seconds"] = asdict(response_stats(seconds.get(username, [])))
    return {
        "requests": {str(s): int(n) for s, n in statuses},
        "wait_seconds": asdict(response_stats(w for w in waits.scalars() if w is not None)),
        "lawyers": per_lawyer,
    }
