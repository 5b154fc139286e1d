"""Tables of the mediation service (the knowledge base's own tables live in legal_kb.models).

The database is the record of truth: case state, conversation state, inbound updates, outbound
messages and timers all live here, so a crash or restart loses nothing that was acknowledged.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.base import Base, EncryptedJSON, EncryptedText, utcnow


class Unit(Base):
    """A mediation organisation (调解委员会, station, street, district, city)."""

    __tablename__ = "units"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("units.code"))
    address: Mapped[str] = mapped_column(String(300), default="")
    case_prefix: Mapped[str] = mapped_column(String(16))
    court: Mapped[str] = mapped_column(String(200), default="")
    areas: Mapped[list[Any]] = mapped_column(default=list)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)


class User(Base):
    """A person using the service through one or more channels (Telegram, browser)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    phone: Mapped[str | None] = mapped_column(EncryptedText)
    language: Mapped[str] = mapped_column(String(8), default="zh-CN")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StaffAccount(Base):
    """A mediator, police officer, lawyer, admin or viewer using the console."""

    __tablename__ = "staff_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"))
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    #: The staff member's own mobile number, registered by an admin (``admin set-phone``):
    #: logging in to the browser chat with it (verified by the one-time code) gives them their
    #: staff menu there, as linking Telegram does (``services.dispatch``). Encrypted; found by
    #: its blind index, one account per number.
    phone: Mapped[str | None] = mapped_column(EncryptedText)
    phone_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    language: Mapped[str] = mapped_column(String(8), default="zh-CN")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The staff member's own quiet hours for chat alerts ("22:00-07:00", or "off"); ``None``:
    #: the service's ``STAFF_QUIET_HOURS`` (a night-shift officer and a day mediator differ).
    quiet_hours: Mapped[str | None] = mapped_column(String(16))


