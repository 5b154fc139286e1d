"""The browser chat's files as use cases: quotas, unsent uploads and their sweep, mailbox
attachments and the download log. The web handlers (``web_files``) parse requests and call these.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select

from core.clock import Clock
from features.agreements.store import log_download
from features.webchat.models import WebMailboxMessage, WebUpload
from storage.db import Database
from storage.document_models import Document
from storage.files import BadKey, FileStore, FileStoreError

log = logging.getLogger(__name__)

#: Per person: files uploaded but not yet sent in a message, and bytes uploaded in a day.
#: Files never sent are deleted after ``UNSENT_TTL`` (:func:`sweep`). Uploads had no quota and
#: unsent files stayed for ever (issue 21).
MAX_UNSENT = 10
DAILY_BYTES = 100 * 1024 * 1024
UNSENT_TTL = timedelta(hours=1)
SWEEP_EVERY = 600.0


async def over_quota(db: Database, user_id: int, size: int, now: datetime) -> bool:
    """Whether one more upload of ``size`` bytes would exceed this person's quota."""
    async with db.read() as session:
        unsent, today = (
            await session.execute(
                select(
                    func.count().filter(WebUpload.attached_at.is_(None)),
                    func.coalesce(func.sum(WebUpload.size), 0),
                ).where(
                    WebUpload.user_id == user_id, WebUpload.created_at > now - timedelta(days=1)
                )
            )
        ).one()
    return int(unsent) >= MAX_UNSENT or int(today) + size > DAILY_BYTES


async def sweep(db: Database, files: FileStore, now: datetime, limit: int = 200) -> int:
    """Delete uploads never sent in a message, ``UNSENT_TTL`` after they came; how many.

    Each row is removed in its own transaction, only if still unsent (a message naming it may
    arrive meanwhile, or another replica may sweep the same row), and its file after that.
    """
    async with db.read() as session:
        rows = (
            await session.execute(
                select(WebUpload.id, WebUpload.key)
                .where(WebUpload.attached_at.is_(None), WebUpload.created_at < now - UNSENT_TTL)
                .order_by(WebUpload.id)
                .limit(limit)
            )
        ).all()
    removed = 0
    for row_id, key in rows:
        async with db.write() as session:
            gone = await session.execute(
                delete(WebUpload).where(WebUpload.id == row_id, WebUpload.attached_at.is_(None))
            )
        if not gone.rowcount:  # type: ignore[attr-defined]
            continue
        try:
            await files.delete(key)
        except (BadKey, FileStoreError) as exc:
            log.warning("unsent upload %s not deleted: %s", key[-40:], type(exc).__name__)
        removed += 1
    if removed:
        log.info("deleted %s uploads never sent", removed)
    return removed


async def run_sweeper(db: Database, files: FileStore, clock: Clock) -> None:
    while True:
        await asyncio.sleep(SWEEP_EVERY)
        try:
            await sweep(db, files, clock.now())
        except Exception:
            log.exception("sweeping unsent uploads failed")


async def record_upload(db: Database, user_id: int, key: str, size: int, now: datetime) -> None:
    """An upload waits here, counted against the quota, until a message attaches it."""
    async with db.write() as session:
        session.add(WebUpload(user_id=user_id, key=key, size=size, created_at=now))


async def mailbox_payload(db: Database, user_id: int, seq: int) -> dict[str, Any] | None:
    """The message at ``seq`` in this person's own mailbox (nobody else's), as stored."""
    async with db.read() as session:
        row = (
            await session.execute(
                select(WebMailboxMessage).where(
                    WebMailboxMessage.user_id == user_id, WebMailboxMessage.seq == seq
                )
            )
        ).scalar_one_or_none()
    return dict(row.payload) if row is not None else None


async def log_document_download(
    db: Database, relative: str, *, actor: str, at: datetime, ip: str
) -> None:
    """A generated document that leaves the service is logged (``document_downloads``)."""
    async with db.write() as session:
        doc = (
            await session.execute(
                select(Document)
                .where((Document.file_path == relative) | (Document.preview_path == relative))
                .limit(1)
            )
        ).scalar_one_or_none()
        if doc is not None:
            log_download(session, doc, actor=actor, channel="web", at=at, ip=ip[:64])
