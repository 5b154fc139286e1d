"""Keeping a voice message: the audio as evidence (or, during the intake, on the transcript
row), a pending transcript queued for the workers, and the notice the speaker reads.

Why apart from :mod:`features.voice.pipeline`: this part runs inside the conversation turn's
transaction (what arrived must be stored before anything is done with it), while the pipeline
works after the commit, off the event loop; the two meet at the ``pending`` transcript row.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from features.voice.models import VoiceTranscript
from features.voice.replies import dictation_of, no_text_reply
from mediation.intake import FileInput
from mediation.replies import Msg, Reply
from services.outbox import render
from services.outgoing import TextMessage
from services.room import Room
from speech.audio import extension_for
from storage.files import FileStore
from storage.models import CaseMember, Evidence

if TYPE_CHECKING:  # the pipeline imports this module
    from features.voice.pipeline import VoiceService

AUDIO_KINDS = frozenset({"voice", "audio"})
#: Telegram's Bot API serves files up to 20 MB; a longer recording is kept but not transcribed.
MAX_AUDIO_BYTES = 20 * 1024 * 1024
MAX_TEXT = 4000


@dataclass(frozen=True)
class AudioIn:
    """A voice or audio message as any channel delivers it.

    ``data`` is given when the channel already holds the bytes (a browser upload); otherwise
    the file is fetched by ``file_ref`` from the channel after the transaction commits.
    """

    kind: str  # "voice" or "audio"
    channel: str
    file_ref: str
    mime_type: str | None = None
    name: str | None = None
    size: int | None = None
    data: bytes | None = None
    #: Where the recording was sent (to copy it to the room later, if the speaker agrees),
    #: and the caption sent with it.
    chat_id: str | None = None
    message_id: int | None = None
    caption: str | None = None

    @classmethod
    def of_answer(cls, channel: str, payload: FileInput) -> AudioIn:
        """A recording sent as a dialogue's answer (intake, ``/report``), or to a room."""
        return cls(
            kind=payload.kind,
            channel=channel,
            file_ref=payload.ref,
            mime_type=payload.mime_type,
            name=payload.name,
            size=payload.size,
        )


def notice_message(notice: Reply, language: str, audio_ref: str) -> TextMessage:
    """The speaker's notice ("正在转写…") with the recording's reference (see module doc)."""
    return replace(render(notice, language), audio_ref=audio_ref)


def asr_language(language: str) -> str | None:
    """Mandarin unless the speaker chose English (then Whisper detects the language)."""
    return None if language == "en" else "zh"


def evidence_key(ev: Evidence) -> str:
    """The recording's key in the file store (``stored_path`` keeps it)."""
    return f"evidence/{ev.case_id}/{ev.id}{extension_for(ev.mime_type, ev.kind)}"


def intake_audio_key(t: VoiceTranscript) -> str:
    """An intake answer's audio, kept before any case exists."""
    return f"evidence/intake/t{t.id}{extension_for(t.mime_type, 'voice')}"


async def write_file(files: FileStore, key: str, data: bytes, mime: str | None) -> str:
    """Store atomically; return the SHA-256 (kept with the evidence to show it is unchanged)."""
    await files.put(key, data, content_type=mime or "application/octet-stream")
    return hashlib.sha256(data).hexdigest()


@contextlib.asynccontextmanager
async def local_copy(files: FileStore, key: str) -> AsyncIterator[Path]:
    """A path the speech worker's processes can open: the file itself in a directory store,
    a temporary copy (removed afterwards) when the store is a bucket."""
    path = files.local_path(key)
    if path is not None:
        yield path
        return
    data = await files.get(key)
    with tempfile.TemporaryDirectory(prefix="mediation-voice-") as tmp:
        copy = Path(tmp) / PurePosixPath(key).name
        await asyncio.to_thread(copy.write_bytes, data)
        yield copy


