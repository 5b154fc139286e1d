"""Spoken answers in another feature's dialogue (a staff member's ``/report``), through the same
pipeline as the intake's: the recording kept, the transcript (with its confidence, a doubtful
one flagged) shown to the speaker alone, and only what they confirm — or correct — kept.

Why here and not in the dialogue's feature: what a transcript is, who may confirm it, how a
correction is versioned and how the record marks machine text (（语音转写）) against the
speaker's own (（本人输入）) are the voice feature's rules, the same in the room, the intake and
any dialogue; a dialogue only decides what the confirmed text answers.

A dialogue declares itself once (:func:`declare`: its name, the prefix of its 确认/修改 buttons
and of its catalogue keys — ``<messages>transcribing``, ``…unavailable``, ``…too_long``,
``…transcript``, ``…empty``, ``…discarded``, ``…failed``), then in its own turns
:func:`accept` a voice message, :func:`own` the transcript a button names, :func:`confirm` or
:func:`correct` it and keeps :func:`record_text`; at the end :func:`kept` says where each
recording is stored and :func:`attach` ties the transcripts to the case they became. The
intake's own spoken answers (:mod:`features.voice.intake`, dictation ``INTAKE``) take the same
steps, so a recording, a confirmation and a correction are kept alike in every dialogue.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from features.voice.audio_in import AudioIn, accept_intake_audio, notice_message
from features.voice.models import VoiceTranscript, VoiceTranscriptVersion
from features.voice.replies import Dictation, declare, dictation_of
from i18n import translate
from mediation import intake
from mediation.replies import Msg
from services.turn import Turn

__all__ = [
    "Dictation",
    "accept",
    "attach",
    "confirm",
    "correct",
    "declare",
    "kept",
    "own",
    "record_text",
]

#: The record is kept in Chinese (the 调解笔录 is a Chinese document): the marker is too.
RECORD_LANGUAGE = "zh-CN"


def record_text(t: VoiceTranscript) -> str:
    """The confirmed text as the record keeps it: the machine's marked （语音转写）, a
    correction the speaker typed after 修改 marked （本人输入）."""
    marker = "voice.marker_typed" if t.version > 1 else "voice.marker"
    return translate(RECORD_LANGUAGE, Msg(marker, {"text": t.text or ""}))


async def accept(
    turn: Turn, dictation: Dictation, question: str, payload: intake.FileInput
) -> VoiceTranscript:
    """Keep the recording and queue its transcript (inside the turn's transaction); the
    speaker is told "正在转写…" (or why there will be no text) in the dialogue's words, and
    the transcript follows after the commit with the dialogue's buttons."""
    service = turn.shared.voice
    t, notice = await accept_intake_audio(
        turn.session,
        service,
        user_id=turn.conv.user_id,
        chat_id=turn.event.chat_id,
        audio=AudioIn.of_answer(turn.event.channel, payload),
        step=dictation.step(question),
        language=turn.conv.language,
        now=turn.now,
    )
    turn.out.send_message(turn.out.sender, notice_message(notice, turn.conv.language, payload.ref))
    if service is not None:
        turn.after_commit.append(service.after_commit(t.id))
    return t


async def own(turn: Turn, dictation: Dictation, transcript_id: int) -> VoiceTranscript | None:
    """The transcript (locked) when this chat's person spoke it in ``dictation``, else None
    (a room's transcript, or one spoken in another dialogue, is not this dialogue's answer)."""
    t = (
        await turn.session.execute(
            select(VoiceTranscript).where(VoiceTranscript.id == transcript_id).with_for_update()
        )
    ).scalar_one_or_none()
    if t is None or t.user_id != turn.conv.user_id or t.step is None:
        return None
    if dictation_of(t.step) != dictation:
        return None
    return t


def confirm(turn: Turn, t: VoiceTranscript) -> None:
    t.status, t.confirmed_at, t.updated_at = "confirmed", turn.now, turn.now


def correct(turn: Turn, t: VoiceTranscript, text: str) -> None:
    """The speaker's corrected text: a new version (the machine's stays on record), confirmed."""
    t.version += 1
    t.text = text
    turn.session.add(
        VoiceTranscriptVersion(
            transcript_id=t.id, version=t.version, source="speaker", text=text, created_at=turn.now
        )
    )
    confirm(turn, t)


async def kept(session: AsyncSession, ids: Sequence[int]) -> dict[str, str]:
    """Each recording's key in the file store by its channel reference (those stored yet)."""
    if not ids:
        return {}
    rows = await session.execute(
        select(VoiceTranscript.file_ref, VoiceTranscript.stored_path).where(
            VoiceTranscript.id.in_(list(ids))
        )
    )
    return {ref: path for ref, path in rows.all() if ref is not None and path is not None}


async def attach(session: AsyncSession, ids: Sequence[int], case_id: int) -> None:
    """The transcripts belong to the case their dialogue registered."""
    if not ids:
        return
    rows = await session.execute(
        select(VoiceTranscript).where(VoiceTranscript.id.in_(list(ids))).with_for_update()
    )
    for t in rows.scalars():
        t.case_id = case_id
