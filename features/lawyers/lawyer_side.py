"""What a volunteer lawyer does in the chat (Telegram or the browser chat of their account's
phone): duty status, accepting offers, the room, leaving.

A lawyer is a staff account with role "lawyer"; in a room they are a CaseMember labelled 律师.
Their free text is relayed by the room's staff flow (``features.room.staff.message``), which asks
:func:`mediation.permissions.can` — a lawyer may speak and write notes, not run the room. This
module adds what is theirs: choosing whom to talk to, comments on the agreement draft (``/review``), leaving, and the
consultations they accepted.
"""

from __future__ import annotations

from sqlalchemy import select

from features.lawyers import consultations, dispatch
from features.lawyers.context import CONSULT_WITH
from features.lawyers.models import Consultation, LawyerOffer
from features.lawyers.profiles import LawyerEntry, entry_of_staff, set_paused
from features.room.relay import staff_note
from mediation.case_state import ACTIVE, CaseStatus
from mediation.lawyer_dispatch import format_week, next_start, response_stats
from mediation.permissions import Action
from mediation.replies import Button, Msg, Reply, button, reply
from mediation.room import Mode, Role, may_address_everyone
from services import mediators
from services.cases import add_event
from services.room import Room, announce, label_of, load_room
from services.slots import TARGET, target_for, target_label
from services.turn import Turn, active_room
from storage.models import CaseMember, StaffAccount

PAUSE_WORDS = frozenset({"off", "pause", "stop", "关", "暂停"})
RESUME_WORDS = frozenset({"on", "resume", "start", "开", "恢复"})


async def my_entry(turn: Turn, staff: StaffAccount) -> LawyerEntry | None:
    return await entry_of_staff(turn.session, staff.id)


# ---------------------------------------------------------------------------- duty


async def duty(turn: Turn, staff: StaffAccount, args: tuple[str, ...]) -> list[Reply]:
    """``/duty`` shows the lawyer's status; ``/duty off|on`` pauses or resumes them."""
    entry = await my_entry(turn, staff)
    if entry is None:
        return [reply("lawyers.no_profile")]
    word = args[0].lower() if args else ""
    if word and word not in PAUSE_WORDS | RESUME_WORDS:
        return [reply("lawyers.duty_usage")]
    if word:
        await set_paused(turn.session, entry.profile, word in PAUSE_WORDS, turn.now)
        key = "lawyers.paused" if entry.profile.paused else "lawyers.resumed"
        return [reply(key), await duty_reply(turn, entry)]
    return [await duty_reply(turn, entry)]


async def set_pause(turn: Turn, staff: StaffAccount, paused: bool) -> list[Reply]:
    entry = await my_entry(turn, staff)
    if entry is None:
        return [reply("lawyers.no_profile")]
    await set_paused(turn.session, entry.profile, paused, turn.now)
    return [reply("lawyers.paused" if paused else "lawyers.resumed"), await duty_reply(turn, entry)]


async def duty_reply(turn: Turn, entry: LawyerEntry) -> Reply:
    local = turn.now.astimezone(turn.settings.tz)
    profile = entry.profile
    if profile.paused:
        state = Msg("lawyers.state_paused")
    elif entry.candidate().on_duty(local):
        state = Msg("lawyers.state_on_duty")
    elif entry.candidate().available(local):
        state = Msg("lawyers.state_available")
    else:
        state = Msg("lawyers.state_off_hours")
    upcoming = next_start(entry.rota, local)
    answered = await turn.session.execute(
        select(LawyerOffer.response_seconds).where(
            LawyerOffer.lawyer_id == profile.id, LawyerOffer.response_seconds.is_not(None)
        )
    )
    stats = response_stats(s for s in answered.scalars() if s is not None)
    button_row = (
        button("lawyers.btn_resume", "l:resume")
        if profile.paused
        else button("lawyers.btn_pause", "l:pause")
    )
    return Reply(
        Msg(
            "lawyers.duty_status",
            {
                "name": entry.staff.display_name,
                "state": state,
                "specialties": [
                    Msg("lawyers.bullet", {"text": Msg(f"dispute.{s}")})
                    for s in profile.specialties
                ],
                "availability": format_week(entry.availability) or Msg("lawyers.none"),
                "rota": format_week(entry.rota) or Msg("lawyers.none"),
                "next_duty": dispatch.when_msg(upcoming) if upcoming else Msg("lawyers.none"),
                "open": entry.open_cases,
                "max": profile.max_open_cases,
                "responses": stats.count,
                "mean_minutes": round((stats.mean or 0) / 60, 1),
            },
        ),
        buttons=((button_row,),),
    )


# ---------------------------------------------------------------------------- offers


