"""Performance tracking (履行监督, 回访): the payment schedule from the agreed terms (tracked
once an agreement is effective, ``features.negotiation.effect``), durable reminders before each
due date, "I paid" / "received" / "not received", transfer records as
evidence, missed-payment escalation, and the 回访记录 when everything is paid.

Timers (``services.timers``) are rows: one per instalment and step, keyed
``pay:<instalment>:<step>:<days>`` so re-scheduling is idempotent; each fires once, in the same
transaction as the reminder it writes to the outbox. A handler re-reads the instalment, so a
payment confirmed in the meantime silences the reminder (人民调解法 第三十一条: the committee
urges performance; it does not nag someone who has paid).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from features.negotiation.common import (
    lock_room,
    mediator_members,
    member_side,
    money,
    send_to,
    side_label,
    side_members,
)
from features.negotiation.effect import ACTIVE as ACTIVE_SCHEDULE
from features.negotiation.effect import PENDING as PENDING_SCHEDULE
from features.negotiation.effect import TIMER_KIND, effective_agreement, schedule_lines, timer_key
from features.negotiation.models import (
    FollowUp,
    PaymentInstalment,
    PaymentSchedule,
)
from features.negotiation.schedules import cancel_pending
from features.negotiation.trail import payment_step
from mediation.offers import Side
from mediation.performance import (
    SETTLED,
    SILENCE_DAYS,
    InstalmentStatus,
    TimerStep,
    after_confirm,
    after_dispute,
    after_mark_paid,
    complete,
)
from mediation.replies import Msg, Reply, button, reply
from services.room import Room, load_room
from services.timers import schedule
from services.turn import Turn
from storage.models import CaseMember

#: Case statuses in which reminders make sense: the agreement is in effect and not yet
#: performed (``closed`` follows performance).
LIVE_STATUSES = frozenset({"agreed"})


# ---------------------------------------------------------------------------- messages


def _inst_params(room: Room, inst: PaymentInstalment, sched: PaymentSchedule) -> dict[str, Any]:
    return {
        "number": room.case.number,
        "n": inst.seq,
        "amount": money(inst.amount_fen),
        "date": inst.due_on.isoformat(),
        "payer": side_label(sched.payer_side),
        "payee": side_label(Side(sched.payer_side).other),
    }


def paid_button(inst: PaymentInstalment) -> tuple[Any, ...]:
    return (
        button("negotiation.btn_paid", f"ng:pd:{inst.id}"),
        button("negotiation.btn_upload", f"ng:pu:{inst.id}"),
    )


def receipt_buttons(inst: PaymentInstalment) -> tuple[tuple[Any, ...], ...]:
    return (
        (
            button("negotiation.btn_received", f"ng:pc:{inst.id}"),
            button("negotiation.btn_not_received", f"ng:px:{inst.id}"),
        ),
        (button("negotiation.btn_upload", f"ng:pu:{inst.id}"),),
    )


async def _load(
    session: AsyncSession, instalment_id: int, *, lock: bool = True
) -> tuple[PaymentInstalment, PaymentSchedule, Room] | None:
    inst = await session.get(PaymentInstalment, instalment_id, with_for_update=lock)
    if inst is None:
        return None
    sched = await session.get_one(PaymentSchedule, inst.schedule_id)
    room = await (lock_room(session, inst.case_id) if lock else load_room(session, inst.case_id))
    if room is None:
        return None
    return inst, sched, room


async def _pressed_by(
    turn: Turn, user_id: int, instalment_id: int, *, payer: bool
) -> tuple[PaymentInstalment, PaymentSchedule, Room, CaseMember] | Reply:
    """The instalment, its schedule and room, and the member pressing its button, who must be
    on the paying side (``payer``) or the receiving one; else the reply that says why not."""
    loaded = await _load(turn.session, instalment_id)
    if loaded is None:
        return reply("bot.stale_button")
    inst, sched, room = loaded
    member = room.of_user(user_id)
    payer_side = Side(sched.payer_side)
    if member is None or member_side(member) is not (payer_side if payer else payer_side.other):
        return reply("negotiation.not_payer" if payer else "negotiation.not_payee")
    return inst, sched, room, member


@dataclass(frozen=True)
class _Recorded:
    """A person's step on an instalment, recorded: what their replies are made of."""

    inst: PaymentInstalment
    sched: PaymentSchedule
    room: Room
    params: dict[str, Any]