class Conversation(Base):
    """Where one chat stands in its dialogue with the bot (replaces PTB's in-memory state)."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("channel", "chat_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    language: Mapped[str] = mapped_column(String(8))
    #: Encrypted: the intake draft holds the answers (phone, ID number, place) until filing.
    state: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON, default=dict)
    active_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CaseCounter(Base):
    """Last case number issued per unit and year; incremented atomically."""

    __tablename__ = "case_counters"

    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_unit_status_created", "unit_code", "status", "created_at"),
        # Keyset pagination and filters of the staff console's ledger (100,000 cases).
        Index("ix_cases_created_id", "created_at", "id"),
        Index("ix_cases_updated_id", "updated_at", "id"),
        Index("ix_cases_unit_created_id", "unit_code", "created_at", "id"),
        Index("ix_cases_mediator_created", "mediator_id", "created_at"),
        Index(
            "ix_cases_filters",
            "status",
            "dispute_type",
            "risk",
            "created_at",
            "unit_code",
            "mediator_id",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    public_id: Mapped[uuid.UUID] = mapped_column(default=uuid.uuid4, unique=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"))
    dispute_type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32), index=True)
    risk: Mapped[str] = mapped_column(String(16), default="normal")
    source: Mapped[str] = mapped_column(String(32), default="party")
    #: The court that referred the case (source court_referral: 委派, court_entrusted: 委托);
    #: 民事诉讼法 第二百零五条（一） sends a 委派 case's 司法确认 to it.
    referring_court: Mapped[str | None] = mapped_column(String(200))
    # Encrypted: what the applicant typed (may name people, places, numbers).
    facts: Mapped[str] = mapped_column(EncryptedText)
    claims: Mapped[str] = mapped_column(EncryptedText)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    #: How the applicant stated the amount, when not as a plain figure: "approximate" (大概四千八,
    #: shown 约) or "unknown" (不知道, shown 不详); None: as typed, or not given
    #: (``mediation.intake_state.AmountStated``).
    amount_stated: Mapped[str | None] = mapped_column(String(16))
    place: Mapped[str] = mapped_column(EncryptedText)  # often a home address
    language: Mapped[str] = mapped_column(String(8), default="zh-CN")
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    mediator_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"))
    room_mode: Mapped[str] = mapped_column(String(16), default="joint")
    session_open: Mapped[bool] = mapped_column(Boolean, default=False)
    deadline_at: Mapped[datetime | None] = mapped_column()
    outcome: Mapped[str | None] = mapped_column(String(32))
    outcome_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column()

    parties: Mapped[list[CaseParty]] = relationship(
        back_populates="case", order_by="CaseParty.id", cascade="all, delete-orphan"
    )


class CaseParty(Base):
    """A person on one side of a case; personal data encrypted at rest."""

    __tablename__ = "case_parties"
    __table_args__ = (
        Index("ix_case_parties_user", "user_id"),
        Index("ix_case_parties_name", "name", postgresql_ops={"name": "varchar_pattern_ops"}),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    side: Mapped[str] = mapped_column(String(16))
    ordinal: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="joined")
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(EncryptedText)
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    id_number: Mapped[str | None] = mapped_column(EncryptedText)
    address: Mapped[str | None] = mapped_column(EncryptedText)
    #: What the applicant said about the party beyond a name, for the mediator: a role
    #: (装修队老板) or, when the name is not known, how to find them (就是1202的) (issue 19).
    note: Mapped[str | None] = mapped_column(EncryptedText)
    #: The details the intake was told are not known (不知道), comma-separated: "name", "phone",
    #: "id_number". Shown 不详 while the field is empty; a value recorded later is shown instead.
    unknown: Mapped[str | None] = mapped_column(String(64))
    joined_at: Mapped[datetime | None] = mapped_column()
    #: Court-facing identity (民诉法解释 第三百五十四条), encrypted like the ID number.
    kind: Mapped[str] = mapped_column(String(16), default="person", server_default="person")
    gender: Mapped[str | None] = mapped_column(EncryptedText)
    birth_date: Mapped[str | None] = mapped_column(EncryptedText)  # ISO date
    ethnicity: Mapped[str | None] = mapped_column(EncryptedText)
    stated_age: Mapped[int | None] = mapped_column(Integer)
    #: 职业或职务 as the party gave it (人民调解申请书, 协议书: 人民调解法 第二十九条（一）).
    occupation: Mapped[str | None] = mapped_column(EncryptedText)
    capacity: Mapped[str] = mapped_column(String(16), default="full", server_default="full")
    #: Why the party is not part of the agreement (recorded by the mediator; binds them in nothing).
    absent_reason: Mapped[str | None] = mapped_column(EncryptedText)
    #: Organisations: 统一社会信用代码 (public register data), 法定代表人/负责人 and title, and the
    #: seal image's key in the file store.
    credit_code: Mapped[str | None] = mapped_column(String(18))
    legal_rep: Mapped[str | None] = mapped_column(String(100))
    legal_rep_title: Mapped[str | None] = mapped_column(String(50))
    seal_path: Mapped[str | None] = mapped_column(String(300))

    case: Mapped[Case] = relationship(back_populates="parties")


class PartyAgent(Base):
    """Someone acting for a party: a 委托代理人 (with the 授权委托书 and whether it grants 特别授权,
    checked by the mediator), a 法定代理人 (guardian), or the person signing for an organisation.
    ``member_id`` is the room seat from which they act and sign."""

    __tablename__ = "party_agents"
    __table_args__ = (
        UniqueConstraint("party_id", "kind"),
        Index("ix_party_agents_case", "case_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    party_id: Mapped[int] = mapped_column(ForeignKey("case_parties.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # mediation.parties.AgentKind
    name: Mapped[str] = mapped_column(String(100))
    id_number: Mapped[str | None] = mapped_column(EncryptedText)
    relation: Mapped[str | None] = mapped_column(String(50))  # 父亲, 监护人, 经理…
    member_id: Mapped[int | None] = mapped_column(ForeignKey("case_members.id"))
    # An agent who is a party of the case themselves (a group's representative, one of the
    # claimants): they act and sign from their own party's seat whenever they are present.
    agent_party_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_parties.id", ondelete="SET NULL")
    )
    authority: Mapped[str | None] = mapped_column(String(16))  # mediation.parties.Authority
    authority_evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id"))
    checked_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"))
    checked_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseEvent(Base):
    """Everything that happened to a case, append-only: the timeline and the audit trail."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Evidence(Base):
    """A file or photo a party gave as evidence (the bytes are fetched to DATA_DIR/files)."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    party_id: Mapped[int | None] = mapped_column(ForeignKey("case_parties.id"))
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    file_ref: Mapped[str] = mapped_column(String(300))
    file_name: Mapped[str | None] = mapped_column(String(300))
    mime_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64))
    stored_path: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboxUpdate(Base):
    """Every inbound update, written before it is acted on; handled once by (source, id)."""

    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_status", "status", "update_id"),)

    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    chat_key: Mapped[str] = mapped_column(String(64))
    #: Encrypted: the raw update (a shared contact carries the phone number).
    payload: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column()


class OutboxMessage(Base):
    """A message to deliver; written in the same transaction as the state change it reports."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status", "status", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    #: Encrypted: rendered replies echo what people typed (the intake summary, relayed text).
    payload: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    #: Plain copies of the payload's ``cm`` and ``kind``, which the invariant checker groups by
    #: in SQL (it cannot look inside the encrypted payload).
    case_message_id: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str | None] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()


