"""Signing one version of an agreement, from the chat (typed full name) or the Mini App (drawn
signature), and refusing to sign with a reason.

Rules (人民调解法 第二十九条, see mediation.agreement): a signature approves the *version* whose
SHA-256 the signer was shown — a button or page for an older version is refused as stale; each
party of the case signs (in person, or through the agent or guardian recorded for them:
mediation.parties), then the mediator; when the
mediator has signed the version is ready for the committee's seal, which the render job applies
(features.agreements.jobs), making the agreement effective.
"""

from __future__ import annotations

import asyncio
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings, public_base
from documents.errors import InvalidImageError
from documents.images import signature_ink
from features.agreements.common import (
    AgreementServices,
    Btn,
    send,
    short_sha,
    sign_url,
    webapp_enabled,
)
from features.agreements.store import case_dir, sha256_hex, signatures_of, write_file
from mediation.case_state import CaseStatus
from mediation.parties import parse_signer_id
from mediation.replies import Msg
from mediation.signing import (
    Effectiveness,
    SignatureRecord,
    SignerRole,
    SignMethod,
    effectiveness,
)
from services.delivery import Outgoing
from services.room import Room, announce, label_of
from storage.document_models import Document, DocumentSignature
from storage.models import CaseMember, CaseParty, StaffAccount


@dataclass(frozen=True)
class PaperScan:
    """A scan of the version printed and signed by hand: its key in the file store and hash."""

    key: str
    sha256: str


class SignRefusedError(Exception):
    """Why this person cannot sign (or decline) now: a catalog key and its parameters."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    @property
    def msg(self) -> Msg:
        return Msg(self.key, self.params)


@dataclass(frozen=True)
class Signer:
    """Who is signing: ``signer_id`` and, for an agent or guardian signing for several parties
    of the version, the others in ``also`` — one act, one signature row per party bound."""

    signer_id: str
    role: SignerRole
    member: CaseMember
    expected_name: str
    staff_id: int | None = None
    also: tuple[str, ...] = ()

    @property
    def signer_ids(self) -> tuple[str, ...]:
        return (self.signer_id, *self.also)


def seats_of_member(doc: Document, member_id: int) -> list[str]:
    """The signer ids of ``doc`` this room member signs (their own, and as agent or guardian)."""
    return [str(s) for s in doc.signers if parse_signer_id(str(s))[1] == member_id]


def _signatory_name(doc: Document, signer_id: str) -> str | None:
    """The name the version prints for whoever signs ``signer_id`` (the party or their agent)."""
    for entry in doc.content.get("parties", []):
        if entry.get("signer") == signer_id:
            name = entry.get("signatory") or entry.get("name")
            return str(name) if name else None
    return None


def normalise_name(text: str) -> str:
    """Names compare without width, case or spacing differences (王 建国 = 王建国)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(folded.split()) if folded.isascii() else "".join(folded.split())


async def resolve_signer(
    session: AsyncSession,
    doc: Document,
    room: Room,
    *,
    user_id: int | None = None,
    staff: StaffAccount | None = None,
) -> Signer:
    """The signer this person is for ``doc``; refuses anyone who is not one."""
    if staff is not None and doc.mediator_staff_id == staff.id:
        member = room.of_staff(staff.id)
        if member is not None and room.case.mediator_id == staff.id:
            return Signer(f"s{staff.id}", SignerRole.MEDIATOR, member, staff.display_name, staff.id)
    if user_id is not None:
        member = room.of_user(user_id)
        mine = seats_of_member(doc, member.id) if member is not None else []
        if member is not None and mine:
            name = _signatory_name(doc, mine[0])
            if name is None and member.party_id:  # a version made before per-party signers
                party = await session.get(CaseParty, member.party_id)
                name = party.name if party is not None else None
            if name is not None:
                rows = await signatures_of(session, doc.id)
                done = {r.signer_id for r in rows if r.decision == "signed"}
                todo = [s for s in mine if s not in done] or mine
                return Signer(todo[0], SignerRole.PARTY, member, name, None, tuple(todo[1:]))
    raise SignRefusedError("agreements.not_a_signer")


def check_open(doc: Document, room: Room, sha: str | None) -> None:
    """The version is the one being signed now, and ``sha`` (when given) names it."""
    if doc.status in ("sealing", "effective"):
        raise SignRefusedError("agreements.already_complete", version=doc.version)
    if doc.status != "signing" or room.case.status != CaseStatus.SIGNING.value:
        raise SignRefusedError("agreements.version_not_open", version=doc.version)
    if sha is not None and sha != doc.sha256 and not (len(sha) == 16 and doc.sha256[:16] == sha):
        raise SignRefusedError("agreements.stale_version", version=doc.version)


