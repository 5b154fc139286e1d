"""Oral agreements (人民调解法 第二十八条、第三十条): recorded by the mediator, confirmed by every
party in the chat, then written into a 调解笔录 the parties check.

Why not "the mediator says it succeeded": an oral agreement binds the parties from the day they
reach it (第三十条), so the service must be able to show that *each* of them agreed to *this*
content. The mediator presses 调解成功 and types the content (one clause a line, 第二十八条: the
mediator records it); each party gets the text with 确认 / 有异议. A confirmation is a row of
``document_signatures`` on that version (decision ``confirmed``, the time, the channel); an
objection (with its reason) goes to the mediator, who records the content again (a new version;
the old one is superseded). When every party has confirmed, the case is agreed, the agreement is
effective that day, and the 笔录 (outcome 口头协议, the content, who confirmed when) goes to the
parties to check (:mod:`features.agreements.record_check`).
"""

from __future__ import annotations

from sqlalchemy import select

from features.agreements import record_check
from features.agreements.common import (
    ORAL,
    PENDING,
    AwaitOralTerms,
    Btn,
    new_public_id,
    question,
    send,
)
from features.agreements.contexts import PartyInfo, load_parties
from features.agreements.drafting import may_run
from mediation.agreement import AgreementTerms
from mediation.case_state import CaseEvent, CaseStatus, transition
from mediation.parties import member_confirmation_id
from mediation.replies import Msg, Reply, reply
from mediation.signing import version_hash
from mediation.validation import InvalidInput, clean_text
from services import features
from services.cases import add_event
from services.room import Room, announce, label_of, load_room
from services.timers import cancel_timers
from services.turn import Turn, active_room
from storage.document_models import Document
from storage.models import CaseParty, StaffAccount


@features.action("m:outcome:success", extends="m:")
async def start(turn: Turn, who: features.Who, data: str) -> list[Reply] | None:
    """调解成功 while the case is being mediated: record the oral agreement instead of a reason."""
    if who.staff is None or data != "m:outcome:success":
        return None
    found = await active_room(turn, staff_id=who.staff.id)
    if found is None or found[0].case.status != CaseStatus.MEDIATING.value:
        return None  # the core explains why no outcome can be set now
    room = found[0]
    if not may_run(turn, who.staff, room):
        return [reply("staff.not_allowed")]
    parties = await load_parties(turn.session, room)
    absent = [p.label for p in parties if p.member_id is None]
    if absent or not parties:
        return [reply("agreements.oral_need_all", who="、".join(absent) or "-")]
    return _next_question(turn, room, parties)


def _next_question(turn: Turn, room: Room, parties: list[PartyInfo]) -> list[Reply]:
    """A party's address first if the record lacks it (the 笔录 names where each party lives),
    then the content."""
    lacking = next((p for p in parties if not p.address), None)
    if lacking is not None:
        turn.put(PENDING, AwaitOralTerms(room.case.id, lacking.party_id))
        return [question("agreements.oral_ask_address", label=lacking.label, name=lacking.name)]
    turn.put(PENDING, AwaitOralTerms(room.case.id))
    return [question("agreements.oral_ask_terms", number=room.case.number)]


async def record_terms(
    turn: Turn, staff: StaffAccount, pending: AwaitOralTerms, text: str
) -> list[Reply]:
    """The mediator's text: a party's address, or the content, which becomes version n of the
    oral agreement, sent to every party."""
    room = await load_room(turn.session, pending.case, lock=True)
    if room is None or room.case.status != CaseStatus.MEDIATING.value:
        turn.put(PENDING, None)
        return [reply("agreements.oral_not_now")]
    if pending.party is not None:
        party = await turn.session.get(CaseParty, pending.party)
        if party is None or party.case_id != room.case.id:
            turn.put(PENDING, None)
            return [reply("bot.stale_button")]
        try:
            party.address = clean_text(text, max_len=200, min_len=4)
        except InvalidInput as exc:
            return [reply(exc.key, **exc.params)]
        await turn.session.flush()
        return _next_question(turn, room, await load_parties(turn.session, room))
    terms = AgreementTerms()
    try:
        for line in text.splitlines():
            if line.strip():
                terms = terms.add_term(line)
    except InvalidInput as exc:
        return [reply(exc.key, **exc.params)]
    parties = [p for p in await load_parties(turn.session, room) if p.member_id is not None]
    earlier = await record_check.versions(turn, room.case.id, ORAL)
    for old in earlier:
        if old.status == "confirming":
            old.status = "superseded"
    content = {
        "case_no": room.case.number,
        "terms": list(terms.terms),
        "mediator": staff.display_name,
    }
    doc = Document(
        public_id=new_public_id(),
        case_id=room.case.id,
        kind=ORAL,
        version=max((d.version for d in earlier), default=0) + 1,
        status="confirming",
        content=content,
        sha256=version_hash(content),
        signers=[member_confirmation_id(int(p.member_id or 0)) for p in parties],
        mediator_staff_id=staff.id,
        deliver_to=[p.member_id for p in parties],
        render_status="none",  # no PDF: the 笔录 carries it
        created_by=f"staff:{staff.id}",
        created_at=turn.now,
    )
    turn.session.add(doc)
    await turn.session.flush()
    lines = [Msg("agreements.term_line", {"n": i, "text": t}) for i, t in enumerate(terms.terms, 1)]
    for p in parties:
        address = room.addresses.get(int(p.member_id or 0))
        if address is not None:
            send(
                turn.out,
                address,
                Msg("agreements.oral_confirm", {"number": room.case.number, "terms": lines}),
                [
                    [
                        Btn(Msg("agreements.btn_oral_yes"), f"ag:oc:y:{doc.id}"),
                        Btn(Msg("agreements.btn_oral_no"), f"ag:oc:n:{doc.id}"),
                    ]
                ],
            )
    turn.put(PENDING, None)
    return [reply("agreements.oral_sent", count=len(parties), version=doc.version)]


