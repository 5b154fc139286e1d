"""Non-money undertakings tracked like payments (issue 23): "修复 天花板 2027-03-20".

An accepted offer's undertakings become rows (``waiting``) next to its payment schedule; when
an agreement takes effect (``effect.on_agreement_effective``) they are ``due`` and those with a
day get their own durable timers — reminders three and one days before, and the morning after
an overdue check that tells both sides and the mediator and raises a console alert. The obliged
side presses "已完成"; the other side confirms, or says it is not done (人民调解法 第三十一条:
the committee supervises performance of what was agreed, not only of money).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from features.negotiation.common import (
    action_params,
    mediator_members,
    member_side,
    send_to,
    side_members,
)
from features.negotiation.models import Obligation
from features.negotiation.schedules import cancel_pending
from features.negotiation.trail import alert_obligation
from mediation.offers import OfferTerms, Side
from mediation.performance import (
    ObligationStatus,
    TimerStep,
    obligation_answer,
    obligation_done,
    obligation_timeline,
)
from mediation.replies import Msg, Reply, button, reply
from services.cases import add_event
from services.delivery import Address, Outgoing
from services.outbox import QueuedMessage
from services.room import Room, load_room
from services.timers import schedule
from services.turn import Turn
from storage.models import Timer

TIMER_KIND = "negotiation.obligation"
OPEN = (ObligationStatus.WAITING.value, ObligationStatus.DUE.value, ObligationStatus.DONE.value)
OPEN_OR_LATE = (*OPEN, ObligationStatus.OVERDUE.value)


def _key(ob_id: int, step: str, days: int) -> str:
    return f"obl:{ob_id}:{step}:{days}"


def _data(ob: Obligation) -> dict[str, Any]:
    """What the timeline and the alerts show (the console names the kind in its language)."""
    return {
        "kind": ob.kind,
        "detail": ob.detail,
        "date": ob.due_on.isoformat() if ob.due_on else "",
    }


def _event(session: AsyncSession, ob: Obligation, *, kind: str, actor: str, at: datetime) -> None:
    add_event(session, ob.case_id, at, actor, kind=kind, data=_data(ob))


def _what(ob: Obligation) -> Msg:
    return Msg("negotiation.obligation_what", action_params(ob.kind, ob.detail, ob.due_on))


async def create(
    session: AsyncSession, case_id: int, terms: OfferTerms, now: datetime, offer_id: int | None
) -> None:
    """The undertakings of newly accepted terms (replacing earlier ones), waiting for an
    effective agreement."""
    old = list(
        (
            await session.execute(
                select(Obligation).where(
                    Obligation.case_id == case_id, Obligation.status.in_(OPEN_OR_LATE)
                )
            )
        ).scalars()
    )
    await cancel_pending(session, "obl", [o.id for o in old])
    for ob in old:
        ob.status = ObligationStatus.CANCELLED.value
    for seq, action in enumerate(terms.actions, 1):
        session.add(
            Obligation(
                case_id=case_id,
                offer_id=offer_id,
                seq=seq,
                kind=action.kind.value,
                detail=action.detail,
                obliged_side=terms.payer.value,
                due_on=action.deadline,
                status=ObligationStatus.WAITING.value,
                created_at=now,
            )
        )
    await session.flush()


async def activate(
    session: AsyncSession, room: Room, now: datetime, tz: ZoneInfo, out: Outgoing
) -> None:
    """The agreement took effect: the waiting undertakings are due, with their timers; the
    obliged side gets each with its "done" button."""
    rows = list(
        (
            await session.execute(
                select(Obligation)
                .where(
                    Obligation.case_id == room.case.id,
                    Obligation.status == ObligationStatus.WAITING.value,
                )
                .order_by(Obligation.seq)
            )
        ).scalars()
    )
    for ob in rows:
        ob.status = ObligationStatus.DUE.value
        _event(session, ob, kind="obligation_tracking_started", actor="system", at=now)
        if ob.due_on is not None:
            for step in obligation_timeline(ob.due_on, tz, now):
                await schedule(
                    session,
                    _key(ob.id, step.step.value, step.days_before),
                    TIMER_KIND,
                    step.at,
                    {"obligation": ob.id, "step": step.step.value, "days": step.days_before},
                )
        for m in side_members(room, Side(ob.obliged_side)):
            address = room.addresses.get(m.id)
            if address is not None:
                out.send(address, _done_prompt(room, ob, "negotiation.obligation_started"))


def _done_prompt(room: Room, ob: Obligation, key: str, **extra: object) -> Reply:
    return Reply(
        Msg(key, {"number": room.case.number, "what": _what(ob), **extra}),
        buttons=((button("negotiation.btn_obligation_done", f"ng:od:{ob.id}"),),),
    )


def _answer_prompt(room: Room, ob: Obligation) -> Reply:
    return Reply(
        Msg("negotiation.obligation_confirm", {"number": room.case.number, "what": _what(ob)}),
        buttons=(
            (
                button("negotiation.btn_obligation_yes", f"ng:oc:{ob.id}"),
                button("negotiation.btn_obligation_no", f"ng:ox:{ob.id}"),
            ),
        ),
    )


async def _load(turn: Turn, ob_id: int) -> tuple[Obligation, Room] | None:
    ob = await turn.session.get(Obligation, ob_id, with_for_update=True)
    room = await load_room(turn.session, ob.case_id, lock=True) if ob else None
    if ob is None or room is None:
        return None
    return ob, room


async def mark_done(turn: Turn, user_id: int, ob_id: int) -> list[Reply]:
    """The obliged side says the undertaking is done: the other side is asked to confirm."""
    found = await _load(turn, ob_id)
    if found is None:
        return [reply("bot.stale_button")]
    ob, room = found
    member = room.of_user(user_id)
    if member is None or member_side(member) is not Side(ob.obliged_side):
        return [reply("negotiation.not_obliged")]
    new = obligation_done(ObligationStatus(ob.status))
    if new is None:
        return [reply("negotiation.obligation_recorded", what=_what(ob))]
    ob.status, ob.done_at = new.value, turn.now
    _event(turn.session, ob, kind="obligation_done", actor=f"member:{member.id}", at=turn.now)
    other = side_members(room, Side(ob.obliged_side).other)
    send_to(turn, room, other, _answer_prompt(room, ob))
    notice = Reply(
        Msg("negotiation.obligation_done_staff", {"number": room.case.number, "what": _what(ob)})
    )
    send_to(turn, room, mediator_members(room), notice)
    return [reply("negotiation.obligation_done_ok", what=_what(ob))]


async def answer(turn: Turn, user_id: int, ob_id: int, *, confirmed: bool) -> list[Reply]:
    """The other side confirms the undertaking is done, or says it is not."""
    found = await _load(turn, ob_id)
    if found is None:
        return [reply("bot.stale_button")]
    ob, room = found
    member = room.of_user(user_id)
    if member is None or member_side(member) is not Side(ob.obliged_side).other:
        return [reply("negotiation.not_obligee")]
    today = turn.now.astimezone(turn.settings.tz).date()
    late = ob.due_on is not None and ob.due_on < today
    new = obligation_answer(ObligationStatus(ob.status), confirmed=confirmed, late=late)
    if new is None:
        return [reply("negotiation.obligation_recorded", what=_what(ob))]
    ob.status = new.value
    actor = f"member:{member.id}"
    if confirmed:
        ob.confirmed_at = turn.now
        _event(turn.session, ob, kind="obligation_confirmed", actor=actor, at=turn.now)
        await cancel_pending(turn.session, "obl", [ob.id])
        key = "negotiation.obligation_confirmed_notice"
    else:
        _event(turn.session, ob, kind="obligation_disputed", actor=actor, at=turn.now)
        key = "negotiation.obligation_disputed_notice"
    obliged = side_members(room, Side(ob.obliged_side))
    notice = Reply(Msg(key, {"number": room.case.number, "what": _what(ob)}))
    send_to(turn, room, [*obliged, *mediator_members(room)], notice)
    return [reply("negotiation.obligation_answered", what=_what(ob))]


async def status_lines(session: AsyncSession, case_id: int) -> list[Msg]:
    rows = await session.execute(
        select(Obligation)
        .where(Obligation.case_id == case_id, Obligation.status != ObligationStatus.CANCELLED.value)
        .order_by(Obligation.seq)
    )
    return [
        Msg(
            "negotiation.obligation_line",
            {"what": _what(ob), "status": Msg(f"negotiation.obligation_{ob.status}")},
        )
        for ob in rows.scalars()
    ]


_SYSTEM = Address("system", "-", "zh-CN")


async def on_timer(session: AsyncSession, timer: Timer, now: datetime) -> list[QueuedMessage]:
    """A reminder before the day, or the overdue check the morning after; nothing when the
    undertaking was confirmed, replaced, or the agreement is no longer in force."""
    from features.negotiation.effect import effective_agreement

    ob = await session.get(Obligation, int(timer.payload["obligation"]), with_for_update=True)
    room = await load_room(session, ob.case_id, lock=True) if ob else None
    if ob is None or room is None or room.case.status != "agreed":
        return []
    if await effective_agreement(session, room.case.id) is None:
        return []
    out = Outgoing(_SYSTEM)
    status = ObligationStatus(ob.status)
    step = TimerStep(timer.payload["step"])
    obliged = side_members(room, Side(ob.obliged_side))
    other = side_members(room, Side(ob.obliged_side).other)
    if step is TimerStep.REMIND and status is ObligationStatus.DUE:
        days = int(timer.payload.get("days", 0))
        prompt = _done_prompt(room, ob, "negotiation.obligation_remind", days=days)
        _send(out, room, obliged, prompt)
        _event(session, ob, kind="obligation_reminded", actor="system", at=now)
    elif step is TimerStep.MISSED and status is ObligationStatus.DUE:
        ob.status = ObligationStatus.OVERDUE.value
        params = {"number": room.case.number, "what": _what(ob)}
        _send(out, room, obliged, _done_prompt(room, ob, "negotiation.obligation_overdue_obliged"))
        _send(out, room, other, Reply(Msg("negotiation.obligation_overdue_other", params)))
        staff = Reply(Msg("negotiation.obligation_overdue_staff", params))
        _send(out, room, mediator_members(room), staff)
        _event(session, ob, kind="obligation_overdue", actor="system", at=now)
        alert_obligation(session, room.case, _data(ob), at=now)
    elif step is TimerStep.MISSED and status is ObligationStatus.DONE:
        _send(out, room, other, _answer_prompt(room, ob))
    else:
        return []
    return await out.flush(session)


def _send(out: Outgoing, room: Room, members: list[Any], reply_: Reply) -> None:
    for m in members:
        address = room.addresses.get(m.id)
        if address is not None:
            out.send(address, reply_)