async def precheck(session: AsyncSession, doc: Document, signer: Signer) -> None:
    """What :func:`sign` would refuse about the signer (not the version), asked early so a
    button or page can say so before anyone types or draws."""
    rows = await signatures_of(session, doc.id)
    if any(r.signer_id == signer.signer_id and r.decision == "signed" for r in rows):
        raise SignRefusedError("agreements.already_signed", version=doc.version)
    if signer.role is SignerRole.MEDIATOR:
        state = effectiveness(doc.sha256, [str(s) for s in doc.signers], records_of(rows, doc))
        if not state.parties_signed:
            raise SignRefusedError(
                "agreements.mediator_waits",
                missing=len(state.missing_parties),
                names=missing_names(doc, state.missing_parties),
            )


def missing_names(doc: Document, missing: Sequence[str]) -> str:
    """Who has not signed, by the names the version prints: the party, and for one an agent
    signs for, who is to sign (a group's members are named one by one)."""
    names = []
    for entry in doc.content.get("parties", []):
        if entry.get("signer") not in missing:
            continue
        name = str(entry.get("name") or "")
        signatory = str(entry.get("signatory") or "")
        names.append(f"{name}（{signatory}）" if signatory and signatory != name else name)
    return "、".join(names) or "—"


def _group_progress(doc: Document, missing: Sequence[str]) -> Msg | None:
    """For a group's agreement: the mediator is told after each signature who is missing."""
    if not doc.content.get("group") or not missing:
        return None
    return Msg(
        "agreements.group_missing",
        {"version": doc.version, "count": len(missing), "names": missing_names(doc, missing)},
    )


def records_of(rows: list[DocumentSignature], doc: Document) -> list[SignatureRecord]:
    return [
        SignatureRecord(
            signer_id=r.signer_id,
            role=SignerRole(r.role),
            version=r.version_sha,
            method=SignMethod(r.method or "typed"),
            evidence=r.image_sha256 or r.typed_name or "-",
            signed_at=r.signed_at,
        )
        for r in rows
        if r.decision == "signed"
    ]


async def sign(
    session: AsyncSession,
    services: AgreementServices,
    doc: Document,
    room: Room,
    signer: Signer,
    *,
    sha: str,
    now: datetime,
    out: Outgoing,
    channel: str,
    typed_name: str | None = None,
    png: bytes | None = None,
    evidence: Mapping[str, Any] | None = None,
    paper: PaperScan | None = None,
) -> bool:
    """Record ``signer``'s signature on ``doc``; True when the version is now ready for the
    seal (the caller's transaction then wakes the render job). ``evidence``: how the signer
    was identified (features.agreements.evidence); ``paper``: a signature on paper, its scan
    checked by the mediator against this version (features.agreements.paper)."""
    check_open(doc, room, sha)
    rows = await signatures_of(session, doc.id)
    if any(r.signer_id == signer.signer_id and r.decision == "signed" for r in rows):
        raise SignRefusedError("agreements.already_signed", version=doc.version)
    party_ids = [str(s) for s in doc.signers]
    state = effectiveness(doc.sha256, party_ids, records_of(rows, doc))
    if signer.role is SignerRole.MEDIATOR and not state.parties_signed:
        raise SignRefusedError(
            "agreements.mediator_waits",
            missing=len(state.missing_parties),
            names=missing_names(doc, state.missing_parties),
        )
    image_path, image_sha = await _signature_mark(
        services, doc, room, signer, typed_name=typed_name, png=png, paper=paper
    )
    done = {r.signer_id for r in rows if r.decision == "signed"}
    new_rows = [
        DocumentSignature(
            document_id=doc.id,
            case_id=room.case.id,
            signer_id=signer_id,
            role=signer.role.value,
            member_id=signer.member.id,
            staff_id=signer.staff_id,
            version_sha=doc.sha256,
            decision="signed",
            method=_method(png, paper).value,
            typed_name=signer.expected_name if png is None else None,
            image_path=image_path,
            image_sha256=image_sha,
            channel=channel,
            signed_at=now,
            evidence=dict(evidence) if evidence is not None else None,
        )
        for signer_id in signer.signer_ids
        if signer_id not in done
    ]
    session.add_all(new_rows)
    state = effectiveness(doc.sha256, party_ids, records_of([*rows, *new_rows], doc))
    return await _after_signing(session, services, doc, room, signer, state, out=out, now=now)


async def _signature_mark(
    services: AgreementServices,
    doc: Document,
    room: Room,
    signer: Signer,
    *,
    typed_name: str | None,
    png: bytes | None,
    paper: PaperScan | None,
) -> tuple[str | None, str | None]:
    """The signature's mark as stored: ``(image_path, image_sha256)``. A drawn signature is
    checked for ink and kept as a file; a paper scan is kept whole by its own record (only its
    hash here); a typed name must be the signer's own (refused otherwise)."""
    if paper is not None:
        return None, paper.sha256  # the scan is kept whole, not printed as a signature image
    if png is not None:
        # Raises InvalidImageError for anything but a sane PNG with a drawing on it.
        if not await asyncio.to_thread(signature_ink, png):
            raise InvalidImageError("signature image is blank")
        image_sha = sha256_hex(png)
        image_path = await write_file(
            services.store,
            case_dir(room.case.id) / f"sig-{doc.id}-{signer.signer_id}-{image_sha[:12]}.png",
            png,
        )
        return image_path, image_sha
    if typed_name is None or normalise_name(typed_name) != normalise_name(signer.expected_name):
        raise SignRefusedError("agreements.name_mismatch")
    return None, None