async def _record_step(
    turn: Turn,
    user_id: int,
    instalment_id: int,
    *,
    payer: bool,
    rule: Callable[[InstalmentStatus], InstalmentStatus | None],
    kind: str,
    tracked_only: bool = True,
    evidence_id: int | None = None,
) -> _Recorded | list[Reply]:
    """The button's presser checked (``_pressed_by``), the instalment moved on by ``rule`` and
    the step written to both histories (``payment_step``, as ``kind``); else the replies that
    say why not (an untracked schedule when ``tracked_only``, a step already recorded)."""
    found = await _pressed_by(turn, user_id, instalment_id, payer=payer)
    if isinstance(found, Reply):
        return [found]
    inst, sched, room, member = found
    if tracked_only and sched.status == PENDING_SCHEDULE:
        return [await not_tracked(turn, room)]
    params = _inst_params(room, inst, sched)
    new = rule(InstalmentStatus(inst.status))
    if new is None:
        return [reply("negotiation.already_recorded", **params)]
    inst.status = new.value
    payment_step(
        turn.session,
        inst,
        kind=kind,
        actor=f"member:{member.id}",
        at=turn.now,
        evidence_id=evidence_id,
    )
    return _Recorded(inst, sched, room, params)


# ---------------------------------------------------------------------------- people


async def not_tracked(turn: Turn, room: Room) -> Reply:
    """Why a waiting schedule is not tracked: no agreement in effect yet, or one that states
    other payments than the accepted offer (``effect.on_agreement_effective``)."""
    if await effective_agreement(turn.session, room.case.id) is not None:
        return reply("negotiation.plan_not_in_agreement", number=room.case.number)
    return reply("negotiation.not_effective", number=room.case.number)


