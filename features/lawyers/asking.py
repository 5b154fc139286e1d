"""What parties, people in a consultation and mediators do: ask the assistant, ask for a lawyer.

``/ask`` in a case answers privately from the knowledge base (the room does not see it);
``/ask`` without a case starts a consultation (咨询) in which every message is a question.
``/lawyer`` asks for a lawyer for the case (a party or its mediator) or for the consultation.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import event

from features.lawyers import assistant, consultations, dispatch, llm
from features.lawyers.context import ASK_NEXT, CONSULT, AskNext, context_of
from features.lawyers.models import AssistantQuestion, Consultation
from features.lawyers.settings import LawyerSettings
from mediation import intake
from mediation import invitations as inv
from mediation.replies import Button, Msg, Reply, button, reply
from mediation.room import Role
from mediation.validation import InvalidInput, clean_text
from services import mediators
from services.features import Who
from services.room import Room, tell_mediators
from services.turn import Turn, active_room, member_cases
from storage.models import CaseMember

log = logging.getLogger(__name__)

ASK_BUTTON = button("lawyers.btn_ask", "l:ask")
LAWYER_BUTTON = button("lawyers.btn_lawyer", "l:req")
END_BUTTON = button("lawyers.btn_end_consult", "l:end")


def _question(text: str) -> str:
    return clean_text(text, max_len=500, min_len=2)


def lawyer_present(room: Room) -> bool:
    return any(m.role == Role.LAWYER.value for m in room.present())


def _after_commit(turn: Turn, start: Callable[[], None]) -> None:
    """Run ``start`` once this turn's transaction has committed (never if it rolls back)."""
    loop = asyncio.get_running_loop()
    event.listen(
        turn.session.sync_session,
        "after_commit",
        lambda _session: loop.call_soon_threadsafe(start),
        once=True,
    )


async def answer(
    turn: Turn,
    question: str,
    *,
    dispute_type: str | None,
    case_id: int | None = None,
    consultation: Consultation | None = None,
    buttons: tuple[tuple[Button, ...], ...] = (),
) -> list[Reply]:
    """The assistant's answer now; the LLM's phrasing after commit, when configured."""
    ctx = context_of(turn.shared)
    if ctx is None or ctx.kb is None:
        return [reply("lawyers.assistant_unavailable")]
    try:
        result = await assistant.answer(ctx.kb, question, dispute_type=dispute_type)
    except Exception:
        log.exception("the knowledge base could not answer")
        return [reply("lawyers.assistant_unavailable")]
    if not ctx.kb.status().keyword_ready:
        return [reply("lawyers.assistant_unavailable")]
    use_llm = ctx.settings.llm_enabled and bool(result.articles)
    row = AssistantQuestion(
        case_id=case_id,
        consultation_id=consultation.id if consultation else None,
        user_id=turn.conv.user_id,
        question=question,
        dispute_type=result.dispute_type,
        citations=result.citations,
        cases=[c.title for c in result.cases],
        llm="pending" if use_llm else "none",
        latency_ms=result.latency_ms,
        created_at=turn.now,
    )
    turn.session.add(row)
    await turn.session.flush()
    if consultation is not None:
        consultation.questions += 1
        consultation.last_at = turn.now
        consultation.dispute_type = consultation.dispute_type or result.dispute_type
    if use_llm:
        address = turn.out.sender
        row_id = row.id
        _after_commit(turn, lambda: ctx.spawn(llm.follow_up(ctx, row_id, address, result)))
    return [assistant.to_reply(result, buttons)]


async def _answer_in_room(turn: Turn, question: str, room: Room) -> list[Reply]:
    """A question asked from a case's room: answered for its dispute, with the button that
    asks for a lawyer to join."""
    return await answer(
        turn,
        question,
        dispute_type=room.case.dispute_type,
        case_id=room.case.id,
        buttons=((LAWYER_BUTTON,),),
    )


