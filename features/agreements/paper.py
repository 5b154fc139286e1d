"""A signature on paper: for a party who cannot sign on a phone, the version is printed, signed
by hand (签名、盖章或按指印, 人民调解法 第二十九条), and the scan uploaded; the mediator confirms the
scan is of *this* version (its hash is shown beside the upload) and the signature is recorded
as 手写签名 with its evidence (``features.agreements.evidence``: the scan's key and SHA-256, who
checked it, from which address).

The scan is kept whole in the file store, not printed as a signature image: the sealed 协议书
prints the signer's name marked as signed on paper, and its 签署存证 page names the scan's hash.
Everything else — who may sign for whom, the order (parties, then the mediator), a stale
version refused — is :func:`features.agreements.signing.sign`'s, as for any signature.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from features.agreements import evidence
from features.agreements.common import AgreementServices
from features.agreements.signing import (
    PaperScan,
    Signer,
    SignRefusedError,
    check_open,
    sign,
)
from features.agreements.store import case_dir, latest_agreement, sha256_hex, signatures_of
from mediation.parties import parse_signer_id
from mediation.signing import SignerRole
from services.delivery import Outgoing
from services.room import load_room
from storage.document_models import Document
from storage.models import StaffAccount

#: A phone photo or a scanner's PDF of one or two pages.
MAX_SCAN_BYTES = 1024 * 1024  # the web server takes requests of 1 MB (web.app)
_KINDS = (
    (b"%PDF-", "pdf", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "png", "image/png"),
    (b"\xff\xd8\xff", "jpg", "image/jpeg"),
)


@dataclass(frozen=True)
class PaperSigner:
    signer_id: str
    label: str
    signed: bool


@dataclass(frozen=True)
class PaperSigning:
    """The version being signed now, for the console's upload form."""

    doc_id: int
    version: int
    sha256: str
    signers: tuple[PaperSigner, ...]


def scan_type(data: bytes) -> tuple[str, str]:
    """(extension, content type) of a scan: PDF, PNG or JPEG by their first bytes."""
    if not data or len(data) > MAX_SCAN_BYTES:
        raise SignRefusedError("agreements.paper_bad_file")
    for magic, ext, content_type in _KINDS:
        if data.startswith(magic):
            return ext, content_type
    raise SignRefusedError("agreements.paper_bad_file")


def _label(entry: Mapping[str, Any]) -> str:
    """``申请人二 李强（张秀英代签）``: the party bound and, when another signs, who signs."""
    name, signatory = str(entry.get("name", "")), str(entry.get("signatory") or "")
    who = f"{name}（{signatory}代签）" if signatory and signatory != name else name
    return f"{entry.get('role', '')} {who}"


async def signing_now(session: AsyncSession, case_id: int) -> PaperSigning | None:
    """The agreement version open for signing, with each party signer and whether they have."""
    doc = await latest_agreement(session, case_id)
    if doc is None or doc.status != "signing":
        return None
    done = {r.signer_id for r in await signatures_of(session, doc.id) if r.decision == "signed"}
    signers = tuple(
        PaperSigner(str(p["signer"]), _label(p), str(p["signer"]) in done)
        for p in doc.content.get("parties", [])
        if p.get("signer")
    )
    return PaperSigning(doc.id, doc.version, doc.sha256, signers)


async def record(
    session: AsyncSession,
    services: AgreementServices,
    case_id: int,
    mediator: StaffAccount,
    *,
    signer_id: str,
    sha: str,
    confirmed: bool,
    scan: bytes,
    uploaded_by: str,
    ip: str,
    now: datetime,
    out: Outgoing,
) -> tuple[Document, bool]:
    """Record ``signer_id``'s signature on paper; returns the version and whether it is now
    ready for the seal. Only the case's mediator confirms a scan, and only against the hash of
    the version open for signing."""
    doc = await latest_agreement(session, case_id)
    room = await load_room(session, case_id, lock=True)
    if doc is None or room is None:
        raise SignRefusedError("agreements.paper_nothing_to_sign")
    if doc.mediator_staff_id != mediator.id or room.case.mediator_id != mediator.id:
        raise SignRefusedError("agreements.paper_not_mediator")
    check_open(doc, room, sha or "-")
    if not confirmed:
        raise SignRefusedError("agreements.paper_not_confirmed")
    if signer_id not in [str(s) for s in doc.signers]:
        raise SignRefusedError("agreements.not_a_signer")
    member = room.by_id(parse_signer_id(signer_id)[1] or 0)
    name = next(
        (
            str(p.get("signatory") or p.get("name"))
            for p in doc.content.get("parties", [])
            if p.get("signer") == signer_id
        ),
        None,
    )
    if member is None or name is None:
        raise SignRefusedError("agreements.not_a_signer")
    ext, content_type = scan_type(scan)
    digest = sha256_hex(scan)
    key = (case_dir(case_id) / f"scan-{doc.id}-{signer_id}-{digest[:12]}.{ext}").as_posix()
    await services.store.put(key, scan, content_type=content_type)
    proof = evidence.of_paper(
        scan_key=key, scan_sha256=digest, checked_by=mediator, ip=ip, uploaded_by=uploaded_by
    )
    sealing = await sign(
        session,
        services,
        doc,
        room,
        Signer(signer_id, SignerRole.PARTY, member, name),
        sha=doc.sha256,
        now=now,
        out=out,
        channel="paper",
        evidence=proof,
        paper=PaperScan(key, digest),
    )
    return doc, sealing