async def open_instalments(
    session: AsyncSession, case_id: int
) -> list[tuple[PaymentInstalment, PaymentSchedule]]:
    """The instalments of the case's current schedule (active, or completed when all is paid)."""
    sched = (
        await session.execute(
            select(PaymentSchedule)
            .where(
                PaymentSchedule.case_id == case_id,
                PaymentSchedule.status.in_((PENDING_SCHEDULE, ACTIVE_SCHEDULE, "completed")),
            )
            .order_by(PaymentSchedule.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if sched is None:
        return []
    rows = await session.execute(
        select(PaymentInstalment)
        .where(PaymentInstalment.schedule_id == sched.id)
        .order_by(PaymentInstalment.seq)
    )
    return [(i, sched) for i in rows.scalars()]


async def paid_command(turn: Turn, room: Room, user_id: int) -> list[Reply]:
    """``/paid``: the payer's next unsettled instalment is marked paid."""
    member = room.of_user(user_id)
    rows = await open_instalments(turn.session, room.case.id)
    if not rows:
        return [reply("negotiation.no_schedule", number=room.case.number)]
    sched = rows[0][1]
    if member is None or member_side(member) is not Side(sched.payer_side):
        return [reply("negotiation.not_payer")]
    if sched.status == PENDING_SCHEDULE:
        return [await not_tracked(turn, room)]
    pending = [
        i
        for i, _ in rows
        if i.status not in {s.value for s in SETTLED}
        and i.status != InstalmentStatus.MARKED_PAID.value
    ]
    if not pending:
        return [reply("negotiation.nothing_due")]
    return await mark_paid(turn, user_id, pending[0].id)


async def mark_paid(turn: Turn, user_id: int, instalment_id: int) -> list[Reply]:
    done = await _record_step(
        turn, user_id, instalment_id, payer=True, rule=after_mark_paid, kind="payment_marked_paid"
    )
    if isinstance(done, list):
        return done
    inst, sched, room, params = done.inst, done.sched, done.room, done.params
    inst.marked_paid_at = turn.now
    # If the payee stays silent, the payer is told and the mediator asked to check.
    await schedule(
        turn.session,
        timer_key(inst.id, TimerStep.SILENCE.value, SILENCE_DAYS),
        TIMER_KIND,
        turn.now + timedelta(days=SILENCE_DAYS),
        {
            "instalment": inst.id,
            "step": TimerStep.SILENCE.value,
            "days": SILENCE_DAYS,
            "tz": turn.settings.tz.key,
        },
    )
    payee = side_members(room, Side(sched.payer_side).other)
    send_to(
        turn,
        room,
        payee,
        Reply(Msg("negotiation.payee_confirm", params), buttons=receipt_buttons(inst)),
    )
    send_to(turn, room, mediator_members(room), Reply(Msg("negotiation.marked_paid_staff", params)))
    return [
        Reply(
            Msg("negotiation.marked_paid_ok", params),
            buttons=((button("negotiation.btn_upload", f"ng:pu:{inst.id}"),),),
        )
    ]


async def confirm(
    turn: Turn, user_id: int, instalment_id: int, *, evidence_id: int | None = None
) -> list[Reply]:
    """The payee confirms receipt (or uploaded a transfer record)."""
    done = await _record_step(
        turn,
        user_id,
        instalment_id,
        payer=False,
        rule=after_confirm,
        kind="payment_confirmed",
        evidence_id=evidence_id,
    )
    if isinstance(done, list):
        return done
    inst, sched, room, params = done.inst, done.sched, done.room, done.params
    inst.confirmed_at = turn.now
    await cancel_pending(turn.session, "pay", [inst.id])
    payer = side_members(room, Side(sched.payer_side))
    send_to(
        turn,
        room,
        [*payer, *mediator_members(room)],
        Reply(Msg("negotiation.confirmed_notice", params)),
    )
    replies = [reply("negotiation.confirmed_ok", **params)]
    rows = await open_instalments(turn.session, room.case.id)
    if complete(InstalmentStatus(i.status) for i, _ in rows):
        replies += await _completed(turn, room, sched, rows)
    return replies


async def _completed(
    turn: Turn, room: Room, sched: PaymentSchedule, rows: list[tuple[PaymentInstalment, Any]]
) -> list[Reply]:
    """Everything paid: the schedule is done and the 回访记录 is started (第三十一条)."""
    sched.status, sched.completed_at = "completed", turn.now
    lines = "；".join(
        f"第{i.seq}期 {money(i.amount_fen)}（约定{i.due_on.isoformat()}）于"
        f"{(i.confirmed_at or turn.now).astimezone(turn.settings.tz).date().isoformat()}确认收到"
        for i, _ in rows
        if i.status == InstalmentStatus.CONFIRMED.value
    )
    turn.session.add(
        FollowUp(
            case_id=room.case.id,
            schedule_id=sched.id,
            visited_on=turn.now.astimezone(turn.settings.tz).date(),
            method="线上（履行跟踪）",
            performance=f"已全部履行：合计{money(sched.total_fen)}。{lines}。",
            created_at=turn.now,
        )
    )
    params = {"number": room.case.number, "amount": money(sched.total_fen)}
    send_to(turn, room, mediator_members(room), Reply(Msg("negotiation.complete_mediator", params)))
    others = [m for m in room.present() if member_side(m) is not None]
    send_to(turn, room, others, Reply(Msg("negotiation.complete_parties", params)))
    return []


async def dispute(turn: Turn, user_id: int, instalment_id: int) -> list[Reply]:
    done = await _record_step(
        turn,
        user_id,
        instalment_id,
        payer=False,
        rule=after_dispute,
        kind="payment_disputed",
        tracked_only=False,  # as before: "not received" is heard whatever the schedule
    )
    if isinstance(done, list):
        return done
    sched, room, params = done.sched, done.room, done.params
    payer = side_members(room, Side(sched.payer_side))
    send_to(
        turn,
        room,
        [*payer, *mediator_members(room)],
        Reply(Msg("negotiation.disputed_notice", params)),
    )
    return [reply("negotiation.disputed_ok", **params)]


async def status_reply(turn: Turn, room: Room) -> list[Reply]:
    """``/payments``: the schedule and where each instalment stands."""
    rows = await open_instalments(turn.session, room.case.id)
    if not rows:
        return [reply("negotiation.no_schedule", number=room.case.number)]
    lines = schedule_lines(i for i, _ in rows)
    sched = rows[0][1]
    head = []
    if sched.status == PENDING_SCHEDULE:
        head = [await not_tracked(turn, room)]
    return [
        *head,
        reply(
            "negotiation.schedule",
            number=room.case.number,
            lines=lines,
            payer=side_label(sched.payer_side),
            total=money(sched.total_fen),
        ),
    ]
