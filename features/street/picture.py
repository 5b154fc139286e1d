"""The operations picture (issue 24 item 6): per street and per district, the cases of the unit
and every unit below it — how many, of which types, how many settled, the 化解率
(``mediation.street_joint.resolution_rate``: settled ÷ concluded), the tasks overdue now and the
open group disputes. The console's dashboard and the wall screen (大屏) read the same figures.

Why one pass over the cases: a district has a few thousand a year; reading (unit, type, status,
outcome) rows and counting in Python keeps the 口径 in one readable place.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from features.street.models import StreetMember, StreetReport, StreetTask
from mediation.staff_permissions import subtree
from mediation.street import TaskStatus, is_overdue
from mediation.street_joint import Outcome, concluded_as, resolution_rate
from mediation.units import UnitDirectory, UnitLevel
from storage.models import Case


@dataclass
class Figures:
    unit_code: str
    name: str
    level: str
    cases: int = 0
    open: int = 0
    settled: int = 0
    concluded: int = 0
    overdue_tasks: int = 0
    open_groups: int = 0
    high_risk: int = 0
    types: Counter[str] = field(default_factory=Counter)

    @property
    def rate(self) -> float | None:
        return resolution_rate(self.settled, self.concluded)

    def as_json(self) -> dict[str, object]:
        rate = self.rate
        return {
            "unit": self.unit_code,
            "name": self.name,
            "level": self.level,
            "cases": self.cases,
            "open": self.open,
            "settled": self.settled,
            "concluded": self.concluded,
            "rate": None if rate is None else round(rate * 100, 1),
            "overdue_tasks": self.overdue_tasks,
            "open_groups": self.open_groups,
            "high_risk": self.high_risk,
            "types": dict(self.types.most_common()),
        }


PICTURE_LEVELS = (UnitLevel.DISTRICT, UnitLevel.STREET)


async def picture(
    session: AsyncSession, units: UnitDirectory, visible: frozenset[str], now: datetime
) -> list[Figures]:
    """Figures for each district and street the viewer may see, districts first."""
    rows = await session.execute(
        select(Case.id, Case.unit_code, Case.dispute_type, Case.status, StreetReport.outcome)
        .outerjoin(StreetReport, StreetReport.case_id == Case.id)
        .where(Case.unit_code.in_(sorted(visible)))
    )
    cases = rows.all()
    groups = {
        cid for (cid,) in (await session.execute(select(StreetMember.case_id).distinct())).all()
    }
    raised = {
        cid
        for (cid,) in (
            await session.execute(
                select(Case.id).where(Case.unit_code.in_(sorted(visible)), Case.risk != "normal")
            )
        ).all()
    }
    tasks = await session.execute(
        select(StreetTask.case_id, StreetTask.status, StreetTask.deadline_at).where(
            StreetTask.status.in_([TaskStatus.ASSIGNED.value, TaskStatus.ACCEPTED.value])
        )
    )
    overdue = Counter(
        cid
        for cid, status, deadline in tasks.all()
        if is_overdue(TaskStatus(status), deadline, now)
    )
    out: list[Figures] = []
    for level in PICTURE_LEVELS:
        for unit in units.units:
            if unit.level is not level or unit.code not in visible:
                continue
            below = subtree(units, unit.code)
            fig = Figures(unit.code, unit.name, unit.level.value)
            for cid, unit_code, kind, status, outcome in cases:
                if unit_code not in below:
                    continue
                fig.cases += 1
                fig.types[kind] += 1
                ended = concluded_as(status, outcome)
                if ended is None:
                    fig.open += 1
                    fig.open_groups += cid in groups
                else:
                    fig.concluded += 1
                    fig.settled += ended is Outcome.SETTLED
                fig.overdue_tasks += overdue.get(cid, 0)
                fig.high_risk += cid in raised
            out.append(fig)
    return out
