"""Tables of volunteer lawyers, lawyer requests, consultations (咨询) and the legal assistant.

Why these live in the main database: who was offered a request and when, who accepted and how
long it took are the record a station reports on (and the proof that a party asked for help),
and consultations are counted like cases; so all of it is transactional with the case it
belongs to and survives restarts.

- ``lawyer_profiles``: one per StaffAccount with role "lawyer": firm, licence number,
  specialties (dispute-type codes), languages, weekly availability and on-duty rota (slots as
  ``[weekday, start_minute, end_minute]`` in local time), the most open cases they take, paused.
- ``lawyer_requests``: a party or mediator asked for a lawyer in a case, or a person in a
  consultation; ``wait_seconds`` is the time from the request to acceptance.
- ``lawyer_offers``: each lawyer a request was offered to, with their answer and response time.
- ``consultations`` / ``consultation_messages``: questions without a case, numbered per unit and
  year like cases; messages only when a lawyer talks with the person.
- ``assistant_questions``: every question the 24-hour assistant answered and which verified
  citations it showed (the question itself is encrypted: people type names and numbers).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, EncryptedText, utcnow


class LawyerProfile(Base):
    __tablename__ = "lawyer_profiles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), unique=True)
    firm: Mapped[str] = mapped_column(String(200))
    licence_no: Mapped[str] = mapped_column(String(32), unique=True)
    specialties: Mapped[list[Any]] = mapped_column(default=list)
    languages: Mapped[list[Any]] = mapped_column(default=list)
    availability: Mapped[list[Any]] = mapped_column(default=list)
    rota: Mapped[list[Any]] = mapped_column(default=list)
    max_open_cases: Mapped[int] = mapped_column(Integer, default=5)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConsultationCounter(Base):
    """Last consultation number issued per unit and year; incremented atomically."""

    __tablename__ = "consultation_counters"

    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Consultation(Base):
    """A legal consultation (咨询) without a case: the assistant answers, a lawyer may join."""

    __tablename__ = "consultations"
    __table_args__ = (Index("ix_consultations_unit_created", "unit_code", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8), default="zh-CN")
    dispute_type: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="open")
    questions: Mapped[int] = mapped_column(Integer, default=0)
    lawyer_id: Mapped[int | None] = mapped_column(ForeignKey("lawyer_profiles.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column()


class ConsultationMessage(Base):
    """What the person and the lawyer said to each other in a consultation."""

    __tablename__ = "consultation_messages"
    __table_args__ = (Index("ix_consultation_messages_c", "consultation_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(16))  # "person" or "lawyer"
    text: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LawyerRequest(Base):
    """Someone asked for a lawyer, in a case or in a consultation (exactly one of the two)."""

    __tablename__ = "lawyer_requests"
    __table_args__ = (
        CheckConstraint("(case_id IS NULL) <> (consultation_id IS NULL)", name="one_subject"),
        Index("ix_lawyer_requests_status", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    #: ``user:<id>`` or ``staff:<id>``: who is told about progress.
    requested_by: Mapped[str] = mapped_column(String(64))
    #: applicant, respondent, mediator or person (consultation).
    requester_role: Mapped[str] = mapped_column(String(16))
    dispute_type: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8), default="zh-CN")
    question: Mapped[str | None] = mapped_column(EncryptedText)
    #: open → accepted → done; open → cancelled.
    status: Mapped[str] = mapped_column(String(16), default="open")
    stage: Mapped[str] = mapped_column(String(8), default="duty")
    lawyer_id: Mapped[int | None] = mapped_column(ForeignKey("lawyer_profiles.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    widened_at: Mapped[datetime | None] = mapped_column()
    accepted_at: Mapped[datetime | None] = mapped_column()
    wait_seconds: Mapped[int | None] = mapped_column(Integer)
    closed_at: Mapped[datetime | None] = mapped_column()


class LawyerOffer(Base):
    """A request offered to one lawyer: offered → accepted | declined | taken | withdrawn."""

    __tablename__ = "lawyer_offers"
    __table_args__ = (
        UniqueConstraint("request_id", "lawyer_id"),
        Index("ix_lawyer_offers_lawyer", "lawyer_id", "offered_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("lawyer_requests.id", ondelete="CASCADE"))
    lawyer_id: Mapped[int] = mapped_column(ForeignKey("lawyer_profiles.id"))
    stage: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="offered")
    offered_at: Mapped[datetime] = mapped_column(default=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column()
    response_seconds: Mapped[int | None] = mapped_column(Integer)


class AssistantQuestion(Base):
    """One answer of the 24-hour assistant: in a case, in a consultation, or neither."""

    __tablename__ = "assistant_questions"
    __table_args__ = (Index("ix_assistant_questions_created", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    question: Mapped[str] = mapped_column(EncryptedText)
    dispute_type: Mapped[str | None] = mapped_column(String(32))
    #: The citations shown (each passed the KB's citation check), e.g. 《劳动合同法》第三十条.
    citations: Mapped[list[Any]] = mapped_column(default=list)
    cases: Mapped[list[Any]] = mapped_column(default=list)
    #: none, pending, used, failed; ``removed`` lists citations taken out of the LLM's text.
    llm: Mapped[str] = mapped_column(String(16), default="none")
    llm_removed: Mapped[list[Any]] = mapped_column(default=list)
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def lawyer_tables() -> list[Any]:
    """This module's tables (tests and tools; the service relies on migrations)."""
    return [
        m.__table__
        for m in (
            LawyerProfile,
            ConsultationCounter,
            Consultation,
            ConsultationMessage,
            LawyerRequest,
            LawyerOffer,
            AssistantQuestion,
        )
    ]
