"""The signing page's use cases: what the page shows a signer, and a signature it sends.

The page (``features.agreements.web``) checks who is calling — Telegram's ``initData`` or the
browser chat's session — and turns the outcomes here into JSON; everything that reads or
writes the database happens here, in one transaction per request. A Telegram ``initData``
signs once: its hash is recorded in the same transaction as the signature (``webapp_logins``),
so a replay is refused even if the first request's answer never arrived.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from documents.errors import InvalidImageError
from features.agreements import evidence
from features.agreements.common import AGREEMENT, AgreementServices, wake_after_commit
from features.agreements.initdata import WebAppUser
from features.agreements.reading import agreement_view
from features.agreements.signing import (
    Signer,
    SignRefusedError,
    check_open,
    precheck,
    resolve_signer,
    sign,
)
from features.agreements.store import filename_of, log_download
from i18n import translate
from services.delivery import Address, Outgoing
from services.outbox import QueuedMessage
from services.room import Room, load_room
from services.shared import SharedServices
from storage.db import Database
from storage.document_models import Document, WebAppLogin
from storage.models import StaffAccount, User


@dataclass(frozen=True)
class Caller:
    """Who opened the page: a Telegram user whose ``initData`` checked out, or a browser-chat
    user by their session (exactly one of the two)."""

    telegram: WebAppUser | None
    browser_user: int | None
    #: The caller's address, kept with a signature as evidence (features.agreements.evidence).
    ip: str = ""


@dataclass
class PageView:
    """What ``/webapp/sign/info`` answers. ``signer`` is None for anyone who is not one of the
    version's signers: they learn nothing about the case."""

    language: str
    found: bool
    state: str = "ready"
    message: str = ""
    signer: Signer | None = None
    number: str = ""
    version: int = 0
    sha256: str = ""
    #: The version's text for this signer (features.agreements.reading); the PDF to open.
    agreement: dict[str, Any] = field(default_factory=dict)
    has_pdf: bool = False
    public_id: str = ""


Outcome = Literal["signed", "replay", "not_found", "refused", "bad_image"]


@dataclass
class SignResult:
    outcome: Outcome
    language: str
    reason: str = ""  # why a signature was refused (SignRefusedError's key)
    message: str = ""
    version: int = 0
    queued: list[QueuedMessage] = field(default_factory=list)


async def _identity(
    session: AsyncSession, caller: Caller
) -> tuple[User | None, StaffAccount | None]:
    if caller.telegram is None:
        user = await session.get(User, caller.browser_user) if caller.browser_user else None
        return user, None
    telegram_id = caller.telegram.telegram_id
    user = (
        await session.execute(select(User).where(User.telegram_id == telegram_id))
    ).scalar_one_or_none()
    staff = (
        await session.execute(
            select(StaffAccount).where(
                StaffAccount.telegram_id == telegram_id, StaffAccount.active.is_(True)
            )
        )
    ).scalar_one_or_none()
    return user, staff


async def _document(
    session: AsyncSession, public_id: str, *, lock: bool = False
) -> Document | None:
    stmt = select(Document).where(Document.public_id == public_id[:32], Document.kind == AGREEMENT)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def _first_use(session: AsyncSession, user: WebAppUser, now: datetime) -> bool:
    """Record this ``initData`` hash; False when it was recorded before (a replay)."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(WebAppLogin)
        .values(hash=user.hash, telegram_id=user.telegram_id, used_at=now)
        .on_conflict_do_nothing(index_elements=["hash"])
        .returning(WebAppLogin.hash)
    )
    return (await session.execute(stmt)).first() is not None


async def view(
    db: Database, caller: Caller, language: str, public_id: str, version: str | None
) -> PageView:
    async with db.read() as session:
        app_user, staff = await _identity(session, caller)
        if app_user is not None:
            language = app_user.language
        doc = await _document(session, public_id)
        room = await load_room(session, doc.case_id) if doc else None
        if doc is None or room is None:
            return PageView(language, found=False)
        page = PageView(language, found=True)
        try:
            page.signer = await resolve_signer(
                session, doc, room, user_id=app_user.id if app_user else None, staff=staff
            )
            page.agreement = agreement_view(doc.content, page.signer.signer_ids)
            page.has_pdf = bool(doc.preview_path or doc.file_path)
            page.public_id = doc.public_id
            check_open(doc, room, version or None)
            await precheck(session, doc, page.signer)
        except SignRefusedError as exc:
            page.state, page.message = exc.key.rsplit(".", 1)[1], translate(language, exc.msg)
        page.number, page.version, page.sha256 = room.case.number, doc.version, doc.sha256
        return page


@dataclass(frozen=True)
class PdfFile:
    """The version's PDF a signer opens from the page: its key in the file store."""

    key: str
    filename: str