async def _after_signing(
    session: AsyncSession,
    services: AgreementServices,
    doc: Document,
    room: Room,
    signer: Signer,
    state: Effectiveness,
    *,
    out: Outgoing,
    now: datetime,
) -> bool:
    """Who is told what once a signature is recorded: the signer, the room, and — when every
    party has signed, or a group's roster moved — the mediator; True when the version is now
    ready for the seal."""
    me = room.addresses.get(signer.member.id)
    if me is not None:
        send(
            out,
            me,
            Msg("agreements.you_signed", {"version": doc.version, "sha": short_sha(doc.sha256)}),
        )
    await announce(
        session,
        room,
        Msg("agreements.signed_event", {"who": label_of(signer.member), "version": doc.version}),
        out,
        now,
        author=signer.member,
    )
    if state.ready_for_seal:
        doc.status, doc.render_status = "sealing", "pending"
        await announce(
            session,
            room,
            Msg("agreements.all_signed", {"version": doc.version}),
            out,
            now,
            audience=room.present(),
        )
        return True
    if signer.role is not SignerRole.PARTY:
        return False
    mediator = room.of_staff(doc.mediator_staff_id) if doc.mediator_staff_id else None
    address = room.addresses.get(mediator.id) if mediator else None
    progress = _group_progress(doc, state.missing_parties)
    if progress is not None and address is not None:
        send(out, address, progress)
    if state.parties_signed and address is not None:
        send(
            out,
            address,
            Msg("agreements.mediator_turn", {"version": doc.version, "number": room.case.number}),
            sign_rows(services.settings, doc, SignerRole.MEDIATOR),
        )
    return False


def _method(png: bytes | None, paper: PaperScan | None) -> SignMethod:
    if paper is not None:
        return SignMethod.HANDWRITTEN
    return SignMethod.CANVAS if png is not None else SignMethod.TYPED


async def decline(
    session: AsyncSession,
    doc: Document,
    room: Room,
    signer: Signer,
    reason: str,
    *,
    now: datetime,
    out: Outgoing,
    channel: str,
) -> None:
    """Record a refusal to sign this version; everyone in the room is told, with the reason."""
    check_open(doc, room, None)
    existing = list(
        (
            await session.execute(
                select(DocumentSignature).where(
                    DocumentSignature.document_id == doc.id,
                    DocumentSignature.signer_id == signer.signer_id,
                )
            )
        ).scalars()
    )
    if any(r.decision == "signed" for r in existing):
        raise SignRefusedError("agreements.already_signed", version=doc.version)
    earlier = next((r for r in existing if r.decision == "declined"), None)
    if earlier is not None:  # a second refusal replaces the reason (one row per decision)
        earlier.reason, earlier.signed_at, earlier.channel = reason, now, channel
    else:
        session.add(
            DocumentSignature(
                document_id=doc.id,
                case_id=room.case.id,
                signer_id=signer.signer_id,
                role=signer.role.value,
                member_id=signer.member.id,
                staff_id=signer.staff_id,
                version_sha=doc.sha256,
                decision="declined",
                reason=reason,
                channel=channel,
                signed_at=now,
            )
        )
    await announce(
        session,
        room,
        Msg(
            "agreements.declined_event",
            {"who": label_of(signer.member), "version": doc.version, "reason": reason},
        ),
        out,
        now,
        author=signer.member,
    )


def sign_rows(settings: Settings, doc: Document, role: SignerRole) -> list[list[Btn]]:
    """The buttons under a version: draw (Mini App), type the name, and comment/decline or
    revise. Callback data carries the first 16 hex digits of the version hash (64-byte limit)."""
    rows: list[list[Btn]] = []
    if webapp_enabled(settings):
        url = sign_url(public_base(settings), doc.public_id, doc.sha256)
        rows.append([Btn(Msg("agreements.btn_draw"), web_app=url)])
    rows.append([Btn(Msg("agreements.btn_typed"), f"ag:ty:{doc.id}:{doc.sha256[:16]}")])
    if role is SignerRole.MEDIATOR:
        rows.append([Btn(Msg("agreements.btn_revise"), f"ag:rv:{doc.id}")])
    else:
        rows.append(
            [
                Btn(Msg("agreements.btn_comment"), f"ag:cm:{doc.id}"),
                Btn(Msg("agreements.btn_decline"), f"ag:no:{doc.id}"),
            ]
        )
    return rows


def signing_prompt(doc: Document, number: str) -> Msg:
    return Msg(
        "agreements.sign_prompt", {"number": number, "version": doc.version, "sha": doc.sha256}
    )