class Timer(Base):
    """A durable timer (reminders, deadlines): fires once, survives restarts."""

    __tablename__ = "timers"
    __table_args__ = (Index("ix_timers_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime] = mapped_column()
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    fired_at: Mapped[datetime | None] = mapped_column()


class CaseMember(Base):
    """A person in a case's room: a party (linked to its CaseParty row) or staff.

    Labels shown to others come from ``role`` and ``ordinal`` only (申请人二, 调解员), never
    from names or Telegram accounts.
    """

    __tablename__ = "case_members"
    __table_args__ = (
        Index("ix_case_members_case", "case_id"),
        Index("ix_case_members_user", "user_id"),
        Index("ix_case_members_staff", "staff_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    ordinal: Mapped[int] = mapped_column(Integer, default=1)
    party_id: Mapped[int | None] = mapped_column(ForeignKey("case_parties.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"))
    status: Mapped[str] = mapped_column(String(16), default="active")
    is_representative: Mapped[bool] = mapped_column(Boolean, default=False)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column()


class Invitation(Base):
    """An invitation to join a case; only digests of the token and code are stored."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    party_id: Mapped[int | None] = mapped_column(ForeignKey("case_parties.id"))
    role: Mapped[str] = mapped_column(String(16))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    code_digest: Mapped[str] = mapped_column(String(64), unique=True)
    phone_hash: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="pending")
    used_at: Mapped[datetime | None] = mapped_column()
    used_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decline_reason: Mapped[str | None] = mapped_column(EncryptedText)  # typed by the party


class CaseMessage(Base):
    """One entry of the case record: a message, a file, a staff note or a room event.

    ``audience`` lists the member ids it was addressed to; staff read everything, a party
    reads what they wrote and what was addressed to them.
    """

    __tablename__ = "case_messages"
    __table_args__ = (Index("ix_case_messages_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    author_member_id: Mapped[int | None] = mapped_column(ForeignKey("case_members.id"))
    kind: Mapped[str] = mapped_column(String(16))
    #: Encrypted: what people say in the room (phones, addresses, …); events hold i18n keys.
    text: Mapped[str | None] = mapped_column(EncryptedText)
    file_ref: Mapped[str | None] = mapped_column(String(300))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    audience: Mapped[list[Any]] = mapped_column(default=list)
    channel: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StaffLinkCode(Base):
    """One-time code that links a staff account to a Telegram account (/link CODE)."""

    __tablename__ = "staff_link_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"))
    code_digest: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()


class RateHit(Base):
    """One counted request of a rate limit shared by every replica (services.rate_limits).

    ``key_hash`` is a keyed digest of the client address (or ``*`` for an overall limit): the
    address itself is personal data and is never stored.
    """

    __tablename__ = "rate_hits"
    __table_args__ = (Index("ix_rate_hits_bucket_key_at", "bucket", "key_hash", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    bucket: Mapped[str] = mapped_column(String(32))
    key_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column()
