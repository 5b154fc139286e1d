"""The channel-agnostic voice pipeline: keep the audio, transcribe it off the event loop, show
the text to the speaker, and let only a confirmed text enter the record.

Why the speaker confirms first: a machine transcript of a party's words is not their statement
until they say it is; a wrong amount or name in the 调解笔录 could mislead the mediation. So the
transcript goes to the speaker alone (with its confidence, and 确认/确认并发送语音/修改), and only
the confirmed — possibly corrected — text is relayed under the room's rules and kept as their
statement, marked （语音转写） (or, when the speaker typed it, as their own text). The recording
itself reaches the other side only if the speaker agrees (issue 23: it used to be relayed
before the speaker had seen the transcript).

Wiring another channel (the browser chat): either

- deliver the recording through the conversation service like any message, as
  ``FileInput("voice", ref, mime_type="audio/webm")`` on an ``Inbound`` of that channel — the
  feature's message hook keeps it and queues it (relayed only when the speaker agrees) — and
  at start register how to read the bytes: ``shared.voice.register_fetcher("web", fetch)`` with
  ``async def fetch(ref: str) -> bytes``; or
- call :func:`features.voice.audio_in.accept_audio` yourself with ``AudioIn(..., data=bytes)`` inside your transaction
  and ``service.schedule(transcript.id)`` after the commit.

The speaker's 确认/修改 buttons are ordinary actions (``v:ok:<id>``, ``v:edit:<id>``) and the
correction is an ordinary text message, so they work on any channel that renders buttons.

During the intake (纠纷登记) there is no case yet: :func:`~features.voice.audio_in.accept_intake_audio` keeps the audio on
the transcript row itself (``file_ref``, later ``stored_path``) and the transcript comes back
with intake buttons (``i:v:ok:<id>``, ``i:v:edit:<id>``) that features.voice.intake turns
into the step's answer.

The notice to the speaker carries ``audio_ref`` (the file's reference on its channel): a
channel whose page does not show the person's own recording (the browser chat) plays it from
there; others ignore the key.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from features.voice.audio_in import (
    MAX_TEXT,
    asr_language,
    evidence_key,
    intake_audio_key,
    local_copy,
    write_file,
)
from features.voice.models import VoiceTranscript, VoiceTranscriptVersion
from features.voice.replies import (
    dictation_of,
    intake_transcript_reply,
    no_text_reply,
    transcript_reply,
)
from mediation.replies import Msg, Reply
from mediation.units import UnitDirectory
from services import case_watch
from services.delivery import Address, Outgoing
from services.outbox import QueuedMessage
from services.room import load_room
from speech.backends import TranscriptionUnavailable
from speech.screen import NOTHING_SAID
from speech.worker import SpeechWorker
from storage.db import Database
from storage.files import BadKey, FileStore, LocalFileStore, key_of_legacy_path
from storage.leader import Claims
from storage.models import Evidence

log = logging.getLogger(__name__)

#: How often every process looks for pending transcripts nobody works on (a replica died).
SWEEP_SECONDS = 60.0

#: file_ref → the file's bytes, one per channel (Telegram: getFile and download; see
#: :meth:`VoiceService.register_fetcher`).
Fetcher = Callable[[str], Awaitable[bytes]]
Deliver = Callable[[list[QueuedMessage]], None]


@dataclass(frozen=True)
class Heard:
    """What the pipeline made of one recording: ``ready`` (``text``), ``empty`` (no speech:
    silence, or nothing but a line Whisper learnt from subtitles, such as 谢谢观看),
    ``discarded`` (the decoder's answers refused), ``unavailable`` (no model) or ``failed``
    (``error`` says why)."""

    status: str
    text: str | None = None
    error: str | None = None
    duration: float | None = None
    seconds: float | None = None
    confidence: float | None = None


class VoiceService:
    """Background work after the commit: fetch and store the file, transcribe, tell the speaker.

    Each voice message is one asyncio task; the CPU work happens in :class:`SpeechWorker`'s
    processes. A task interrupted by a restart leaves its transcript ``pending``;
    :meth:`resume` picks it up again at the next start, and :meth:`sweep` every
    :data:`SWEEP_SECONDS` on every replica (one that died leaves its work to the others). A
    transcript is worked on under a claim (:class:`storage.leader.Claims`), so replicas that
    reach the same one do not both transcribe it.
    """

    def __init__(
        self,
        db: Database,
        data_dir: Path,
        worker: SpeechWorker,
        deliver: Deliver,
        clock: Clock,
        files: FileStore | None = None,
        units: UnitDirectory | None = None,
        public_url: str | None = None,
    ) -> None:
        self.db = db
        #: With the units, a room transcript is assessed for risk as soon as it is ready
        #: (features.console.safety); the console's address goes into the staff's alert.
        self.units = units
        self.public_url = public_url
        self.data_dir = data_dir
        #: Where recordings are kept (``runtime.files``); DATA_DIR when not given (tests).
        self.files: FileStore = files if files is not None else LocalFileStore(data_dir)
        self.worker = worker
        self.fetchers: dict[str, Fetcher] = {}
        self.deliver = deliver
        self.clock = clock
        self.claims = Claims(db)
        self._tasks: set[asyncio.Task[None]] = set()
        self._scheduled: set[int] = set()
        self._sweeper: asyncio.Task[None] | None = None

    def register_fetcher(self, channel: str, fetch: Fetcher) -> None:
        """How to get a file of ``channel`` by its ``file_ref`` when the bytes were not given to
        :func:`accept_audio` (Telegram sends only a file id)."""
        self.fetchers[channel] = fetch

    async def fetch(self, channel: str, file_ref: str) -> bytes:
        fetch = self.fetchers.get(channel)
        if fetch is None:
            raise LookupError(f"no way to fetch a {channel} file")
        return await fetch(file_ref)

    def schedule(self, transcript_id: int) -> None:
        if transcript_id in self._scheduled:  # already being worked on in this process
            return
        self._scheduled.add(transcript_id)
        task = asyncio.create_task(self._guarded(transcript_id))
        self._tasks.add(task)

        def done(t: asyncio.Task[None]) -> None:
            self._tasks.discard(t)
            self._scheduled.discard(transcript_id)

        task.add_done_callback(done)

    def after_commit(self, transcript_id: int) -> Callable[[], Awaitable[list[QueuedMessage]]]:
        """For ``turn.after_commit``: start the work, deliver nothing now."""

        async def start() -> list[QueuedMessage]:
            self.schedule(transcript_id)
            return []

        return start

    async def idle(self) -> None:
        """Wait until no voice message is being worked on (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def start_sweeping(self, every: float = SWEEP_SECONDS) -> None:
        """Look for abandoned pending transcripts every ``every`` seconds (see :meth:`sweep`)."""

        async def loop() -> None:
            while True:
                await asyncio.sleep(every)
                try:
                    await self.sweep()
                except Exception as exc:
                    log.warning("voice: sweep for pending transcripts failed: %s", exc)

        self._sweeper = asyncio.create_task(loop(), name="voice-sweep")

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
        await self.claims.close()
        await asyncio.to_thread(self.worker.close)

    async def sweep(self) -> None:
        """Schedule every pending transcript: those another process works on are skipped at
        their claim, those whose process died are taken over."""
        async with self.db.read() as session:
            ids = await session.scalars(
                select(VoiceTranscript.id).where(VoiceTranscript.status == "pending")
            )
            pending = list(ids)
        for transcript_id in pending:
            self.schedule(transcript_id)

    async def resume(self) -> None:
        """Transcripts left pending (or audio not yet stored) by a stop: start them again."""
        async with self.db.read() as session:
            rows = await session.execute(
                select(
                    VoiceTranscript.id,
                    VoiceTranscript.status,
                    Evidence.stored_path,
                    VoiceTranscript.stored_path,
                )
                .outerjoin(Evidence, Evidence.id == VoiceTranscript.evidence_id)
                .where(VoiceTranscript.status.in_(("pending", "unavailable")))
            )
            ids = [
                i
                for i, status, stored, own in rows.all()
                if status == "pending" or (stored or own) is None
            ]
        for transcript_id in ids:
            self.schedule(transcript_id)

    async def _guarded(self, transcript_id: int) -> None:
        try:
            if not await self.claims.try_claim(transcript_id):
                return  # another replica works on it
        except Exception as exc:  # the database is unreachable: the next sweep tries again
            log.warning("voice transcript %s not claimed: %s", transcript_id, exc)
            return
        try:
            await self.process(transcript_id)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("voice transcript %s failed", transcript_id)
        finally:
            await self.claims.release(transcript_id)

    async def process(self, transcript_id: int) -> None:
        async with self.db.read() as session:
            t = await session.get(VoiceTranscript, transcript_id)
            ev = await session.get(Evidence, t.evidence_id) if t and t.evidence_id else None
        if t is None or (ev is None and t.file_ref is None):
            return
        stored = ev.stored_path if ev is not None else t.stored_path
        try:
            key = key_of_legacy_path(stored, self.data_dir) if stored else None
        except BadKey:  # a row naming a file outside DATA_DIR: fetch the recording again
            key = None
        if key is None or not await self.files.exists(key):
            try:
                key = await (self._store(ev) if ev is not None else self._store_intake(t))
            except Exception as exc:
                log.warning("voice file of transcript %s not fetched: %s", t.id, exc)
                if t.status == "pending":
                    await self._finish(transcript_id, "failed", error=f"fetch: {exc}")
                return
        if t.status != "pending":
            return
        heard = await self.hear(key, asr_language(t.language))
        await self._finish(
            transcript_id,
            heard.status,
            text=heard.text,
            error=heard.error,
            duration=heard.duration,
            seconds=heard.seconds,
            confidence=heard.confidence,
        )

    async def hear(self, key: str, language: str | None) -> Heard:
        """A stored recording transcribed off the event loop and screened (``speech.screen``):
        what every recording goes through, a chat's voice note or a form's upload
        (``features.voice.recordings``)."""
        try:
            async with local_copy(self.files, key) as path:
                result = await self.worker.transcribe(path, language)
        except TranscriptionUnavailable as exc:
            return Heard("unavailable", error=str(exc))
        except Exception as exc:
            log.warning("transcription of %s failed: %r", key, exc)
            return Heard("failed", error=repr(exc)[:500])
        text = result.text.strip()[:MAX_TEXT]
        if result.problem in NOTHING_SAID:  # silence, or only a subtitle line (speech.screen)
            status, error = "empty", f"refused: {result.problem}"
        elif result.problem is not None:  # the decoder's answers were refused (speech.screen)
            status, error = "discarded", f"refused: {result.problem}"
        else:
            status, error = ("ready" if text else "empty"), None
        return Heard(
            status, text or None, error, result.duration, result.seconds, result.confidence
        )

    async def _fetch_retrying(self, channel: str, file_ref: str) -> bytes:
        for attempt in range(3):
            try:
                return await self.fetch(channel, file_ref)
            except Exception:
                if attempt == 2:
                    raise
                await asyncio.sleep(1 + attempt)
        raise AssertionError("unreachable")

    async def _store_intake(self, t: VoiceTranscript) -> str:
        assert t.file_ref is not None
        data = await self._fetch_retrying(t.channel, t.file_ref)
        key = intake_audio_key(t)
        digest = await write_file(self.files, key, data, t.mime_type)
        async with self.db.write() as session:
            row = await session.get_one(VoiceTranscript, t.id)
            row.stored_path, row.sha256 = key, digest
        return key

    async def _store(self, ev: Evidence) -> str:
        data = await self._fetch_retrying(ev.channel, ev.file_ref)
        key = evidence_key(ev)
        digest = await write_file(self.files, key, data, ev.mime_type)
        async with self.db.write() as session:
            row = await session.get_one(Evidence, ev.id)
            row.stored_path, row.sha256, row.size = key, digest, len(data)
        return key

    async def _finish(
        self,
        transcript_id: int,
        status: str,
        *,
        text: str | None = None,
        error: str | None = None,
        duration: float | None = None,
        seconds: float | None = None,
        confidence: float | None = None,
    ) -> None:
        now = self.clock.now()
        async with self.db.write() as session:
            t = await session.get_one(VoiceTranscript, transcript_id, with_for_update=True)
            if t.status != "pending":
                return  # done already (a resumed task raced a finished one)
            t.status, t.error, t.updated_at = status, error, now
            t.duration, t.seconds = duration, seconds
            t.confidence = confidence if text is not None else None
            if text is not None:
                t.text, t.version = text, 1
                session.add(
                    VoiceTranscriptVersion(
                        transcript_id=t.id, version=1, source="asr", text=text, created_at=now
                    )
                )
            address = await self._speaker(session, t)
            if address is None:
                return
            out = Outgoing(address)
            if status == "ready":
                out.reply(transcript_reply(t) if t.member_id else intake_transcript_reply(t))
                await self._watch(session, t, out, now)
            elif t.member_id:
                out.reply(no_text_reply(f"voice.{status}", t))
            else:
                out.reply(Reply(Msg(f"{dictation_of(t.step).messages}{status}")))
            queued = await out.flush(session)
        self.deliver(queued)

    async def _watch(
        self, session: AsyncSession, t: VoiceTranscript, out: Outgoing, now: datetime
    ) -> None:
        """A threat said aloud in the room raises the case when its text is ready, not when
        (or whether) the speaker confirms it (issue 20)."""
        if self.units is None or t.case_id is None or t.member_id is None or not t.text:
            return
        room = await load_room(session, t.case_id)
        member = room.by_id(t.member_id) if room is not None else None
        if room is None or member is None:
            return
        scene = case_watch.Scene(session, now, self.units, out, self.public_url)
        await case_watch.party_words(scene, room, member, t.text, "voice")

    async def _speaker(self, session: AsyncSession, t: VoiceTranscript) -> Address | None:
        """Where the speaker reads: their room address, or the chat they did the intake in."""
        if t.member_id is None or t.case_id is None:
            if t.chat_id is None:
                return None
            return Address(t.channel, t.chat_id, t.language)
        room = await load_room(session, t.case_id)
        return room.addresses.get(t.member_id) if room is not None else None