async def accept(turn: Turn, staff: StaffAccount, request_id: int) -> list[Reply]:
    entry = await my_entry(turn, staff)
    if entry is None:
        return [reply("lawyers.no_profile")]
    session = turn.session
    request, offer = await dispatch.offer_for(session, request_id, entry.profile.id)
    if request is None or offer is None:
        return [reply("bot.stale_button")]
    if request.status != "open":
        if offer.status == "offered":
            offer.status = "taken"
        if request.status in ("accepted", "done") and request.lawyer_id == entry.profile.id:
            return [reply("lawyers.already_yours")]
        taken = request.status in ("accepted", "done")
        return [reply("lawyers.already_taken" if taken else "lawyers.request_closed")]
    if entry.open_cases >= entry.profile.max_open_cases:
        return [reply("lawyers.at_capacity", max=entry.profile.max_open_cases)]
    if request.case_id is not None:
        room = await load_room(session, request.case_id, lock=True)
        if room is None or CaseStatus(room.case.status) not in ACTIVE:
            await dispatch.cancel_request(session, turn.out, request, turn.now, tell=False)
            return [reply("lawyers.request_closed")]
        await dispatch.mark_accepted(session, turn.out, request, offer, turn.now, room.case.number)
        return await _join_room(turn, staff, room, request.id, request.wait_seconds or 0)
    busy_id = turn.get(CONSULT_WITH)
    busy = await session.get(Consultation, busy_id) if busy_id is not None else None
    if busy is not None and busy.status == "open" and busy.lawyer_id == entry.profile.id:
        return [reply("lawyers.consult_busy", number=busy.number)]
    consultation = await session.get(Consultation, request.consultation_id, with_for_update=True)
    if consultation is None or consultation.status != "open":
        await dispatch.cancel_request(session, turn.out, request, turn.now, tell=False)
        return [reply("lawyers.request_closed")]
    await dispatch.mark_accepted(session, turn.out, request, offer, turn.now, consultation.number)
    consultation.lawyer_id = entry.profile.id
    turn.put(CONSULT_WITH, consultation.id)
    await consultations.tell_person(
        session,
        turn.out,
        consultation,
        reply("lawyers.consult_lawyer_joined", number=consultation.number),
    )
    question = Msg("lawyers.offer_question", {"text": request.question}) if request.question else ""
    return [
        Reply(
            Msg(
                "lawyers.accepted_consultation",
                {"number": consultation.number, "question": question},
            ),
            buttons=((button("lawyers.btn_leave_consult", "l:leave"),),),
        )
    ]


async def _join_room(
    turn: Turn, staff: StaffAccount, room: Room, request_id: int, waited: int
) -> list[Reply]:
    session = turn.session
    member = room.of_staff(staff.id)
    if member is None:
        member = CaseMember(
            case_id=room.case.id, role=Role.LAWYER.value, staff_id=staff.id, joined_at=turn.now
        )
        session.add(member)
        await session.flush()
    add_event(
        session,
        room.case.id,
        turn.now,
        f"staff:{staff.id}",
        kind="lawyer_joined",
        data={"request": request_id, "wait_seconds": waited},
    )
    fresh = await load_room(session, room.case.id)
    assert fresh is not None
    me = fresh.by_id(member.id)
    await announce(session, fresh, Msg("lawyers.joined_room"), turn.out, turn.now, author=me)
    turn.conv.active_case_id = fresh.case.id
    turn.put(TARGET, None)
    return [
        reply("lawyers.accepted_case", number=fresh.case.number, header=fresh.header(me)),
        panel(fresh, turn),
    ]


async def decline(turn: Turn, staff: StaffAccount, request_id: int) -> list[Reply]:
    entry = await my_entry(turn, staff)
    if entry is None:
        return [reply("lawyers.no_profile")]
    request, offer = await dispatch.offer_for(turn.session, request_id, entry.profile.id)
    if request is None or offer is None or offer.status != "offered":
        return [reply("bot.stale_button")]
    await dispatch.mark_declined(turn.session, request, offer, turn.now, turn.settings.tz)
    return [reply("lawyers.declined_ok")]


# ---------------------------------------------------------------------------- the room


def panel(room: Room, turn: Turn) -> Reply:
    """The lawyer's controls: whom their messages go to, and leaving."""
    parties = [m for m in room.present() if m.role in (Role.APPLICANT.value, Role.RESPONDENT.value)]
    everyone = may_address_everyone(Mode(room.case.room_mode))
    talk: list[Button] = [button("staff.btn_to_all", "l:to:all")] if everyone else []
    talk += [button("staff.btn_to", f"l:to:{m.id}", label=label_of(m)) for m in parties[:4]]
    return Reply(
        Msg(
            "lawyers.panel",
            {
                "number": room.case.number,
                "mode": Msg(f"room.mode_{room.case.room_mode}"),
                "target": target_label(turn.get(TARGET), room),
            },
        ),
        buttons=(tuple(talk), (button("lawyers.btn_leave", "l:leave"),)),
    )


