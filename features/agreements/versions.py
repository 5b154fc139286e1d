"""A version of the written agreement: checked as the renderer would, created and opened for
signing (MEDIATING → SIGNING, ``draft_agreement``), and revised (SIGNING → MEDIATING,
``revise_agreement``: its signatures void, the draft reopened at the review with the same
content).

The dialogue that fills the draft is :mod:`features.agreements.drafting`; this is where it
ends (the mediator presses send) and where a revision starts it again.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from documents.errors import CitationError, DocumentError, MissingFieldsError
from documents.registry import get_spec, missing_fields
from features.agreements import identity
from features.agreements.common import (
    AGREEMENT,
    DRAFTING,
    Drafting,
    new_public_id,
    services_of,
    wake_after_commit,
)
from features.agreements.contexts import agreement_content, terms_of
from features.agreements.drafting import advance, may_run, not_a_committee, plan_of
from features.agreements.store import agreement_versions
from features.street.group_parties import agreement_group
from mediation.agreed_amount import agreed_fen
from mediation.agreement import AgreementTerms, next_version
from mediation.case_state import CaseEvent, CaseStatus, InvalidTransition, transition
from mediation.parties import SigningPlan
from mediation.replies import Msg, Reply, reply
from mediation.signing import version_hash
from services.cases import add_event
from services.room import Room, announce, load_room
from services.slots import STAFF_INPUT
from services.turn import Turn
from storage.document_models import Document
from storage.models import StaffAccount


async def check_content(turn: Turn, content: dict[str, Any]) -> Msg | None:
    """Everything the renderer would refuse, found before a version exists."""
    spec = get_spec(AGREEMENT)
    missing = missing_fields(spec, content)
    if missing:
        return Msg("agreements.err_missing_fields", {"fields": ", ".join(missing)})
    renderer = services_of(turn.shared).pool.renderer
    try:
        quoted = renderer.quoted_texts(spec)
        built = await asyncio.to_thread(renderer.build, AGREEMENT, content, "zh-CN", quoted)
        renderer.check(built)
    except CitationError as exc:
        listed = "；".join(str(p) for p in exc.problems)
        return Msg("agreements.err_citations", {"problems": listed})
    except MissingFieldsError as exc:
        return Msg("agreements.err_missing_fields", {"fields": ", ".join(exc.fields)})
    except DocumentError as exc:
        return Msg("agreements.err_document", {"error": str(exc)})
    return None


async def send_version(turn: Turn, staff: StaffAccount, room: Room, state: Drafting) -> list[Reply]:
    """Create the next version and open it for signing (MEDIATING → SIGNING)."""
    session: AsyncSession = turn.session
    locked = await load_room(session, room.case.id, lock=True)
    if locked is None or not may_run(turn, staff, locked):
        return [reply("staff.not_allowed")]
    room = locked
    try:
        status = transition(CaseStatus(room.case.status), CaseEvent.DRAFT_AGREEMENT)
    except InvalidTransition:
        return [reply("agreements.draft_not_now", status=Msg(f"status.{room.case.status}"))]
    parties, plan = await plan_of(turn, room)
    if not plan.ready or identity.lacking(parties, plan) is not None:
        return await advance(turn, room, state)  # a party changed since the review
    terms = AgreementTerms.from_json(state.terms)
    if terms.missing(len(plan.seats)):
        return await advance(turn, room, state)
    unit = turn.units.issuer(room.case.unit_code)  # the committee that issues it
    if unit is None:
        return [not_a_committee(turn, room)]
    versions = await agreement_versions(session, room.case.id)
    number = next_version(v.version for v in versions)
    today = turn.now.astimezone(turn.settings.tz).date()
    content = agreement_content(
        case=room.case,
        unit=unit,
        parties=parties,
        plan=plan,
        mediator=staff,
        terms=terms,
        version=number,
        today=today,
    )
    group = await agreement_group(
        session, room.case.id, plan, {p.party_id: p.id_number for p in parties}
    )
    if group is not None:  # a group's claimants, amounts and who signs for whom (issue 24)
        content["group"] = group
    problem = await check_content(turn, content)
    if problem is not None:
        return [Reply(problem)]
    sha = _store_version(turn, staff, room, number, content, terms, plan)
    room.case.status = status.value
    room.case.updated_at = turn.now
    await announce(
        session,
        room,
        Msg("agreements.version_event", {"version": number}),
        turn.out,
        turn.now,
        author=room.of_staff(staff.id),
    )
    turn.put(DRAFTING, None)
    wake_after_commit(session, turn.shared)
    return [reply("agreements.version_created", version=number, sha=sha)]


def _store_version(
    turn: Turn,
    staff: StaffAccount,
    room: Room,
    number: int,
    content: dict[str, Any],
    terms: AgreementTerms,
    plan: SigningPlan,
) -> str:
    """The version's row (its PDF still to render) and the case's event; returns its hash."""
    sha = version_hash(content)
    turn.session.add(
        Document(
            public_id=new_public_id(),
            case_id=room.case.id,
            kind=AGREEMENT,
            version=number,
            status="signing",
            content=content,
            sha256=sha,
            agreed_fen=agreed_fen(terms.terms),
            signers=list(plan.signer_ids),
            mediator_staff_id=staff.id,
            render_status="pending",
            created_by=f"staff:{staff.id}",
            created_at=turn.now,
        )
    )
    add_event(
        turn.session,
        room.case.id,
        turn.now,
        f"staff:{staff.id}",
        kind="agreement_drafted",
        data={
            "version": number,
            "sha256": sha,
            "signers": list(plan.signer_ids),
            "absent": [pid for pid, _ in plan.absent],
        },
    )
    return sha


async def revise(turn: Turn, staff: StaffAccount, doc_id: int) -> list[Reply]:
    """Void the version being signed and reopen its content (SIGNING → MEDIATING)."""
    doc = await turn.session.get(Document, doc_id, with_for_update=True)
    room = await load_room(turn.session, doc.case_id, lock=True) if doc else None
    if doc is None or room is None:
        return [reply("bot.stale_button")]
    if not may_run(turn, staff, room):
        return [reply("staff.not_allowed")]
    if doc.status in ("sealing", "effective"):
        return [reply("agreements.already_complete", version=doc.version)]
    if doc.status != "signing":
        return [reply("agreements.version_not_open", version=doc.version)]
    try:
        status = transition(CaseStatus(room.case.status), CaseEvent.REVISE_AGREEMENT)
    except InvalidTransition:
        return [reply("agreements.draft_not_now", status=Msg(f"status.{room.case.status}"))]
    room.case.status = status.value
    room.case.updated_at = turn.now
    doc.status = "superseded"
    add_event(
        turn.session,
        room.case.id,
        turn.now,
        f"staff:{staff.id}",
        kind="agreement_revising",
        data={"version": doc.version},
    )
    await announce(
        turn.session,
        room,
        Msg("agreements.revising_event", {"version": doc.version}),
        turn.out,
        turn.now,
        author=room.of_staff(staff.id),
    )
    turn.conv.active_case_id = room.case.id
    turn.put(STAFF_INPUT, None)
    state = Drafting(room.case.id, terms_of(doc.content).to_json())
    return await advance(turn, room, state)
