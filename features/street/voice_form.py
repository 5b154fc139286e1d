"""Voice on the console's registration form: each recording uploaded with the form is heard at
once through the voice feature's pipeline (``features.voice.recordings``), its text joins the
facts marked （语音转写） — as a voice note's confirmed text does in the chat's ``/report`` — and
the recording stays attached as evidence, with its transcript beside it.

A recording without text (no model, silence, an error, too slow) never stops the registration:
the case is filed with what was typed, and the result page says which recording was not
transcribed and why (``street.console.voice_*``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from features.street.registration import EvidenceIn, ReportIn
from features.voice.recordings import Heard, VoiceService, facts_line, hear_kept, keep
from storage.models import Evidence


@dataclass(frozen=True)
class HeardUpload:
    """One recording of the form: its file name, its key in the file store, what was heard."""

    name: str
    key: str
    heard: Heard

    @property
    def transcribed(self) -> bool:
        return facts_line(self.heard) is not None


async def hear_uploads(
    voice: VoiceService | None, evidence: Sequence[EvidenceIn]
) -> list[HeardUpload]:
    """Each kept recording heard, one after the other (the speech workers are few)."""
    return [
        HeardUpload(e.name or "", e.stored, await hear_kept(voice, e.stored))
        for e in evidence
        if e.kind == "voice" and e.stored
    ]


def with_text(report: ReportIn, heard: Sequence[HeardUpload]) -> ReportIn:
    """The report with each recording's text after the typed facts."""
    lines = [line for h in heard if (line := facts_line(h.heard)) is not None]
    if not lines:
        return report
    return dataclasses.replace(report, facts="\n".join([report.facts, *lines]))


async def keep_transcripts(
    session: AsyncSession,
    voice: VoiceService | None,
    case_id: int,
    heard: Sequence[HeardUpload],
    now: datetime,
) -> None:
    """Each recording's transcript row, tied to the evidence row the case keeps it as."""
    if not heard:
        return
    rows = await session.execute(
        select(Evidence.id, Evidence.stored_path).where(Evidence.case_id == case_id)
    )
    evidence = {stored: ev_id for ev_id, stored in rows.all() if stored}
    for h in heard:
        if h.key in evidence:
            await keep(
                session,
                voice,
                h.heard,
                case_id=case_id,
                evidence_id=evidence[h.key],
                channel="console",
                now=now,
            )