async def pdf(
    db: Database, caller: Caller, public_id: str, *, now: datetime, ip: str | None
) -> PdfFile | None:
    """The PDF of this version (the preview, or the sealed copy once there is one) for one of
    its signers; None for anyone else. Each opening is logged like a download from the chat."""
    async with db.write() as session:
        app_user, staff = await _identity(session, caller)
        doc = await _document(session, public_id)
        room = await load_room(session, doc.case_id) if doc else None
        key = doc and (doc.file_path or doc.preview_path)
        if doc is None or room is None or not key:
            return None
        try:
            signer = await resolve_signer(
                session, doc, room, user_id=app_user.id if app_user else None, staff=staff
            )
        except SignRefusedError:
            return None
        log_download(
            session,
            doc,
            actor=f"member:{signer.member.id}",
            channel="webapp" if caller.telegram is not None else "web",
            at=now,
            ip=ip,
        )
        return PdfFile(key, filename_of(doc))


async def submit(
    db: Database,
    services: AgreementServices,
    shared: SharedServices,
    caller: Caller,
    language: str,
    *,
    public_id: str,
    sha: str,
    typed_name: str | None,
    png: bytes | None,
    now: datetime,
) -> SignResult:
    """Sign the version ``sha`` of the document for ``caller``: the signature, the outbox
    messages it causes and (for Telegram) the used ``initData`` hash commit together."""
    async with db.write() as session:
        if caller.telegram is not None and not await _first_use(session, caller.telegram, now):
            return SignResult("replay", language)
        app_user, staff = await _identity(session, caller)
        if app_user is not None:
            language = app_user.language
        doc = await _document(session, public_id, lock=True)
        room: Room | None = await load_room(session, doc.case_id, lock=True) if doc else None
        if doc is None or room is None:
            return SignResult("not_found", language)
        if caller.telegram is not None:
            out = Outgoing(Address("telegram", str(caller.telegram.telegram_id), language))
        else:
            out = Outgoing(Address("web", f"user:{caller.browser_user}", language))
        try:
            signer = await resolve_signer(
                session, doc, room, user_id=app_user.id if app_user else None, staff=staff
            )
            sealing = await sign(
                session,
                services,
                doc,
                room,
                signer,
                sha=sha,
                now=now,
                out=out,
                channel="webapp" if caller.telegram is not None else "web",
                typed_name=typed_name,
                png=png,
                evidence=evidence.of_page(
                    telegram_id=caller.telegram.telegram_id if caller.telegram else None,
                    initdata_hash=caller.telegram.hash if caller.telegram else None,
                    user=app_user,
                    staff=staff,
                    ip=caller.ip,
                ),
            )
        except SignRefusedError as exc:
            # Committed anyway: the used initData hash must not sign later either.
            result = SignResult(
                "refused",
                language,
                reason=exc.key.rsplit(".", 1)[1],
                message=translate(language, exc.msg),
            )
        except InvalidImageError:
            result = SignResult("bad_image", language)
        else:
            if sealing:
                wake_after_commit(session, shared)
            result = SignResult("signed", language, version=doc.version)
        result.queued = await out.flush(session)
    return result
