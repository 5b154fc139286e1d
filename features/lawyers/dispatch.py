"""Lawyer requests: the first offer, widening by durable timer, accepting, declining, leaving.

A request is a row; each lawyer it was offered to is a row with their answer and response time.
Acceptance locks the request row, so of two lawyers pressing "accept" at once exactly one joins
and the other is told it was taken. Widening runs in a durable timer (``lawyer_widen``) so it
happens after a restart too; the timer re-arms itself for the moment the next lawyer's hours
begin, until someone accepts, the case ends, or the request is three days old.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from features.lawyers.models import Consultation, LawyerOffer, LawyerRequest
from features.lawyers.profiles import LawyerEntry, list_lawyers
from mediation.case_state import ACTIVE, CaseStatus
from mediation.lawyer_dispatch import Candidate, Stage, duty_wave, expected_at, widen
from mediation.masking import scrub_digits
from mediation.replies import Msg, Reply, button
from services.cases import add_event
from services.delivery import Address, Outgoing, staff_addresses, user_address
from services.outbox import QueuedMessage
from services.timers import cancel_timers, schedule
from storage.models import Case, StaffAccount, Timer, User

log = logging.getLogger(__name__)

TIMER_KIND = "lawyer_widen"
#: An unanswered request is given up after this long (the requester is told where else to go).
REQUEST_TTL = timedelta(days=3)
#: How often to look again when no lawyer's hours are known to begin.
IDLE_RECHECK = timedelta(hours=1)
_SYSTEM = Address("system", "-", "zh-CN")


def timer_key(request_id: int) -> str:
    return f"lawyer:{request_id}"


def when_msg(local: datetime) -> Msg:
    """A local time as people read it: 11月28日（周六）09:00."""
    return Msg(
        "lawyers.when",
        {
            "month": local.month,
            "day": local.day,
            "time": local.strftime("%H:%M"),
            "weekday": Msg(f"lawyers.weekday_{local.weekday()}"),
        },
    )


def expected_msg(expected: datetime | None, now_local: datetime) -> Msg:
    if expected is None:
        return Msg("lawyers.expected_unknown")
    if expected <= now_local:
        return Msg("lawyers.expected_now")
    return Msg("lawyers.expected_at", {"when": when_msg(expected)})


async def open_request(
    session: AsyncSession, *, case_id: int | None = None, consultation_id: int | None = None
) -> LawyerRequest | None:
    """The request of a case/consultation that is still waiting or has a lawyer."""
    stmt = select(LawyerRequest).where(LawyerRequest.status.in_(("open", "accepted")))
    if case_id is not None:
        stmt = stmt.where(LawyerRequest.case_id == case_id)
    else:
        stmt = stmt.where(LawyerRequest.consultation_id == consultation_id)
    return (await session.execute(stmt.order_by(LawyerRequest.id.desc()))).scalars().first()


async def _subject(session: AsyncSession, request: LawyerRequest) -> tuple[str, bool]:
    """The case or consultation number, and whether it is still going on."""
    if request.case_id is not None:
        case = await session.get(Case, request.case_id)
        if case is None:
            return "", False
        return case.number, CaseStatus(case.status) in ACTIVE
    consultation = await session.get(Consultation, request.consultation_id)
    if consultation is None:
        return "", False
    return consultation.number, consultation.status == "open"


async def requester_address(session: AsyncSession, request: LawyerRequest) -> Address | None:
    kind, _, ident = request.requested_by.partition(":")
    if kind == "user":
        user = await session.get(User, int(ident))
        return user_address(user) if user is not None else None
    staff = await session.get(StaffAccount, int(ident))
    return await staff_chat(session, staff) if staff is not None else None


async def staff_chat(session: AsyncSession, staff: StaffAccount) -> Address | None:
    """Where the chat reaches one staff member: their linked Telegram, else the browser chat of
    their account's phone (``services.delivery.staff_addresses``), so a lawyer or mediator who
    uses only the browser hears of their requests and consultations too."""
    return (await staff_addresses(session, [staff])).get(staff.id)


async def case_details(session: AsyncSession, request: LawyerRequest) -> Msg | str:
    """What a lawyer needs to decide on a case request: the claims, the amount and how the
    room is run (the request showed only the number and the type; issue 20). Digits that could
    be a phone are hidden, as in everything a lawyer reads from the room."""
    case = await session.get(Case, request.case_id) if request.case_id is not None else None
    if case is None:
        return ""
    return Msg(
        "lawyers.offer_details",
        {
            "claims": scrub_digits(case.claims),
            "amount": f"¥{case.amount:,.2f}" if case.amount is not None else Msg("lawyers.none"),
            "mode": Msg(f"room.mode_{case.room_mode}"),
        },
    )


def offer_reply(request: LawyerRequest, number: str, details: Msg | str = "") -> Reply:
    question = Msg("lawyers.offer_question", {"text": request.question}) if request.question else ""
    key = "lawyers.offer_case" if request.case_id is not None else "lawyers.offer_consultation"
    who = (
        Msg(f"role.{request.requester_role}")
        if request.requester_role != "person"
        else Msg("lawyers.person")
    )
    return Reply(
        Msg(
            key,
            {
                "number": number,
                "type": Msg(f"dispute.{request.dispute_type}"),
                "who": who,
                "question": question,
                "details": details,
            },
        ),
        buttons=(
            (
                button("lawyers.btn_accept", f"l:acc:{request.id}"),
                button("lawyers.btn_decline", f"l:dec:{request.id}"),
            ),
        ),
    )


async def _offer(
    session: AsyncSession,
    out: Outgoing,
    request: LawyerRequest,
    entries: dict[int, LawyerEntry],
    ids: tuple[int, ...],
    stage: Stage,
    now: datetime,
    number: str,
) -> None:
    """Offer rows for ``ids``, and the offer in each lawyer's chat: Telegram where linked, else
    the browser chat (one query for all of them), once per lawyer."""
    details = await case_details(session, request) if ids else ""
    addresses = await staff_addresses(session, [entries[i].staff for i in ids]) if ids else {}
    for lawyer_id in ids:
        entry = entries[lawyer_id]
        session.add(
            LawyerOffer(request_id=request.id, lawyer_id=lawyer_id, stage=stage, offered_at=now)
        )
        address = addresses.get(entry.staff.id)
        if address is not None:
            out.send(address, offer_reply(request, number, details))


@dataclass(frozen=True)
class Created:
    request: LawyerRequest
    offered: int
    expected: datetime | None


async def create_request(
    session: AsyncSession,
    out: Outgoing,
    *,
    now: datetime,
    tz: ZoneInfo,
    widen_after: timedelta,
    number: str,
    dispute_type: str,
    requested_by: str,
    requester_role: str,
    language: str,
    question: str | None,
    case_id: int | None = None,
    consultation_id: int | None = None,
) -> Created:
    """Record the request, offer it to the on-duty wave and arm the widening timer."""
    request = LawyerRequest(
        case_id=case_id,
        consultation_id=consultation_id,
        requested_by=requested_by,
        requester_role=requester_role,
        dispute_type=dispute_type,
        language=language,
        question=question,
        status="open",
        stage=Stage.DUTY.value,
        created_at=now,
    )
    session.add(request)
    await session.flush()
    entries = {e.profile.id: e for e in await list_lawyers(session)}
    candidates = [e.candidate() for e in entries.values()]
    local = now.astimezone(tz)
    wave = duty_wave(candidates, dispute_type, local, language=language)
    await _offer(session, out, request, entries, wave, Stage.DUTY, now, number)
    await schedule(
        session, timer_key(request.id), TIMER_KIND, now + widen_after, _payload(request, tz)
    )
    if case_id is not None:
        add_event(
            session,
            case_id,
            now,
            requested_by,
            kind="lawyer_requested",
            data={"request": request.id, "offered": len(wave)},
        )
    log.info("lawyer request %s: offered to %d on duty", request.id, len(wave))
    return Created(request, len(wave), expected_at(candidates, local))


async def cancel_request(
    session: AsyncSession, out: Outgoing, request: LawyerRequest, now: datetime, *, tell: bool
) -> None:
    """Give up a request (case ended, or nobody for three days); pending offers withdrawn."""
    request.status = "cancelled"
    request.closed_at = now
    offers = await session.execute(
        select(LawyerOffer).where(
            LawyerOffer.request_id == request.id, LawyerOffer.status == "offered"
        )
    )
    for offer in offers.scalars():
        offer.status = "withdrawn"
    await cancel_timers(session, [timer_key(request.id)])
    address = await requester_address(session, request) if tell else None
    if address is not None:
        out.send(address, Reply(Msg("lawyers.request_expired")))


def _payload(request: LawyerRequest, tz: ZoneInfo) -> dict[str, object]:
    """The widening timer's payload; it carries the time zone the rota is read in."""
    return {"request_id": request.id, "tz": tz.key}


