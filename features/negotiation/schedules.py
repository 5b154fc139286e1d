"""The payment schedule of accepted terms: created waiting for an effective agreement
(``effect.on_agreement_effective`` starts its timers), replaced when other terms are accepted.

Timers (``services.timers``) are rows: one per instalment and step, keyed
``pay:<instalment>:<step>:<days>`` so re-scheduling is idempotent.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from features.negotiation.effect import ACTIVE as ACTIVE_SCHEDULE
from features.negotiation.effect import PENDING as PENDING_SCHEDULE
from features.negotiation.models import PaymentInstalment, PaymentSchedule
from mediation.offers import OfferTerms
from mediation.performance import InstalmentStatus
from services.room import Room
from services.timers import cancel_timers
from storage.models import Timer


async def create_schedule(
    session: AsyncSession,
    room: Room,
    terms: OfferTerms,
    now: datetime,
    tz: ZoneInfo,
    *,
    offer_id: int | None = None,
    bidding_id: int | None = None,
) -> PaymentSchedule | None:
    """The schedule of the accepted terms (replacing an earlier one). It waits for an effective
    agreement (``effect.on_agreement_effective`` sets its timers): accepting an offer binds
    nobody yet (人民调解法 第二十九条、第三十条)."""
    await replace_schedules(session, room.case.id)
    plan = terms.schedule()
    if not plan:
        return None
    sched = PaymentSchedule(
        case_id=room.case.id,
        offer_id=offer_id,
        bidding_id=bidding_id,
        payer_side=terms.payer.value,
        total_fen=sum(i.fen for i in plan),
        status=PENDING_SCHEDULE,
        created_at=now,
    )
    session.add(sched)
    await session.flush()
    for seq, item in enumerate(plan, 1):
        inst = PaymentInstalment(
            schedule_id=sched.id,
            case_id=room.case.id,
            seq=seq,
            due_on=item.due,
            amount_fen=item.fen,
            status=InstalmentStatus.DUE.value,
        )
        session.add(inst)
    await session.flush()
    return sched


async def replace_schedules(session: AsyncSession, case_id: int) -> None:
    old = list(
        (
            await session.execute(
                select(PaymentInstalment)
                .join(PaymentSchedule, PaymentSchedule.id == PaymentInstalment.schedule_id)
                .where(
                    PaymentSchedule.case_id == case_id,
                    PaymentSchedule.status.in_((ACTIVE_SCHEDULE, PENDING_SCHEDULE)),
                )
            )
        ).scalars()
    )
    await cancel_pending(session, "pay", [i.id for i in old])
    for inst in old:
        if inst.status not in (InstalmentStatus.CONFIRMED.value,):
            inst.status = InstalmentStatus.CANCELLED.value
    await session.execute(
        update(PaymentSchedule)
        .where(
            PaymentSchedule.case_id == case_id,
            PaymentSchedule.status.in_((ACTIVE_SCHEDULE, PENDING_SCHEDULE)),
        )
        .values(status="replaced")
    )


async def cancel_pending(session: AsyncSession, prefix: str, ids: list[int]) -> None:
    """Cancel the timers still pending of each of ``ids``: an instalment's (``prefix`` "pay",
    ``effect.timer_key``) or an obligation's ("obl"), keyed ``<prefix>:<id>:<step>:<days>``."""
    keys: list[str] = []
    for item_id in ids:
        rows = await session.execute(
            select(Timer.key).where(
                Timer.key.like(f"{prefix}:{item_id}:%"), Timer.status == "pending"
            )
        )
        keys += list(rows.scalars())
    await cancel_timers(session, keys)