async def ask(turn: Turn, who: Who, text: str) -> list[Reply]:
    """``/ask [question]``."""
    try:
        question = _question(text) if text.strip() else None
    except InvalidInput as exc:
        return [reply(exc.key, **exc.params)]
    if who.staff is not None:
        if question is None:
            return [reply("lawyers.ask_usage")]
        found = await active_room(turn, staff_id=who.staff.id)
        kind = found[0].case.dispute_type if found else None
        return await answer(turn, question, dispute_type=kind)
    found = await active_room(turn, user_id=who.user_id) if not turn.state("intake") else None
    if found is not None:
        room = found[0]
        if lawyer_present(room):
            return [reply("lawyers.lawyer_in_room")]
        if question is None:
            turn.put(ASK_NEXT, AskNext(room.case.id))
            return [reply("lawyers.ask_prompt_case", number=room.case.number)]
        return await _answer_in_room(turn, question, room)
    if turn.state("intake"):
        if question is None:  # the next words answer the intake: the question must come now
            return [reply("lawyers.ask_in_intake")]
        return await answer(turn, question, dispute_type=None)
    consultation = await consultations.load_open(turn.session, turn.get(CONSULT), turn.now)
    started = consultation is None
    if consultation is None:
        unit = turn.units.default
        consultation = await consultations.start(
            turn.session,
            user_id=who.user_id,
            channel=turn.conv.channel,
            language=turn.conv.language,
            unit_code=unit.code,
            prefix=unit.case_prefix,
            now=turn.now,
            local_year=turn.now.astimezone(turn.settings.tz).year,
        )
    turn.put(CONSULT, consultation.id)
    head = [reply("lawyers.consult_started", number=consultation.number)] if started else []
    if question is None:
        return head or [reply("lawyers.consult_prompt")]
    return [*head, *await consult_question(turn, consultation, question)]


async def consult_question(turn: Turn, consultation: Consultation, question: str) -> list[Reply]:
    if consultation.lawyer_id is not None and await consultations.person_says(
        turn.session, turn.out, consultation, question, turn.now
    ):
        return []
    return await answer(
        turn,
        question,
        dispute_type=consultation.dispute_type,
        consultation=consultation,
        buttons=((LAWYER_BUTTON, END_BUTTON),),
    )


async def ask_button(turn: Turn, who: Who) -> list[Reply]:
    """The "ask the assistant" button: the next message is a question."""
    if who.staff is None:
        found = await active_room(turn, user_id=who.user_id)
        if found is not None:
            turn.put(ASK_NEXT, AskNext(found[0].case.id))
            return [reply("lawyers.ask_prompt_case", number=found[0].case.number)]
    return await ask(turn, who, "")


async def end_consultation(turn: Turn, who: Who) -> list[Reply] | None:
    consultation = await consultations.load_open(turn.session, turn.get(CONSULT), turn.now)
    turn.put(CONSULT, None)
    if consultation is None:
        return None
    found = await consultations.lawyer_of(turn.session, consultation)
    consultations.close(consultation, turn.now)
    if found is not None:
        await dispatch.finish_request(
            turn.session, turn.now, found[0].id, consultation_id=consultation.id
        )
        address = await dispatch.staff_chat(turn.session, found[1])
        if address is not None:
            turn.out.send(
                address, reply("lawyers.consult_ended_by_person", number=consultation.number)
            )
    request = await dispatch.open_request(turn.session, consultation_id=consultation.id)
    if request is not None and request.status == "open":
        await dispatch.cancel_request(turn.session, turn.out, request, turn.now, tell=False)
    return [reply("lawyers.consult_ended", number=consultation.number)]


