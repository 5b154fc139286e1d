"""The render job: lays out PDFs, seals effective agreements and delivers the files.

Why a job and not the chat handler: a layout takes 150–300 ms and sealing 20–30 ms more; done
inside the handler's write transaction it would hold SQLite's single writer (and a PostgreSQL
row lock) that long, stalling every other chat. So a handler only writes the row (``render_status
= pending``) and, after its commit, wakes this job; the job renders in the process pool with no
transaction open, then opens a short one to store the result, change the case and queue the
messages. The row is the queue, so work left by a crash is picked up after the restart.

One job runs per process. Rows are claimed (``pending`` → ``rendering``, with the time) by a
conditional UPDATE, so two processes never render the same row; a claim older than any layout
can take (:data:`STALE_CLAIM`) belonged to a process that died, and the row is pending again.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from core.clock import Clock
from core.config import Settings, public_base
from core.tasks import cancel_and_wait
from documents.images import seal_png
from documents.pool import RenderPool
from documents.seal import Sealer
from documents.verify import make_verify_link
from features.agreements import confirmation, evidence, record_check
from features.agreements.application import application_notice
from features.agreements.common import (
    AGREEMENT,
    APPLICATION,
    Btn,
    file_message,
    send,
    short_sha,
)
from features.agreements.contexts import Mark, signed_context
from features.agreements.police import POLICE_AGREEMENT
from features.agreements.signing import seats_of_member, sign_rows, signing_prompt
from features.agreements.store import (
    case_dir,
    filename_of,
    log_download,
    sha256_hex,
    signatures_of,
    write_file,
)
from mediation.case_state import CaseEvent, CaseStatus, transition
from mediation.replies import Msg
from mediation.signing import SignerRole, SignMethod
from mediation.units import UnitDirectory
from services.cases import add_event
from services.delivery import Address, Outgoing
from services.outbox import QueuedMessage
from services.room import Room, announce, load_room
from services.timers import cancel_timers
from storage.base import utcnow
from storage.db import Database
from storage.document_models import Document
from storage.files import FileStore, local_store

log = logging.getLogger(__name__)

_SYSTEM = Address("system", "-", "zh-CN")
#: Pending rows are looked for this often even without a wake-up (another process's rows).
POLL_SECONDS = 2.0
#: A live claim is refreshed every HEARTBEAT (also while the row waits in the render pool's
#: queue), so a claim this old belongs to a process that died: the row is pending again.
HEARTBEAT = timedelta(seconds=20)
STALE_CLAIM = timedelta(seconds=90)


class DocumentJobs:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        settings: Settings,
        units: UnitDirectory,
        pool: RenderPool,
        sealer: Sealer,
        deliver: Callable[[list[QueuedMessage]], None],
        files: FileStore | None = None,
        fetch: Callable[[str, str], Awaitable[bytes]] | None = None,
    ) -> None:
        self.db = db
        #: Reads a file a person sent on a channel (an organisation's seal image) by reference.
        self.fetch = fetch
        self.settings = settings
        self.files = files or local_store(settings)
        self.units = units
        self.clock = clock
        self.pool = pool
        self.sealer = sealer
        self.deliver = deliver
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._reclaimed = datetime.min.replace(tzinfo=UTC)
        #: (what, seconds) of recent renders: benchmarks and health pages read these.
        self.timings: deque[tuple[str, float]] = deque(maxlen=1000)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="document-jobs")

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait(task)

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_pending()
            except Exception:
                log.exception("document job loop")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)
            self._wake.clear()

    async def run_pending(self) -> int:
        """Render every pending row once; returns how many were processed."""
        if utcnow() - self._reclaimed > timedelta(seconds=30):  # a write lock: not every poll
            self._reclaimed = utcnow()
            async with self.db.write() as session:
                await session.execute(
                    update(Document)
                    .where(
                        Document.render_status == "rendering",
                        Document.render_claimed_at < utcnow() - STALE_CLAIM,
                    )
                    .values(render_status="pending")
                )
        async with self.db.read() as session:
            ids = list(
                (
                    await session.execute(
                        select(Document.id)
                        .where(Document.render_status == "pending")
                        .order_by(Document.id)
                    )
                ).scalars()
            )
        done = 0
        for doc_id in ids:
            if await self._claim(doc_id):
                await self._run(doc_id)
                done += 1
        return done

    async def _claim(self, doc_id: int) -> bool:
        async with self.db.write() as session:
            result = await session.execute(
                update(Document)
                .where(Document.id == doc_id, Document.render_status == "pending")
                .values(render_status="rendering", render_claimed_at=utcnow())
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    # ------------------------------------------------------------------ one row

    async def _run(self, doc_id: int) -> None:
        heartbeat = asyncio.create_task(self._heartbeat(doc_id), name=f"claim-{doc_id}")
        try:
            await self._run_claimed(doc_id)
        finally:
            await cancel_and_wait(heartbeat)

    async def _heartbeat(self, doc_id: int) -> None:
        """Keep this process's claim fresh while it works, so only a dead one's goes stale."""
        while True:
            await asyncio.sleep(HEARTBEAT.total_seconds())
            try:
                async with self.db.write() as session:
                    await session.execute(
                        update(Document)
                        .where(Document.id == doc_id, Document.render_status == "rendering")
                        .values(render_claimed_at=utcnow())
                    )
            except Exception:
                log.warning("could not refresh the render claim of document %s", doc_id)

    async def _run_claimed(self, doc_id: int) -> None:
        async with self.db.read() as session:
            doc = await session.get_one(Document, doc_id)
            signatures = await signatures_of(session, doc_id)
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            if doc.kind == AGREEMENT and doc.status == "signing":
                pdf = await self.pool.render(AGREEMENT, doc.content)
                self.timings.append(("preview", loop.time() - started))
                path = await self._write(doc, pdf, "preview")
                await self._finish(doc_id, self._preview_done, path, pdf)
            elif doc.kind == AGREEMENT and doc.status == "sealing":
                await self._seal(doc, signatures, started)
            elif doc.kind == AGREEMENT:
                await self._finish(doc_id, None, "", b"")  # superseded while queued
            else:
                pdf = await self.pool.render(doc.kind, doc.content)
                self.timings.append((doc.kind, loop.time() - started))
                suffix = "issued"
                if doc.kind == POLICE_AGREEMENT and doc.status == "effective":
                    # Signed by both parties: sealed in the police unit's name (not a committee's).
                    unit = str(doc.content.get("police_unit", {}).get("name", ""))
                    reason = f"治安调解协议书 {doc.content.get('case_no', '')}"
                    pdf = await self.sealer.seal(pdf, reason=reason, location=unit or "线上")
                    suffix = "signed"
                path = await self._write(doc, pdf, suffix)
                await self._finish(doc_id, self._issued_done, path, pdf)
        except Exception as exc:
            log.exception("rendering document %s (%s) failed", doc_id, doc.kind)
            await self._failed(doc_id, exc)

    async def _seal(self, doc: Document, signatures: list[Any], started: float) -> None:
        loop = asyncio.get_running_loop()
        marks: dict[str, Mark] = {}
        tz = self.settings.tz
        for row in signatures:
            if row.decision != "signed" or row.version_sha != doc.sha256:
                continue
            image = None
            if row.image_path:
                image = await self.files.get(row.image_path)
            marks[row.signer_id] = Mark(
                row.signed_at.astimezone(tz).date(),
                image_png=image,
                typed_name=row.typed_name,
                on_paper=row.method == SignMethod.HANDWRITTEN.value,
            )
        link = make_verify_link(public_base(self.settings), doc.public_id)
        # The day the seal makes it effective (第二十九条), printed in the seal block.
        today = self.clock.now().astimezone(tz).date()
        seals = await self._seal_images(doc)
        ctx = signed_context(doc.content, marks, verify_url=link.url, sealed_on=today, seals=seals)
        # 签署存证: appended before the seal, so the seal covers it as well.
        ctx["sign_evidence"] = evidence.page_rows(doc.content, signatures, doc.sha256, tz)
        pdf = await self.pool.render(AGREEMENT, ctx)
        rendered = loop.time()
        committee = str(doc.content.get("committee", {}).get("name", ""))
        sealed = await self.sealer.seal(
            pdf,
            reason=f"人民调解协议书 {doc.content.get('case_no', '')} 第{doc.version}版",
            location=committee or "线上",
        )
        self.timings.append(("render_signed", rendered - started))
        self.timings.append(("seal", loop.time() - rendered))
        path = await self._write(doc, sealed, "signed")
        await self._finish(doc.id, self._sealed_done, path, sealed, key_digest(link.key), link.url)

    async def _seal_images(self, doc: Document) -> dict[str, bytes]:
        """Organisations' seal images named in the version (``channel:file_ref`` as sent in
        the chat, read back from the channel here, outside any transaction). One that cannot
        be read leaves the seal line printed without the image, and is logged."""
        out: dict[str, bytes] = {}
        for entry in doc.content.get("parties", []):
            key = str(entry.get("seal_key") or "")
            channel, _, ref = key.partition(":")
            if not ref or key in out or self.fetch is None:
                continue
            try:
                out[key] = await asyncio.to_thread(seal_png, await self.fetch(channel, ref))
            except Exception:
                log.exception("seal image of %s could not be read", entry.get("role"))
        return out

    async def _write(self, doc: Document, pdf: bytes, suffix: str) -> str:
        name = f"{doc.kind}-{doc.public_id}-v{doc.version}-{suffix}.pdf"
        return await write_file(self.files, case_dir(doc.case_id) / name, pdf)

    async def _finish(
        self, doc_id: int, step: Callable[..., Any] | None, path: str, pdf: bytes, *extra: str
    ) -> None:
        async with self.db.write() as session:
            doc = await session.get_one(Document, doc_id, with_for_update=True)
            doc.render_status, doc.render_error = "done", None
            out = Outgoing(_SYSTEM)
            if step is not None:
                room = await load_room(session, doc.case_id, lock=True)
                if room is not None:
                    await step(session, doc, room, out, path, pdf, *extra)
            queued = await out.flush(session)
        if queued:
            self.deliver(queued)

    # ------------------------------------------------------------------ results

    async def _preview_done(
        self, session: Any, doc: Document, room: Room, out: Outgoing, path: str, pdf: bytes
    ) -> None:
        if doc.status != "signing":
            return  # revised while the preview was laid out: nobody needs it
        doc.preview_path = path
        caption = Msg(
            "agreements.preview_caption",
            {"number": room.case.number, "version": doc.version, "sha": short_sha(doc.sha256)},
        )
        for member in room.present():
            address = room.addresses.get(member.id)
            if address is None:
                continue
            out.send_message(address, file_message(address, path, filename_of(doc), caption))
            log_download(
                session,
                doc,
                actor=f"member:{member.id}",
                channel=address.channel,
                at=self.clock.now(),
            )
            role = None
            if seats_of_member(doc, member.id):
                role = SignerRole.PARTY
            elif member.staff_id is not None and member.staff_id == doc.mediator_staff_id:
                role = SignerRole.MEDIATOR
            if role is not None:
                send(
                    out,
                    address,
                    signing_prompt(doc, room.case.number),
                    sign_rows(self.settings, doc, role),
                )

    async def _sealed_done(
        self,
        session: Any,
        doc: Document,
        room: Room,
        out: Outgoing,
        path: str,
        pdf: bytes,
        key_digest: str,
        url: str,
    ) -> None:
        now = self.clock.now()
        if doc.status != "sealing" or room.case.status != CaseStatus.SIGNING.value:
            doc.status = "void"  # the case was closed (failed, withdrawn) while sealing
            return
        doc.file_path, doc.pdf_sha256, doc.verify_key_digest = path, sha256_hex(pdf), key_digest
        doc.sealed, doc.sealed_at, doc.status = True, now, "effective"
        room.case.status = transition(CaseStatus.SIGNING, CaseEvent.ALL_SIGNED).value
        room.case.updated_at = now
        room.case.outcome = "success"
        room.case.session_open = False
        # The mediation period is over: its reminders would only say so (features.room.staff does the same).
        await cancel_timers(session, [f"deadline:{room.case.id}:{k}" for k in ("3d", "1d", "due")])
        add_event(
            session,
            room.case.id,
            now,
            "system",
            kind="agreement_effective",
            data={
                "version": doc.version,
                "sha256": doc.sha256,
                "pdf_sha256": doc.pdf_sha256,
                "document": doc.public_id,
            },
        )
        await announce(
            session,
            room,
            Msg("agreements.effective_event", {"version": doc.version}),
            out,
            now,
            audience=[],
        )
        # A payment plan the parties accepted by offer is tracked from today (第二十九条).
        # Imported here: the negotiation feature imports this package's modules at its import.
        from features.negotiation.effect import on_agreement_effective

        await on_agreement_effective(session, room, now, self.settings.tz, out)
        for member in room.present():
            address = room.addresses.get(member.id)
            if address is None:
                continue
            out.send_message(address, file_message(address, path, filename_of(doc)))
            log_download(session, doc, actor=f"member:{member.id}", channel=address.channel, at=now)
            send(
                out,
                address,
                Msg(
                    "agreements.effective_notice",
                    {
                        "number": room.case.number,
                        "version": doc.version,
                        "sha": doc.pdf_sha256,
                        "url": url,
                    },
                ),
            )
        # 第二百零五条（二）: the court where the mediation organisation (the issuing committee) sits.
        unit = self.units.issuer(room.case.unit_code) or self.units.by_code.get(
            room.case.unit_code, self.units.default
        )
        await confirmation.offer(session, room, doc, unit, now, self.settings.tz, out)

    async def _issued_done(
        self, session: Any, doc: Document, room: Room, out: Outgoing, path: str, pdf: bytes
    ) -> None:
        # A 笔录 awaiting the parties' check stays "checking"; one superseded meanwhile stays so.
        doc.file_path, doc.pdf_sha256 = path, sha256_hex(pdf)
        now = self.clock.now()
        if doc.kind == POLICE_AGREEMENT and doc.status == "effective":
            doc.sealed, doc.sealed_at = True, now
        for member_id in doc.deliver_to:
            member = room.by_id(int(member_id))
            address = room.addresses.get(member.id) if member else None
            if member is None or address is None:
                continue
            caption = Msg("agreements.issued_caption", {"number": room.case.number})
            out.send_message(address, file_message(address, path, filename_of(doc), caption))
            log_download(session, doc, actor=f"member:{member.id}", channel=address.channel, at=now)
            if doc.kind == APPLICATION:
                jc_id = int(doc.content.get("confirmation", 0) or 0)
                party = member.role in ("applicant", "respondent")
                rows = confirmation.submitted_button(jc_id) if jc_id and party else []
                send(out, address, application_notice(doc), rows)
        record_check.after_render(doc, room, out)

    async def _failed(self, doc_id: int, exc: Exception) -> None:
        async with self.db.write() as session:
            doc = await session.get_one(Document, doc_id, with_for_update=True)
            doc.render_status, doc.render_error = "failed", f"{type(exc).__name__}: {exc}"[:2000]
            room = await load_room(session, doc.case_id)
            out = Outgoing(_SYSTEM)
            mediator = (
                room.of_staff(room.case.mediator_id) if room and room.case.mediator_id else None
            )
            address = room.addresses.get(mediator.id) if room and mediator else None
            if room is not None and address is not None:
                send(
                    out,
                    address,
                    Msg(
                        "agreements.render_failed",
                        {"number": room.case.number, "error": str(exc)[:300]},
                    ),
                    [[Btn(Msg("agreements.btn_retry"), f"ag:rt:{doc.id}")]],
                )
            queued = await out.flush(session)
        if queued:
            self.deliver(queued)


def key_digest(key: str) -> str:
    """What the database keeps of a verify key: its SHA-256 (the key itself is only in the QR)."""
    return hashlib.sha256(key.encode()).hexdigest()