async def widen_due(session: AsyncSession, timer: Timer, now: datetime) -> list[QueuedMessage]:
    """The ``lawyer_widen`` timer: offer to every available lawyer, then re-arm."""
    request = await session.get(
        LawyerRequest, int(timer.payload["request_id"]), with_for_update=True
    )
    out = Outgoing(_SYSTEM)
    if request is None or request.status != "open":
        return []
    tz = ZoneInfo(str(timer.payload["tz"]))
    number, going_on = await _subject(session, request)
    if not going_on or now - request.created_at >= REQUEST_TTL:
        await cancel_request(session, out, request, now, tell=going_on)
        return await out.flush(session)
    entries = {e.profile.id: e for e in await list_lawyers(session)}
    candidates = [e.candidate() for e in entries.values()]
    offered = await session.execute(
        select(LawyerOffer.lawyer_id).where(LawyerOffer.request_id == request.id)
    )
    local = now.astimezone(tz)
    plan = widen(candidates, local, frozenset(offered.scalars()), language=request.language)
    first = request.stage != Stage.WIDE.value
    request.stage = Stage.WIDE.value
    request.widened_at = request.widened_at or now
    await _offer(session, out, request, entries, plan.offer_to, Stage.WIDE, now, number)
    recheck = plan.recheck_at.astimezone(UTC) if plan.recheck_at else now + IDLE_RECHECK
    await schedule(session, timer_key(request.id), TIMER_KIND, recheck, _payload(request, tz))
    log.info("lawyer request %s widened: %d more offers", request.id, len(plan.offer_to))
    address = await requester_address(session, request) if first else None
    if address is not None:
        out.send(address, _widened_reply(plan.offer_to, candidates, local))
    return await out.flush(session)


