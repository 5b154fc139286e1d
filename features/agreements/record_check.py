"""The 调解笔录 goes to the parties to check before it says they checked it.

Why: a 笔录 ends with "以上笔录经核对无误" and the parties' signatures; printing that when no party
ever saw the record (as the service once did) is a false statement in the case file. So a 笔录
made by the service is first issued as a 核对稿 (status ``checking``: it says it awaits the
parties' check) to every party and the mediator; each party presses 核对无误 or 有异议 (with the
reason, passed to the mediator). A check or an objection is a ``document_signatures`` row on that
version (decisions ``checked`` / ``objected``, time, channel). When every party has checked it,
the next version is issued naming who checked it and when, and only that version says "经核对无误";
objections raised on earlier versions are printed in later ones (the record keeps them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from features.agreements.common import (
    PENDING,
    RECORD,
    AwaitObjection,
    Btn,
    new_public_id,
    question,
    send,
    wake_after_commit,
)
from features.agreements.contexts import load_parties
from mediation.parties import member_confirmation_id
from mediation.replies import Msg, Reply, reply
from mediation.room import Role
from mediation.signing import version_hash
from services import features
from services.delivery import Outgoing
from services.room import Room, load_room
from services.turn import Turn
from storage.document_models import Document, DocumentSignature
from storage.models import CaseMember, StaffAccount

PARTY_ROLES = (Role.APPLICANT.value, Role.RESPONDENT.value)


def local(turn: Turn, at: datetime) -> str:
    """A time as the parties read it (local, to the minute)."""
    return at.astimezone(turn.settings.tz).strftime("%Y-%m-%d %H:%M")


async def party_of(
    turn: Turn, who: features.Who, doc_id: int, kind: str, state: str
) -> tuple[Document, Room, CaseMember] | Reply:
    """The document, its room and the pressing party, if this party may still answer it."""
    doc = await turn.session.get(Document, doc_id, with_for_update=True)
    room = await load_room(turn.session, doc.case_id, lock=True) if doc else None
    if doc is None or room is None or doc.kind != kind:
        return reply("bot.stale_button")
    member = room.of_user(who.user_id)
    if member is None or member_confirmation_id(member.id) not in doc.signers:
        return reply("agreements.answer_not_party")
    if doc.status != state:
        return reply("agreements.answer_closed", version=doc.version)
    answered = await turn.session.execute(
        select(DocumentSignature.decision).where(
            DocumentSignature.document_id == doc.id,
            DocumentSignature.signer_id == member_confirmation_id(member.id),
        )
    )
    if answered.first() is not None:
        return reply("agreements.answer_given", version=doc.version)
    return doc, room, member


async def agree_or_object(
    turn: Turn, who: features.Who, doc_id: int, kind: str, state: str, verb: str, decision: str
) -> tuple[Document, Room, CaseMember] | list[Reply]:
    """A party's button on a version put to them (``verb`` ``n``: they object, and are asked
    why; else their ``decision`` is recorded): the document, room and party to go on with,
    or the replies that end the turn."""
    found = await party_of(turn, who, doc_id, kind, state)
    if isinstance(found, Reply):
        return [found]
    doc, _, member = found
    if verb == "n":
        turn.put(PENDING, AwaitObjection(doc.id))
        return [question("agreements.ask_objection")]
    answer(turn, doc, member.id, decision)
    await turn.session.flush()
    return found


def answer(turn: Turn, doc: Document, member_id: int, decision: str, reason: str = "") -> None:
    turn.session.add(
        DocumentSignature(
            document_id=doc.id,
            case_id=doc.case_id,
            signer_id=member_confirmation_id(member_id),
            role="party",
            member_id=member_id,
            version_sha=doc.sha256,
            decision=decision,
            method="chat",
            reason=reason or None,
            channel=turn.event.channel,
            signed_at=turn.now,
        )
    )


async def answers(turn: Turn, doc: Document) -> list[DocumentSignature]:
    rows = await turn.session.execute(
        select(DocumentSignature)
        .where(DocumentSignature.document_id == doc.id)
        .order_by(DocumentSignature.id)
    )
    return list(rows.scalars())


async def all_answered(turn: Turn, doc: Document, decision: str) -> bool:
    given = {a.signer_id for a in await answers(turn, doc) if a.decision == decision}
    return {str(s) for s in doc.signers} <= given


async def issue_for_check(turn: Turn, room: Room, mediator: StaffAccount) -> Reply | None:
    """Queue the 笔录's 核对稿 for the parties and the mediator (None when queued)."""
    from features.agreements.records import record_form

    parties = await load_parties(turn.session, room)
    content = await record_form(turn, room, parties, mediator)
    if isinstance(content, Msg):
        return Reply(content)
    members = [m for m in room.present() if m.role in PARTY_ROLES]
    earlier = await versions(turn, room.case.id, RECORD)
    content["check"] = "pending"
    content["objections"] = await _objections(turn, room, earlier)
    for old in earlier:
        if old.status == "checking":
            old.status = "superseded"
    me = room.of_staff(mediator.id)
    _queue(turn, room, earlier, content, [m.id for m in members], me, f"staff:{mediator.id}")
    wake_after_commit(turn.session, turn.shared)
    return None