async def on_action(turn: Turn, who: features.Who, verb: str, doc_id: int) -> list[Reply]:
    """``ag:oc:<y|n>:<doc>``: a party confirms the oral agreement, or objects to it."""
    found = await record_check.agree_or_object(
        turn, who, doc_id, ORAL, "confirming", verb, "confirmed"
    )
    if isinstance(found, list):
        return found
    doc, room, member = found
    at = record_check.local(turn, turn.now)
    mediator = room.of_staff(room.case.mediator_id) if room.case.mediator_id else None
    if mediator is not None:
        await announce(
            turn.session,
            room,
            Msg("agreements.oral_party_confirmed", {"who": label_of(member), "at": at}),
            turn.out,
            turn.now,
            audience=[mediator],
            author=member,
        )
    if await record_check.all_answered(turn, doc, "confirmed"):
        await _effective(turn, doc, room)
    return [reply("agreements.oral_confirmed_ok", at=at)]


async def _effective(turn: Turn, doc: Document, room: Room) -> None:
    """Every party confirmed: the oral agreement takes effect today (第三十条), the case is
    agreed, and the 笔录 goes to the parties to check."""
    case = room.case
    doc.status = "effective"
    case.status = transition(CaseStatus(case.status), CaseEvent.AGREE_ORALLY).value
    case.outcome, case.outcome_reason = "success", "\n".join(doc.content.get("terms", []))
    case.session_open, case.updated_at = False, turn.now
    add_event(
        turn.session,
        case.id,
        turn.now,
        "system",
        kind="outcome",
        data={"outcome": "success", "oral_agreement": doc.version},
    )
    await cancel_timers(turn.session, [f"deadline:{case.id}:{k}" for k in ("3d", "1d", "due")])
    day = turn.now.astimezone(turn.settings.tz).date().isoformat()
    await announce(
        turn.session,
        room,
        Msg("agreements.oral_effective", {"number": case.number, "date": day}),
        turn.out,
        turn.now,
    )
    # A payment plan the parties accepted by offer is tracked from today (第三十条). Imported
    # here: the negotiation feature imports this package's modules at its own import.
    from features.negotiation.effect import on_agreement_effective

    await on_agreement_effective(turn.session, room, turn.now, turn.settings.tz, turn.out)
    mediator = await turn.session.get(StaffAccount, case.mediator_id) if case.mediator_id else None
    if mediator is not None:
        await record_check.issue_for_check(turn, room, mediator)


async def objection(turn: Turn, who: features.Who, doc_id: int, text: str) -> list[Reply]:
    """The reason a party objects to an oral agreement or a 笔录, passed to the mediator."""
    doc = await turn.session.get(Document, doc_id)
    kind, state = (doc.kind, "confirming" if doc.kind == ORAL else "checking") if doc else ("", "")
    found = await record_check.party_of(turn, who, doc_id, kind, state)
    if isinstance(found, Reply):
        turn.put(PENDING, None)
        return [found]
    doc, room, member = found
    try:
        reason = clean_text(text, max_len=1000, min_len=2)
    except InvalidInput as exc:
        return [reply(exc.key, **exc.params)]
    record_check.answer(turn, doc, member.id, "objected", reason)
    turn.put(PENDING, None)
    mediator = room.of_staff(room.case.mediator_id) if room.case.mediator_id else None
    if mediator is not None:
        key = "agreements.oral_party_objected" if doc.kind == ORAL else "agreements.record_objected"
        await announce(
            turn.session,
            room,
            Msg(key, {"who": label_of(member), "reason": reason, "number": room.case.number}),
            turn.out,
            turn.now,
            audience=[mediator],
            author=member,
        )
    return [reply("agreements.objection_sent")]


async def effective_view(turn: Turn, room: Room) -> list[Reply] | None:
    """A party's 查看协议 when the agreement was oral: its content as confirmed (there is no
    written agreement to send, and "no agreement yet" would be wrong)."""
    doc = (
        await turn.session.execute(
            select(Document)
            .where(
                Document.case_id == room.case.id,
                Document.kind == ORAL,
                Document.status == "effective",
            )
            .order_by(Document.version.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if doc is None:
        return None
    terms = [str(t) for t in doc.content.get("terms", [])]
    lines = [Msg("agreements.term_line", {"n": i, "text": t}) for i, t in enumerate(terms, 1)]
    return [reply("agreements.oral_view", number=room.case.number, terms=lines)]
