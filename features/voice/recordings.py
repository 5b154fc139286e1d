"""A recording another feature's form keeps (the console's 代为登记 at phone width): heard at
once through the pipeline the chat's voice notes go through, its text marked （语音转写） for the
record, and a transcript row tied to the recording's evidence.

Why at once, while the form is submitted: the case is filed from the form in one transaction,
and its facts should hold what was said from the start (the ledger's search, the risk rules and
the dispatch read them); a form has no later turn to confirm in, so the staff member who
submitted it reads the text on the result page. Why the same pipeline
(:meth:`~features.voice.pipeline.VoiceService.hear`): the same model, the same screening
(the prompt echoed, loops, silence refused) and the same marker as a voice note in ``/report``.
Nothing here stops a registration: no model, no speech, an error or a recording that takes too
long each leave the recording kept as evidence and a status the form shows.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from features.voice.audio_in import asr_language
from features.voice.dictation import RECORD_LANGUAGE
from features.voice.models import VoiceTranscript, VoiceTranscriptVersion
from features.voice.pipeline import Heard, VoiceService
from i18n import translate
from mediation.replies import Msg

__all__ = ["Heard", "VoiceService", "facts_line", "hear_kept", "keep"]

#: How long a form waits for one recording's text before it files the case without it.
HEAR_SECONDS = 90.0


async def hear_kept(
    service: VoiceService | None,
    key: str,
    language: str = RECORD_LANGUAGE,
    *,
    timeout: float = HEAR_SECONDS,  # noqa: ASYNC109
) -> Heard:
    """The text of the recording stored under ``key`` (``runtime.files``), or why none."""
    if service is None or not service.worker.available:
        return Heard("unavailable", error="no speech model")
    try:
        return await asyncio.wait_for(service.hear(key, asr_language(language)), timeout)
    except TimeoutError:
        return Heard("failed", error=f"no text within {timeout:.0f} s")


def facts_line(heard: Heard) -> str | None:
    """The text as the record keeps it, marked （语音转写）; None when there is none."""
    if heard.status != "ready" or not heard.text:
        return None
    return translate(RECORD_LANGUAGE, Msg("voice.marker", {"text": heard.text}))


async def keep(
    session: AsyncSession,
    service: VoiceService | None,
    heard: Heard,
    *,
    case_id: int,
    evidence_id: int,
    channel: str,
    now: datetime,
) -> VoiceTranscript:
    """The recording's transcript row (with the machine's text as version 1), beside the case's
    evidence: where the record shows what the machine heard and how sure it was."""
    t = VoiceTranscript(
        case_id=case_id,
        evidence_id=evidence_id,
        channel=channel,
        language=RECORD_LANGUAGE,
        status=heard.status,
        backend=service.worker.spec.name if service is not None else "none",
        model=service.worker.spec.model or "" if service is not None else "",
        duration=heard.duration,
        seconds=heard.seconds,
        text=heard.text,
        confidence=heard.confidence if heard.text else None,
        version=1 if heard.text else 0,
        error=heard.error,
        created_at=now,
        updated_at=now,
    )
    session.add(t)
    await session.flush()
    if heard.text:
        session.add(
            VoiceTranscriptVersion(
                transcript_id=t.id, version=1, source="asr", text=heard.text, created_at=now
            )
        )
    return t
