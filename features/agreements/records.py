"""The case file documents made from the record: 人民调解申请书 and 调解笔录.

``/documents`` (the case's mediator) renders both from what the service already holds — the
intake (facts, claims, parties), the room record (what each party said), the agreement (facts
found, terms) or the failure reason and the other routes (人民调解法 第二十六条) — and sends them
to the mediator for the case file. Nothing is invented: a field the record lacks (an address
nobody gave) stops the command with a message naming it, instead of printing a placeholder.
Signature blocks stay empty: the parties signed the agreement, not these forms.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from documents.clauses import dispute_label
from documents.registry import get_spec, missing_fields
from features.agreements.common import ORAL, RECORD, wake_after_commit
from features.agreements.contexts import PartyInfo, committee, load_parties, person
from features.agreements.record_check import issue_for_check
from features.agreements.store import agreement_versions, issue_document
from i18n import translate
from mediation import particulars
from mediation.case_state import CaseStatus
from mediation.disputes import OTHER_ROUTES, DisputeType
from mediation.replies import Msg, Reply, button, reply
from mediation.room import Role
from services import particulars as party_particulars
from services.room import Room, load_room
from services.turn import Turn
from storage.document_models import Document, DocumentSignature
from storage.models import CaseMessage, CaseParty, StaffAccount

APPLICATION_FORM = "mediation_application"
MAX_STATEMENT = 3000


def _local(turn: Turn, at: datetime) -> datetime:
    return at.astimezone(turn.settings.tz)


def known(p: PartyInfo) -> particulars.Known:
    """Which of the 申请书's particulars the party's record holds (``mediation.particulars``)."""
    return particulars.Known(
        is_org=p.is_org,
        id_number=bool(p.id_number),
        gender=bool(p.gender),
        birth=bool(p.birth_date) or p.stated_age is not None,
        ethnicity=bool(p.ethnicity),
        occupation=bool(p.occupation),
        address=bool(p.address),
        phone=bool(p.phone),
    )


def lacking(parties: list[PartyInfo]) -> list[tuple[PartyInfo, tuple[particulars.Field, ...]]]:
    """Each party whose record lacks something the 申请书 prints, with what it lacks."""
    found = [(p, particulars.missing(known(p))) for p in parties]
    return [(p, fields) for p, fields in found if fields]


def application_form(turn: Turn, room: Room, parties: list[PartyInfo]) -> dict[str, Any]:
    """人民调解申请书 from the intake: the applicant's account and requests as given, and each
    party's particulars as they gave them. A detail still missing is printed 未提供 (named in
    ``missing``), never left out silently; the mediator is told before it is made."""
    filed = _local(turn, room.case.created_at).date()
    unit = turn.units.by_code.get(room.case.unit_code, turn.units.default)
    entries = []
    for p in parties:
        role = "申请人" if p.side == Role.APPLICANT.value else "被申请人"
        entry = person(p, filed, role=role, basics=True)
        gaps = particulars.missing(known(p))
        if gaps:
            entry["missing"] = [f.value for f in gaps]
        entries.append(entry)
    return {
        "committee": committee(unit),
        "parties": entries,
        "summary": room.case.facts,
        "requests": [line.strip() for line in room.case.claims.splitlines() if line.strip()],
        "date": filed.isoformat(),
    }


async def record_form(
    turn: Turn, room: Room, parties: list[PartyInfo], mediator: StaffAccount
) -> dict[str, Any] | Msg:
    """调解笔录 (notes: a structured record, not a transcript): each party's statements in the
    room, the facts and terms of the agreement, or why mediation failed and what is left."""
    case = room.case
    rows = list(
        (
            await turn.session.execute(
                select(CaseMessage).where(CaseMessage.case_id == case.id).order_by(CaseMessage.id)
            )
        ).scalars()
    )
    opened = next((r.created_at for r in rows if r.text == "room.session_opened"), case.created_at)
    versions = await agreement_versions(turn.session, case.id)
    agreement = next((v for v in reversed(versions) if v.status == "effective"), None)
    ended = agreement.sealed_at if agreement and agreement.sealed_at else turn.now
    statements = []
    for p in parties:
        said = [
            r.text or ""
            for r in rows
            if r.kind == "text" and r.author_member_id == p.member_id and p.member_id
        ]
        text = "\n".join(s for s in said if s.strip())[:MAX_STATEMENT]
        if text:
            statements.append({"speaker": f"{p.label}{p.shown_name}", "content": text})
    today = _local(turn, turn.now).date()
    label = dispute_label(case.dispute_type)
    applicants = "、".join(p.shown_name for p in parties if p.side == Role.APPLICANT.value)
    respondents = "、".join(p.shown_name for p in parties if p.side == Role.RESPONDENT.value)
    unit = turn.units.issuer(case.unit_code) or turn.units.by_code.get(
        case.unit_code, turn.units.default
    )
    ctx: dict[str, Any] = {
        "case_no": case.number,
        "committee": committee(unit),
        "started_at": _local(turn, opened).strftime("%Y-%m-%dT%H:%M"),
        "ended_at": _local(turn, ended).strftime("%Y-%m-%dT%H:%M"),
        "place": "线上",
        "matter": f"{applicants}与{respondents}{label}",
        "parties": [person(p, today) for p in parties if p.member_id is not None],
        "mediators": [{"name": mediator.display_name}],
        "recorder": {"name": mediator.display_name},
        "statements": statements,
    }
    oral = await _effective_oral(turn, case.id)
    if agreement is not None:
        ctx.update(
            facts_found=agreement.content.get("facts", ""),
            outcome="agreement",
            terms=list(agreement.content.get("terms", [])),
        )
    elif oral is not None:
        names = {
            p.member_id: f"{p.label}{p.shown_name}" for p in parties if p.member_id is not None
        }
        confirmations = (
            await turn.session.execute(
                select(DocumentSignature)
                .where(
                    DocumentSignature.document_id == oral.id,
                    DocumentSignature.decision == "confirmed",
                )
                .order_by(DocumentSignature.signed_at, DocumentSignature.id)
            )
        ).scalars()
        ctx.update(
            facts_found=case.facts,
            outcome="oral",
            terms=list(oral.content.get("terms", [])),
            confirmations=[
                {
                    "name": names.get(c.member_id or 0, ""),
                    "at": _local(turn, c.signed_at).strftime("%Y-%m-%dT%H:%M"),
                }
                for c in confirmations
            ],
        )
    elif case.status == CaseStatus.FAILED.value:
        routes = OTHER_ROUTES[DisputeType(case.dispute_type)]
        ctx.update(
            facts_found=case.facts,
            outcome="failed",
            failure_reason=case.outcome_reason or "",
            routes=[translate("zh-CN", f"route.{r}") for r in routes],
        )
    else:
        return Msg("agreements.records_not_ready")
    for p in ctx["parties"]:
        p.pop("signer", None)
    return ctx


async def _effective_oral(turn: Turn, case_id: int) -> Document | None:
    """The oral agreement every party confirmed (features.agreements.oral), if any."""
    rows = await turn.session.execute(
        select(Document).where(
            Document.case_id == case_id, Document.kind == ORAL, Document.status == "effective"
        )
    )
    return rows.scalars().first()


async def queue_issued_document(
    turn: Turn, room: Room, staff: StaffAccount, kind: str, content: dict[str, Any]
) -> None:
    """Add the next version of a staff-requested document, pending render; the render job
    sends it to that staff member (call ``wake_after_commit`` once after queueing)."""
    me = room.of_staff(staff.id)
    await issue_document(
        turn.session,
        room.case.id,
        kind,
        content,
        deliver_to=[me.id] if me else [],
        created_by=f"staff:{staff.id}",
        now=turn.now,
    )


async def issue_records(turn: Turn, staff: StaffAccount, room: Room) -> list[Reply]:
    """Queue the 申请书 and the 笔录 for rendering; the job sends them to the mediator."""
    parties = await load_parties(turn.session, room)
    gaps = lacking(parties)
    no_address = [p for p, fields in gaps if particulars.Field.ADDRESS in fields]
    if no_address:  # the 笔录 too names every party by their address: nothing is made
        return [missing_reply(room, gaps, stop=True)]
    record = await record_form(turn, room, parties, staff)
    if isinstance(record, Msg):
        return [Reply(record)]
    form = application_form(turn, room, parties)
    for kind, content in ((APPLICATION_FORM, form), (RECORD, record)):
        missing = missing_fields(get_spec(kind), content)
        if missing:
            return [reply("agreements.err_missing_fields", fields=", ".join(missing))]
    await queue_issued_document(turn, room, staff, APPLICATION_FORM, form)
    # The 笔录 goes to the parties to check before any version says they checked it.
    refused = await issue_for_check(turn, room, staff)
    if refused is not None:
        return [refused]
    wake_after_commit(turn.session, turn.shared)
    made = reply("agreements.records_generating", number=room.case.number)
    return [missing_reply(room, gaps, stop=False), made] if gaps else [made]


def missing_reply(
    room: Room, gaps: list[tuple[PartyInfo, tuple[particulars.Field, ...]]], *, stop: bool
) -> Reply:
    """What the 申请书 lacks, party by party, to the mediator making it: with ``stop`` nothing
    is made (an address is missing), else the 申请书 is made with 未提供 in those places. The
    button asks each party in the room to give their own (``services.particulars``); staff
    may also enter them on the console's case page."""
    lines: list[Msg] = []
    for p, fields in gaps:
        lines.append(
            Msg("agreements.records_missing_party", {"label": p.label, "name": p.shown_name})
        )
        lines += [
            Msg("particulars.item", {"name": Msg(f"particulars.field_{f.value}")}) for f in fields
        ]
    key = "agreements.records_need_particulars" if stop else "agreements.records_gaps"
    ask = button("agreements.btn_ask_particulars", f"ag:pq:{room.case.id}")
    return Reply(Msg(key, {"lines": lines}), buttons=((ask,),))


async def ask_parties(turn: Turn, staff: StaffAccount, case_id: int) -> list[Reply]:
    """请当事人补填: each party in the room whose record lacks something is offered to give
    their own (``services.particulars``); the mediator hears who was asked and who is not in
    the room (their details are entered on the console's case page)."""
    room = await load_room(turn.session, case_id)
    if room is None or room.case.mediator_id != staff.id:
        return [reply("staff.not_allowed")]
    asked, unreachable = [], []
    for p, _ in lacking(await load_parties(turn.session, room)):
        row = await turn.session.get(CaseParty, p.party_id)
        address = room.addresses.get(p.member_id) if p.member_id is not None else None
        offer = party_particulars.offer(row, key="particulars.offer_asked") if row else None
        if offer is None:
            continue
        if address is None:
            unreachable.append(f"{p.label}{p.shown_name}")
            continue
        turn.out.send(address, offer)
        asked.append(f"{p.label}{p.shown_name}")
    return [
        reply(
            "agreements.particulars_asked",
            asked="、".join(asked) or "—",
            unreachable="、".join(unreachable) or "—",
        )
    ]
