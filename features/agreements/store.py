"""Reading and writing documents: versions, signatures, files in the file store, download log,
and the document store the staff console lists and downloads from.

Files are kept next to each other under the key ``documents/<case id>/…`` of the file store
(``storage.files``: ``DATA_DIR``, a shared directory or a bucket); the database holds the key.
The store writes atomically, so a crash never leaves half a PDF under the final name.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from features.agreements.common import AGREEMENT, new_public_id
from mediation.signing import version_hash
from storage.db import Database
from storage.document_models import (
    Document,
    DocumentDownload,
    DocumentSignature,
)
from storage.files import BadKey, FileStore, LocalFileStore

if TYPE_CHECKING:
    from features.console.documents import DocumentFile, DocumentItem

#: Titles of the document kinds, as the console lists them (the documents are Chinese).
KIND_TITLES = {
    AGREEMENT: "人民调解协议书",
    "judicial_confirmation_application": "司法确认申请书",
    "mediation_application": "人民调解申请书",
    "mediation_record": "调解笔录",
}


def case_dir(case_id: int) -> PurePosixPath:
    return PurePosixPath("documents") / str(case_id)


async def write_file(files: FileStore, relative: PurePosixPath | Path, data: bytes) -> str:
    """Store ``data`` under the key ``relative``; returns the key (what the row keeps)."""
    key = PurePosixPath(relative).as_posix()
    content_type = "application/pdf" if key.endswith(".pdf") else "image/png"
    await files.put(key, data, content_type=content_type)
    return key


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def agreement_versions(session: AsyncSession, case_id: int) -> list[Document]:
    rows = await session.execute(
        select(Document)
        .where(Document.case_id == case_id, Document.kind == AGREEMENT)
        .order_by(Document.version)
    )
    return list(rows.scalars())


async def issue_document(
    session: AsyncSession,
    case_id: int,
    kind: str,
    content: dict[str, Any],
    *,
    deliver_to: list[int],
    created_by: str,
    now: datetime,
) -> Document:
    """The next version of a document given as it is, without signatures (a 申请书, a 笔录),
    pending render: the document job renders it and sends it to the members ``deliver_to``."""
    existing = await session.scalars(
        select(Document.version).where(Document.case_id == case_id, Document.kind == kind)
    )
    doc = Document(
        public_id=new_public_id(),
        case_id=case_id,
        kind=kind,
        version=max(existing, default=0) + 1,
        status="issued",
        content=content,
        sha256=version_hash(content),
        deliver_to=deliver_to,
        render_status="pending",
        created_by=created_by,
        created_at=now,
    )
    session.add(doc)
    return doc


async def latest_agreement(session: AsyncSession, case_id: int) -> Document | None:
    versions = await agreement_versions(session, case_id)
    return versions[-1] if versions else None


async def signatures_of(session: AsyncSession, document_id: int) -> list[DocumentSignature]:
    rows = await session.execute(
        select(DocumentSignature)
        .where(DocumentSignature.document_id == document_id)
        .order_by(DocumentSignature.id)
    )
    return list(rows.scalars())


def log_download(
    session: AsyncSession,
    doc: Document,
    *,
    actor: str,
    channel: str,
    at: datetime,
    ip: str | None = None,
) -> None:
    session.add(
        DocumentDownload(
            document_id=doc.id, case_id=doc.case_id, actor=actor, channel=channel, ip=ip, at=at
        )
    )


async def downloads_of(session: AsyncSession, document_id: int) -> list[DocumentDownload]:
    rows = await session.execute(
        select(DocumentDownload)
        .where(DocumentDownload.document_id == document_id)
        .order_by(DocumentDownload.id)
    )
    return list(rows.scalars())


class AgreementDocumentStore:
    """:class:`features.console.documents.DocumentStore` over the ``documents`` table.

    Lists every rendered file of a case (agreement previews are not listed once superseded:
    the console shows what is in force and what was issued). Each :meth:`open` is logged in
    ``document_downloads``; the console additionally writes its own audit entry with the staff
    member's identity, which callers can also pass here as ``actor``.
    """

    def __init__(self, db: Database, files: FileStore | Path, clock: object | None = None) -> None:
        self.db = db
        self.files = files if not isinstance(files, Path) else LocalFileStore(files)
        self.clock = clock

    def _now(self) -> datetime:
        from storage.base import utcnow

        now = getattr(self.clock, "now", None)
        return now() if callable(now) else utcnow()

    async def list_for_case(self, case_id: int) -> Sequence[DocumentItem]:
        from features.console.documents import DocumentItem

        async with self.db.read() as session:
            rows = await session.execute(
                select(Document)
                .where(Document.case_id == case_id, Document.render_status == "done")
                .order_by(Document.id)
            )
            docs = [d for d in rows.scalars() if d.status not in ("superseded", "void")]
        return [
            DocumentItem(
                id=d.public_id,
                title=_title(d),
                kind=d.kind,
                created_at=d.sealed_at or d.created_at,
                sealed=d.sealed,
            )
            for d in docs
            if d.file_path or d.preview_path
        ]

    async def open(
        self, case_id: int, document_id: str, *, actor: str = "console"
    ) -> DocumentFile | None:
        from features.console.documents import DocumentFile

        async with self.db.write() as session:
            doc = (
                await session.execute(
                    select(Document).where(
                        Document.case_id == case_id, Document.public_id == document_id
                    )
                )
            ).scalar_one_or_none()
            relative = doc and (doc.file_path or doc.preview_path)
            if doc is None or not relative:
                return None
            log_download(session, doc, actor=actor, channel="console", at=self._now())
        try:
            size = await self.files.size(relative)
        except BadKey:
            return None
        if size is None:
            return None
        return DocumentFile(
            filename=filename_of(doc),
            content_type="application/pdf",
            key=relative,
            files=self.files,
            size=size,
        )


def _title(doc: Document) -> str:
    title = KIND_TITLES.get(doc.kind, doc.kind)
    if doc.kind == AGREEMENT:
        state = "（已签章）" if doc.sealed else "（预览）"
        return f"{title} 第{doc.version}版{state}"
    return title


def filename_of(doc: Document) -> str:
    """ASCII file names travel everywhere (Telegram clients, e-mail, Windows)."""
    digits = re.findall(r"\d+", str(doc.content.get("case_no") or ""))
    number = "-".join(digits) if digits else str(doc.case_id)
    if doc.kind == AGREEMENT:
        suffix = "signed" if doc.sealed else "preview"
        return f"agreement-{number}-v{doc.version}-{suffix}.pdf"
    return f"{doc.kind.replace('_', '-')}-{number}.pdf"