async def my_room(turn: Turn, staff: StaffAccount) -> tuple[Room, CaseMember] | None:
    found = await active_room(turn, staff_id=staff.id)
    if found is None or found[1].role != Role.LAWYER.value:
        return None
    return found


async def show_panel(turn: Turn, staff: StaffAccount) -> list[Reply]:
    found = await my_room(turn, staff)
    if found is None:
        entry = await my_entry(turn, staff)
        return [await duty_reply(turn, entry)] if entry else [reply("lawyers.no_profile")]
    return [panel(found[0], turn)]


async def set_target(turn: Turn, staff: StaffAccount, arg: str) -> list[Reply]:
    found = await my_room(turn, staff)
    if found is None:
        return [mediators.no_case(staff)]
    room = found[0]
    target = room.by_id(int(arg)) if arg.isdigit() else None
    if arg != "all" and (target is None or target.status == "removed"):
        return [reply("bot.stale_button")]
    if target is None and not may_address_everyone(Mode(room.case.room_mode)):
        return [reply("lawyers.choose_target_first"), panel(room, turn)]
    turn.put(TARGET, target_for(room, None if target is None else target.id))
    return [panel(room, turn)]


async def review(turn: Turn, staff: StaffAccount, text: str) -> list[Reply]:
    """A comment on the agreement draft: an internal note the mediator is told about."""
    if not text:
        return [reply("lawyers.review_usage")]
    found = await my_room(turn, staff)
    if found is None:
        return [mediators.no_case(staff)]
    room, me = found
    if not mediators.may(staff, room, Action.WRITE_NOTE, turn.units):
        return [reply("staff.not_allowed")]
    readers = staff_note(turn.session, room, me, text, turn.now, {"about": "agreement_draft"})
    mediators_present = [m for m in readers if m.role == Role.MEDIATOR.value]
    for m in mediators_present:
        address = room.addresses.get(m.id)
        if address is not None:
            turn.out.send(
                address,
                Reply(Msg("lawyers.draft_comment", {"header": room.header(me), "text": text})),
            )
    return [reply("lawyers.review_saved" if mediators_present else "lawyers.review_saved_later")]


async def leave(turn: Turn, staff: StaffAccount) -> list[Reply]:
    """``/leave``: end the consultation being answered, else leave the current room."""
    entry = await my_entry(turn, staff)
    if entry is None:
        return [reply("lawyers.no_profile")]
    consult_id = turn.get(CONSULT_WITH)
    if consult_id is not None:
        turn.put(CONSULT_WITH, None)
        consultation = await turn.session.get(Consultation, consult_id, with_for_update=True)
        if consultation is not None and consultation.lawyer_id == entry.profile.id:
            return await _leave_consultation(turn, entry, consultation)
    found = await my_room(turn, staff)
    if found is None:
        return [reply("lawyers.nothing_to_leave")]
    room, me = found
    me.status = "removed"
    me.left_at = turn.now
    await dispatch.finish_request(turn.session, turn.now, entry.profile.id, case_id=room.case.id)
    add_event(
        turn.session, room.case.id, turn.now, f"staff:{staff.id}", kind="lawyer_left", data={}
    )
    await announce(turn.session, room, Msg("lawyers.left_room"), turn.out, turn.now, author=me)
    turn.conv.active_case_id = None
    turn.put(TARGET, None)
    return [reply("lawyers.you_left", number=room.case.number)]


async def _leave_consultation(
    turn: Turn, entry: LawyerEntry, consultation: Consultation
) -> list[Reply]:
    consultation.lawyer_id = None
    consultation.last_at = turn.now
    await dispatch.finish_request(
        turn.session, turn.now, entry.profile.id, consultation_id=consultation.id
    )
    await consultations.tell_person(
        turn.session,
        turn.out,
        consultation,
        reply("lawyers.consult_lawyer_left", number=consultation.number),
    )
    return [reply("lawyers.you_left_consult", number=consultation.number)]


async def consult_message(turn: Turn, staff: StaffAccount, text: str | None) -> list[Reply] | None:
    """The lawyer's text while answering a consultation goes to the person."""
    consult_id = turn.get(CONSULT_WITH)
    consultation = await turn.session.get(Consultation, consult_id, with_for_update=True)
    entry = await my_entry(turn, staff)
    if (
        consultation is None
        or entry is None
        or consultation.status != "open"
        or consultation.lawyer_id != entry.profile.id
    ):
        turn.put(CONSULT_WITH, None)
        return None
    if text is None:
        return [reply("lawyers.consult_text_only")]
    await consultations.lawyer_says(turn.session, turn.out, consultation, text, turn.now)
    return []