async def accept_audio(
    session: AsyncSession,
    service: VoiceService | None,
    room: Room,
    member: CaseMember,
    audio: AudioIn,
    *,
    audio_message_id: int | None,
    language: str,
    now: datetime,
) -> tuple[VoiceTranscript, Reply]:
    """Keep ``audio`` as the speaker's evidence in ``room``'s case and queue its transcription.

    The entry point for every channel: the caller does not relay the audio (the speaker decides
    at confirmation whether it goes to the other side; give ``chat_id``/``message_id`` so it
    can be copied then — ``audio_message_id`` only for a recording already in the room), calls
    this in the same transaction, sends the returned reply to the speaker ("正在转写…", or
    "transcription unavailable"), and after the commit calls ``service.schedule(transcript.id)``.
    """
    ev = Evidence(
        case_id=room.case.id,
        party_id=member.party_id,
        kind=audio.kind,
        channel=audio.channel,
        file_ref=audio.file_ref,
        file_name=audio.name,
        mime_type=audio.mime_type,
        size=audio.size if audio.data is None else len(audio.data),
        created_at=now,
    )
    session.add(ev)
    await session.flush()
    if audio.data is not None and service is not None:
        key = evidence_key(ev)
        ev.sha256 = await write_file(service.files, key, audio.data, audio.mime_type)
        ev.stored_path = key
    return await _queue_transcript(
        session,
        service,
        size=ev.size,
        notice_prefix="voice.",
        case_id=room.case.id,
        member_id=member.id,
        evidence_id=ev.id,
        audio_message_id=audio_message_id,
        chat_id=audio.chat_id,
        message_id=audio.message_id,
        caption=audio.caption,
        channel=audio.channel,
        language=language,
        now=now,
    )


async def _queue_transcript(
    session: AsyncSession,
    service: VoiceService | None,
    *,
    size: int | None,
    notice_prefix: str,
    now: datetime,
    **where: object,
) -> tuple[VoiceTranscript, Reply]:
    """The transcript row of one recording (pending, or unavailable/too large and why) and the
    speaker's notice: the same for a room message and an intake answer (``where`` says which)."""
    available = service is not None and service.worker.available
    too_big = (size or 0) > MAX_AUDIO_BYTES
    t = VoiceTranscript(
        **where,
        status="pending" if available and not too_big else "unavailable",
        backend=service.worker.spec.name if service is not None else "none",
        model=service.worker.spec.model if service is not None else "",
        error="too large" if too_big else None,
        created_at=now,
        updated_at=now,
    )
    session.add(t)
    await session.flush()
    room = t.member_id is not None
    if too_big:
        key = f"{notice_prefix}too_long"
    elif available:
        return t, Reply(Msg(f"{notice_prefix}transcribing"))
    else:
        key = f"{notice_prefix}unavailable"
    return t, (no_text_reply(key, t) if room else Reply(Msg(key)))


async def accept_intake_audio(
    session: AsyncSession,
    service: VoiceService | None,
    *,
    user_id: int,
    chat_id: str,
    audio: AudioIn,
    step: str,
    language: str,
    now: datetime,
) -> tuple[VoiceTranscript, Reply]:
    """Keep a spoken intake answer (``step``: the question) and queue its transcription.

    No case exists yet: the audio is kept on the transcript row (fetched and stored under
    DATA_DIR after the commit) and the draft lists it among the evidence, so the filed case
    has it as an evidence row. Returns the notice for the speaker; after the commit call
    ``service.schedule(transcript.id)``. Another dialogue's answer (``/report``) names it in
    ``step`` (:meth:`~features.voice.replies.Dictation.step`) and reads its own notices.
    """
    return await _queue_transcript(
        session,
        service,
        size=audio.size,
        notice_prefix=dictation_of(step).messages,
        user_id=user_id,
        chat_id=chat_id,
        step=step,
        file_ref=audio.file_ref,
        mime_type=audio.mime_type,
        channel=audio.channel,
        language=language,
        now=now,
    )
