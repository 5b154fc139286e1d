"""Tables of the documents a case produces: agreement versions and their signatures, comments,
judicial confirmation (司法确认), downloads, and used Mini App logins.

Why rows and not files alone: a signature must name the exact version it approves (its
SHA-256), a verify page must answer for a document long after the chat is gone, and every
download of a signed agreement is part of the case file (who received the parties' personal
data, when). PDF and signature image bytes live under ``DATA_DIR/documents``; the rows hold
their relative paths and hashes.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, EncryptedJSON, EncryptedText, utcnow


class Document(Base):
    """One document of a case. An agreement has one row per version (1, 2, …).

    ``sha256`` is the version hash of ``content`` (:func:`documents.version_hash`: signatures,
    seal and verify link excluded) — what parties approve. ``pdf_sha256`` is the hash of the
    file at ``file_path`` — what the verify page compares uploads with. ``public_id`` is the id
    in the verify URL; only the SHA-256 of its random key is kept (``verify_key_digest``).
    ``render_status`` makes rendering a durable job: a row left ``pending`` by a crash is
    rendered after the restart.
    """

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("case_id", "kind", "version"),
        Index("ix_documents_render", "render_status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(48))
    version: Mapped[int] = mapped_column(Integer, default=1)
    #: draft → signing → sealing → effective; or superseded / void; others: issued.
    status: Mapped[str] = mapped_column(String(16))
    #: Encrypted: the rendered context names the parties with their ID numbers and addresses.
    content: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    sha256: Mapped[str] = mapped_column(String(64))
    #: An agreement's payments in fen, read from its terms when the version is drafted
    #: (``mediation.agreed_amount``): plain, so the dashboard sums it without decrypting
    #: ``content``. ``None`` for other documents and versions drafted before it existed.
    agreed_fen: Mapped[int | None] = mapped_column(BigInteger)
    #: Signer ids who must sign this version (parties' member ids; the mediator signs too).
    signers: Mapped[list[Any]] = mapped_column(default=list)
    mediator_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"))
    #: Room member ids the rendered file is sent to (issued documents; agreements go to all).
    deliver_to: Mapped[list[Any]] = mapped_column(default=list)
    file_path: Mapped[str | None] = mapped_column(String(300))
    preview_path: Mapped[str | None] = mapped_column(String(300))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    verify_key_digest: Mapped[str | None] = mapped_column(String(64))
    sealed: Mapped[bool] = mapped_column(Boolean, default=False)
    #: pending → rendering → done | failed (the job that renders, seals and delivers).
    render_status: Mapped[str] = mapped_column(String(16), default="pending")
    render_error: Mapped[str | None] = mapped_column(Text)
    #: When a job claimed the row; a claim older than a layout can take was lost with its process.
    render_claimed_at: Mapped[datetime | None] = mapped_column()
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sealed_at: Mapped[datetime | None] = mapped_column()


class DocumentSignature(Base):
    """A signature on (or a refusal to sign) one version, by a party member or the mediator."""

    __tablename__ = "document_signatures"
    __table_args__ = (UniqueConstraint("document_id", "signer_id", "decision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    signer_id: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(16))  # party | mediator
    member_id: Mapped[int | None] = mapped_column(ForeignKey("case_members.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"))
    version_sha: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(16))  # signed | declined
    method: Mapped[str | None] = mapped_column(String(16))  # canvas | typed
    typed_name: Mapped[str | None] = mapped_column(String(100))
    image_path: Mapped[str | None] = mapped_column(String(300))
    image_sha256: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(EncryptedText)  # typed by the signer
    channel: Mapped[str] = mapped_column(String(16))  # telegram | webapp | web | paper
    signed_at: Mapped[datetime] = mapped_column()
    #: 签署存证: the signer's identity as verified (Telegram user, phone login, staff account,
    #: a paper scan checked by the mediator), the IP address or the Mini App's initData hash,
    #: a paper scan's key and hash (features.agreements.evidence). Encrypted: it holds an IP
    #: address and a phone number. None for signatures recorded before it existed.
    evidence: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON)


class DocumentComment(Base):
    """A participant's comment on a version, kept with the version number it was made on."""

    __tablename__ = "document_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("case_members.id"))
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(EncryptedText)  # a party's comment on a draft
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class JudicialConfirmation(Base):
    """The offer of 司法确认 for an effective agreement (民事诉讼法 第二百零五条)."""

    __tablename__ = "judicial_confirmations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    #: offered → applied (application generated) | declined | expired | not_confirmable
    status: Mapped[str] = mapped_column(String(16))
    effective_on: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date)
    default_court: Mapped[str] = mapped_column(String(200))
    court: Mapped[str | None] = mapped_column(String(200))
    court_basis: Mapped[str | None] = mapped_column(String(32))
    #: {term index: [flag, …]} for terms a court will not confirm.
    flags: Mapped[dict[str, Any]] = mapped_column(default=dict)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConfirmationConsent(Base):
    """One applicant's answer: consent, service address (送达地址) and the court chosen."""

    __tablename__ = "confirmation_consents"
    __table_args__ = (UniqueConstraint("confirmation_id", "signer_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    confirmation_id: Mapped[int] = mapped_column(
        ForeignKey("judicial_confirmations.id", ondelete="CASCADE"), index=True
    )
    signer_id: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[int] = mapped_column(ForeignKey("case_members.id"))
    consent: Mapped[bool | None] = mapped_column(Boolean)
    service_address: Mapped[str | None] = mapped_column(EncryptedText)
    court: Mapped[str | None] = mapped_column(String(200))
    court_basis: Mapped[str | None] = mapped_column(String(32))
    answered_at: Mapped[datetime | None] = mapped_column()


class DocumentDownload(Base):
    """Every time a document's file left the service: sent in a chat or downloaded."""

    __tablename__ = "document_downloads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    actor: Mapped[str] = mapped_column(String(64))  # member:<id> | staff:<id> | console
    channel: Mapped[str] = mapped_column(String(16))  # telegram | console | web
    ip: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class WebAppLogin(Base):
    """The ``hash`` of every Mini App ``initData`` that signed something: a second use is a
    replay and is refused, across restarts and processes (the primary key decides)."""

    __tablename__ = "webapp_logins"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger)
    used_at: Mapped[datetime] = mapped_column()