def _queue(
    turn: Turn,
    room: Room,
    earlier: list[Document],
    content: dict[str, Any],
    party_members: list[int],
    mediator: CaseMember | None,
    by: str,
) -> Document:
    checking = content.get("check") == "pending"
    doc = Document(
        public_id=new_public_id(),
        case_id=room.case.id,
        kind=RECORD,
        version=max((d.version for d in earlier), default=0) + 1,
        status="checking" if checking else "issued",
        content=content,
        sha256=version_hash(content),
        signers=[member_confirmation_id(m) for m in party_members] if checking else [],
        deliver_to=party_members + ([mediator.id] if mediator else []),
        render_status="pending",
        created_by=by,
        created_at=turn.now,
    )
    turn.session.add(doc)
    return doc


async def versions(turn: Turn, case_id: int, kind: str) -> list[Document]:
    """The case's versions of a document of ``kind`` (笔录, oral agreement), oldest first, locked."""
    rows = await turn.session.execute(
        select(Document)
        .where(Document.case_id == case_id, Document.kind == kind)
        .order_by(Document.version)
        .with_for_update()
    )
    return list(rows.scalars())


async def _objections(turn: Turn, room: Room, earlier: list[Document]) -> list[dict[str, str]]:
    """Objections raised on earlier versions, printed in this one (the record keeps them)."""
    out = []
    names = await _names(turn, room)
    for doc in earlier:
        for a in await answers(turn, doc):
            if a.decision == "objected" and a.member_id in names:
                out.append(
                    {
                        "name": names[a.member_id],
                        "at": a.signed_at.astimezone(turn.settings.tz).strftime("%Y-%m-%dT%H:%M"),
                        "text": a.reason or "",
                    }
                )
    return out


async def _names(turn: Turn, room: Room) -> dict[int, str]:
    """Each party member's role and name as the 笔录 prints them (申请人张三)."""
    return {
        p.member_id: f"{p.label}{p.name}"
        for p in await load_parties(turn.session, room)
        if p.member_id is not None
    }


def check_buttons(doc: Document) -> list[list[Btn]]:
    return [
        [
            Btn(Msg("agreements.btn_record_ok"), f"ag:rc:y:{doc.id}"),
            Btn(Msg("agreements.btn_record_object"), f"ag:rc:n:{doc.id}"),
        ]
    ]


def after_render(doc: Document, room: Room, out: Outgoing) -> None:
    """Once the 核对稿 is rendered (and sent), each party is asked to check it."""
    if doc.kind != RECORD or doc.status != "checking":
        return
    for member_id in doc.deliver_to:
        member = room.by_id(int(member_id))
        address = room.addresses.get(member.id) if member else None
        if member is None or address is None:
            continue
        if member_confirmation_id(member.id) in doc.signers:
            send(
                out,
                address,
                Msg("agreements.record_check", {"number": room.case.number}),
                check_buttons(doc),
            )


async def on_action(turn: Turn, who: features.Who, verb: str, doc_id: int) -> list[Reply]:
    """``ag:rc:<y|n>:<doc>``: a party checked the 笔录, or objects to it."""
    found = await agree_or_object(turn, who, doc_id, RECORD, "checking", verb, "checked")
    if isinstance(found, list):
        return found
    doc, room, _ = found
    if await all_answered(turn, doc, "checked"):
        await _checked(turn, doc, room)
        return [reply("agreements.record_checked_all", number=room.case.number)]
    return [reply("agreements.record_checked_ok", at=local(turn, turn.now))]


async def _checked(turn: Turn, doc: Document, room: Room) -> None:
    """Every party checked the 核对稿: issue the version that says so, with who and when."""
    doc.status = "checked"
    by_member = {a.member_id: a for a in await answers(turn, doc) if a.decision == "checked"}
    content = dict(doc.content)
    content["check"] = "done"
    names = await _names(turn, room)
    content["checked"] = [
        {
            "name": names.get(member_id, ""),
            "at": a.signed_at.astimezone(turn.settings.tz).strftime("%Y-%m-%dT%H:%M"),
        }
        for member_id, a in by_member.items()
        if member_id is not None
    ]
    earlier = await versions(turn, room.case.id, RECORD)
    parties = [int(m) for m in doc.deliver_to if member_confirmation_id(int(m)) in doc.signers]
    mediator = room.of_staff(room.case.mediator_id) if room.case.mediator_id else None
    _queue(turn, room, earlier, content, parties, mediator, "system")
    wake_after_commit(turn.session, turn.shared)
