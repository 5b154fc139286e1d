"""Voice messages and their transcripts (语音智能笔录).

- ``voice_transcripts``: one per voice/audio message a room member sent. The audio itself is an
  ``evidence`` row (kept under DATA_DIR); the transcript records which backend and model made
  it, how long the audio was and how long transcription took, and its status:
  ``pending`` (waiting for the worker) → ``ready`` (shown to the speaker) → ``confirmed`` (the
  speaker accepted it, possibly corrected: only then it enters the case record and is relayed),
  or ``unavailable`` (no model installed: the audio is kept) / ``failed`` (decoding or the model
  failed; ``error`` says why) / ``empty`` (no speech heard: silence, or only a line Whisper
  learnt from subtitles such as 谢谢观看; ``error`` says which) / ``discarded`` (the decoder's
  answers were all refused — its prompt, a loop, another language; ``error`` says which).
- Intake voice answers (纠纷登记, before a case exists): ``case_id``/``member_id``/``evidence_id``
  are empty; the row names the speaker (``user_id``), their chat (``chat_id`` on ``channel``),
  the question answered (``step``) and the audio itself (``file_ref``, ``mime_type``, and once
  fetched ``stored_path``/``sha256``). The filed case's evidence row has the same ``file_ref``.
- Issue 23: ``confidence`` is the decoder's certainty shown to the speaker (speech.screen);
  ``problem`` says why a decoder answer was refused (``discarded``: the prompt echoed, a loop,
  another language; ``empty``: silence, a subtitle line). A room recording is not relayed when it arrives: the speaker
  chooses at confirmation whether the audio goes with the text, so the row keeps what is
  needed to relay it then (``chat_id``/``message_id`` of the original message on its channel,
  and its ``caption``).
- ``voice_transcript_versions``: every text the transcript had — the machine's, then each
  correction by the speaker — so the record shows what was said and what was changed.

The text is personal data (people say names, amounts, addresses): encrypted at rest.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, EncryptedText, utcnow


class VoiceTranscript(Base):
    __tablename__ = "voice_transcripts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int | None] = mapped_column(ForeignKey("case_members.id"))
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id"))
    #: Intake answers only (no case yet): who spoke, where to answer, which question.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: The chat the recording came from (intake: also where the transcript is answered).
    chat_id: Mapped[str | None] = mapped_column(String(64))
    #: Room recordings: the original message on its channel (copied to the room only if the
    #: speaker agrees) and the caption sent with it.
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    caption: Mapped[str | None] = mapped_column(EncryptedText)
    step: Mapped[str | None] = mapped_column(String(16))
    file_ref: Mapped[str | None] = mapped_column(String(300))
    mime_type: Mapped[str | None] = mapped_column(String(100))
    stored_path: Mapped[str | None] = mapped_column(String(300))
    sha256: Mapped[str | None] = mapped_column(String(64))
    #: The room message that relayed the audio; and, once confirmed, the one carrying the text.
    audio_message_id: Mapped[int | None] = mapped_column(ForeignKey("case_messages.id"))
    text_message_id: Mapped[int | None] = mapped_column(ForeignKey("case_messages.id"))
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8), default="zh-CN")
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    backend: Mapped[str] = mapped_column(String(32), default="")
    model: Mapped[str] = mapped_column(String(100), default="")
    duration: Mapped[float | None] = mapped_column(Float)
    seconds: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str | None] = mapped_column(EncryptedText)
    #: The decoder's certainty (0–1) of the machine text; None without one.
    confidence: Mapped[float | None] = mapped_column(Float)
    version: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column()


class VoiceTranscriptVersion(Base):
    __tablename__ = "voice_transcript_versions"
    __table_args__ = (UniqueConstraint("transcript_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    transcript_id: Mapped[int] = mapped_column(
        ForeignKey("voice_transcripts.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    #: "asr" for the machine's text, "speaker" for a correction.
    source: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