async def request_lawyer(turn: Turn, who: Who, text: str) -> list[Reply]:
    """``/lawyer [question]`` by a party or mediator in a case, or in a consultation."""
    try:
        question = _question(text) if text.strip() else None
    except InvalidInput as exc:
        return [reply(exc.key, **exc.params)]
    ctx = context_of(turn.shared)
    settings = ctx.settings if ctx else LawyerSettings.from_settings(turn.settings)
    widen_after = timedelta(minutes=settings.widen_minutes)
    consultation: Consultation | None = None
    room: Room | None = None
    member = None
    if who.staff is not None:
        found = await active_room(turn, staff_id=who.staff.id)
        if found is None:
            return [mediators.no_case(who.staff)]
        room, member = found
        if who.staff.role not in mediators.MEDIATING_ROLES or room.case.mediator_id != who.staff.id:
            return [reply("staff.not_allowed")]
        requested_by, role = f"staff:{who.staff.id}", Role.MEDIATOR.value
    else:
        found = await active_room(turn, user_id=who.user_id)
        if found is not None:
            room, member = found
            requested_by, role = f"user:{who.user_id}", member.role
        else:
            consultation = await consultations.load_open(turn.session, turn.get(CONSULT), turn.now)
            if consultation is None:
                return [reply("lawyers.no_case_for_lawyer")]
            requested_by, role = f"user:{who.user_id}", "person"
    if room is not None and lawyer_present(room):
        return [reply("lawyers.lawyer_in_room")]
    existing = await dispatch.open_request(
        turn.session,
        case_id=room.case.id if room else None,
        consultation_id=consultation.id if consultation else None,
    )
    if existing is not None:
        if existing.status == "accepted":
            return [reply("lawyers.lawyer_in_room" if room else "lawyers.lawyer_in_consult")]
        local = existing.created_at.astimezone(turn.settings.tz)
        return [reply("lawyers.request_pending", since=dispatch.when_msg(local))]
    subject_type = (
        room.case.dispute_type if room else (consultation.dispute_type if consultation else None)
    )
    created = await dispatch.create_request(
        turn.session,
        turn.out,
        now=turn.now,
        tz=turn.settings.tz,
        widen_after=widen_after,
        number=room.case.number if room else consultation.number if consultation else "",
        dispute_type=subject_type or "other",
        requested_by=requested_by,
        requester_role=role,
        language=turn.conv.language,
        question=question,
        case_id=room.case.id if room else None,
        consultation_id=consultation.id if consultation else None,
    )
    replies = _requested(turn, created, settings, question)
    if room is not None and member is not None:
        await _tell_mediators(turn, room, member)
    if question is not None and not created.offered:
        if room is not None:
            replies += await answer(
                turn, question, dispute_type=room.case.dispute_type, case_id=room.case.id
            )
        elif consultation is not None:
            replies += await answer(
                turn, question, dispute_type=consultation.dispute_type, consultation=consultation
            )
    return replies


def _requested(
    turn: Turn, created: dispatch.Created, settings: LawyerSettings, question: str | None
) -> list[Reply]:
    """What the requester reads: how many lawyers on duty were asked, or when one is expected
    (with the ask button, unless a question came with the request)."""
    minutes = f"{settings.widen_minutes:g}"
    if created.offered:
        replies = [reply("lawyers.requested", count=created.offered, minutes=minutes)]
    else:
        local = turn.now.astimezone(turn.settings.tz)
        replies = [
            Reply(
                Msg(
                    "lawyers.requested_no_duty",
                    {
                        "minutes": minutes,
                        "expected": dispatch.expected_msg(created.expected, local),
                    },
                ),
                buttons=((ASK_BUTTON,),) if question is None else (),
            )
        ]
    return replies


async def _tell_mediators(turn: Turn, room: Room, member: CaseMember) -> None:
    """The room's mediators hear that a lawyer was asked for, and by whom."""
    me = room.by_id(member.id)
    if me is not None:
        await tell_mediators(turn.session, room, me, "lawyers.requested_event", turn.out, turn.now)


async def person_message(turn: Turn, who: Who) -> list[Reply] | None:
    """Free text of a party who pressed "ask", or of a person in a consultation."""
    payload = turn.event.payload
    text = payload.text if isinstance(payload, intake.TextInput) else None
    pending = turn.get(ASK_NEXT)
    if pending is not None:
        turn.put(ASK_NEXT, None)
        if text is None:
            return None
        found = await active_room(turn, user_id=who.user_id)
        if found is None or found[0].case.id != pending.case:
            return None
        try:
            question = _question(text)
        except InvalidInput as exc:
            return [reply(exc.key, **exc.params)]
        room = found[0]
        return await _answer_in_room(turn, question, room)
    if turn.get(CONSULT) is None:
        return None
    if text is not None and inv.normalise_code(text):
        return None  # an invitation code: joining a case goes first
    consultation = await consultations.load_open(turn.session, turn.get(CONSULT), turn.now)
    if consultation is None or await member_cases(turn.session, user_id=who.user_id):
        turn.put(CONSULT, None)
        return None
    if text is None:
        return [reply("lawyers.consult_text_only")]
    try:
        question = _question(text)
    except InvalidInput as exc:
        return [reply(exc.key, **exc.params)]
    return await consult_question(turn, consultation, question)