def _widened_reply(offered: tuple[int, ...], candidates: list[Candidate], local: datetime) -> Reply:
    if offered:
        return Reply(Msg("lawyers.widened", {"count": len(offered)}))
    expected = expected_at(candidates, local)
    return Reply(
        Msg("lawyers.widened_none", {"expected": expected_msg(expected, local)}),
        buttons=((button("lawyers.btn_ask", "l:ask"),),),
    )


async def offer_for(
    session: AsyncSession, request_id: int, lawyer_id: int
) -> tuple[LawyerRequest | None, LawyerOffer | None]:
    request = await session.get(LawyerRequest, request_id, with_for_update=True)
    offer = (
        await session.execute(
            select(LawyerOffer)
            .where(LawyerOffer.request_id == request_id, LawyerOffer.lawyer_id == lawyer_id)
            .with_for_update()
        )
    ).scalar_one_or_none()
    return request, offer


def _seconds(since: datetime, now: datetime) -> int:
    return max(0, int((now - since).total_seconds()))


async def mark_accepted(
    session: AsyncSession,
    out: Outgoing,
    request: LawyerRequest,
    offer: LawyerOffer,
    now: datetime,
    number: str,
) -> None:
    """Record the acceptance and response times; tell the other lawyers it is taken."""
    request.status = "accepted"
    request.lawyer_id = offer.lawyer_id
    request.accepted_at = now
    request.wait_seconds = _seconds(request.created_at, now)
    offer.status = "accepted"
    offer.responded_at = now
    offer.response_seconds = _seconds(offer.offered_at, now)
    others = await session.execute(
        select(LawyerOffer).where(
            LawyerOffer.request_id == request.id,
            LawyerOffer.id != offer.id,
            LawyerOffer.status == "offered",
        )
    )
    pending = list(others.scalars())
    for other in pending:
        other.status = "taken"
    entries = await list_lawyers(session, only_ids=[o.lawyer_id for o in pending])
    addresses = await staff_addresses(session, [e.staff for e in entries]) if entries else {}
    for entry in entries:
        address = addresses.get(entry.staff.id)
        if address is not None:
            out.send(address, Reply(Msg("lawyers.offer_taken", {"number": number})))
    await cancel_timers(session, [timer_key(request.id)])
    log.info("lawyer request %s accepted after %ss", request.id, request.wait_seconds)


async def mark_declined(
    session: AsyncSession, request: LawyerRequest, offer: LawyerOffer, now: datetime, tz: ZoneInfo
) -> None:
    """Record a "not now"; when the whole first wave said no, widen at once."""
    offer.status = "declined"
    offer.responded_at = now
    offer.response_seconds = _seconds(offer.offered_at, now)
    await session.flush()
    if request.status != "open" or request.stage != Stage.DUTY.value:
        return
    waiting = await session.execute(
        select(LawyerOffer.id).where(
            LawyerOffer.request_id == request.id, LawyerOffer.status == "offered"
        )
    )
    if waiting.first() is None:
        await schedule(session, timer_key(request.id), TIMER_KIND, now, _payload(request, tz))


async def finish_request(
    session: AsyncSession,
    now: datetime,
    lawyer_id: int,
    *,
    case_id: int | None = None,
    consultation_id: int | None = None,
) -> None:
    """The lawyer left: their accepted request for this case/consultation is done."""
    request = await open_request(session, case_id=case_id, consultation_id=consultation_id)
    if request is not None and request.status == "accepted" and request.lawyer_id == lawyer_id:
        request.status = "done"
        request.closed_at = now
