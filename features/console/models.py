"""Tables of the staff console: sessions, login attempts, the audit log, risk rules and alerts.

Why sessions live in a table although the cookie is encrypted: an encrypted cookie alone cannot
be revoked, so logging out (or deactivating an account) would leave a copied cookie working
until it expires. The cookie carries a random session token; the table keeps only its SHA-256.

Why login attempts are in the database: rate limits held in memory reset on every restart and
differ between processes; counted from rows they hold for the whole deployment.

The audit log is append-only, enforced by the database itself (triggers refuse UPDATE, DELETE
and, on PostgreSQL, TRUNCATE), so not even a bug in the service can rewrite history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    DDL,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, EncryptedText, utcnow


class StaffSecurity(Base):
    """Second factor and password bookkeeping for a staff account (one row per account)."""

    __tablename__ = "console_staff_security"

    staff_id: Mapped[int] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="CASCADE"), primary_key=True
    )
    totp_secret: Mapped[str | None] = mapped_column(EncryptedText)
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The last TOTP time step accepted, so a code cannot be replayed within its window.
    totp_last_step: Mapped[int] = mapped_column(Integer, default=0)
    password_changed_at: Mapped[datetime | None] = mapped_column()


class ConsoleSession(Base):
    """A logged-in browser; ``id`` is the SHA-256 of the token held in the encrypted cookie."""

    __tablename__ = "console_sessions"
    __table_args__ = (Index("ix_console_sessions_staff", "staff_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")


class LoginAttempt(Base):
    """One password or TOTP attempt, for the per-username and per-address limits."""

    __tablename__ = "console_login_attempts"
    __table_args__ = (
        Index("ix_console_login_attempts_username_at", "username", "at"),
        Index("ix_console_login_attempts_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    username: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64))
    success: Mapped[bool] = mapped_column(Boolean, default=False)


class AuditEntry(Base):
    """Who did what, when, from where. Append-only (see the triggers below)."""

    __tablename__ = "console_audit_log"
    __table_args__ = (
        Index("ix_console_audit_log_action_id", "action", "id"),
        Index("ix_console_audit_log_unit_id", "unit_code", "id"),
        Index("ix_console_audit_log_case", "case_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    #: No foreign keys on purpose: the record outlives the account or case it mentions.
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16), default="")
    unit_code: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int | None] = mapped_column(Integer)
    target: Mapped[str] = mapped_column(String(200), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class RiskRuleRow(Base):
    """A risk rule as edited in the console; seeded from ``mediation.risk.DEFAULT_RULES``."""

    __tablename__ = "console_risk_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(48), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    level: Mapped[str] = mapped_column(String(16))
    keywords: Mapped[list[Any]] = mapped_column(default=list)
    also: Mapped[list[Any]] = mapped_column(default=list)
    dispute_types: Mapped[list[Any]] = mapped_column(default=list)
    min_people: Mapped[int] = mapped_column(Integer, default=0)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The room's safety notice when the rule matches (``mediation.risk.NOTICES``; "" none).
    notice: Mapped[str] = mapped_column(String(16), default="", server_default="")
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64), default="system")


class CaseRiskAssessment(Base):
    """The last automatic assessment of a case (its absence means: not assessed yet)."""

    __tablename__ = "console_case_risk"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    assessed_at: Mapped[datetime] = mapped_column(default=utcnow)
    level: Mapped[str] = mapped_column(String(16))
    rules: Mapped[list[Any]] = mapped_column(default=list)


class Alert(Base):
    """A case that needs attention now, addressed to a unit's staff or to one person."""

    __tablename__ = "console_alerts"
    __table_args__ = (
        Index("ix_console_alerts_unit_open", "unit_code", "acknowledged_at"),
        Index("ix_console_alerts_staff_open", "staff_id", "acknowledged_at"),
        Index("ix_console_alerts_case", "case_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    unit_code: Mapped[str | None] = mapped_column(String(64))
    staff_id: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    level: Mapped[str] = mapped_column(String(16))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)


#: Statements that make the audit log append-only, per dialect. Migrations run the same list
#: (``op.execute`` each) so a migrated database is protected like one made by ``create_all``.
AUDIT_APPEND_ONLY_DDL: dict[str, tuple[str, ...]] = {
    "sqlite": (
        "CREATE TRIGGER IF NOT EXISTS console_audit_log_no_update BEFORE UPDATE ON "
        "console_audit_log BEGIN SELECT RAISE(ABORT, 'console_audit_log is append-only'); END",
        "CREATE TRIGGER IF NOT EXISTS console_audit_log_no_delete BEFORE DELETE ON "
        "console_audit_log BEGIN SELECT RAISE(ABORT, 'console_audit_log is append-only'); END",
    ),
    "postgresql": (
        "CREATE OR REPLACE FUNCTION console_audit_log_append_only() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'console_audit_log is append-only'; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER console_audit_log_no_change BEFORE UPDATE OR DELETE ON "
        "console_audit_log FOR EACH ROW EXECUTE FUNCTION console_audit_log_append_only()",
        "CREATE TRIGGER console_audit_log_no_truncate BEFORE TRUNCATE ON console_audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION console_audit_log_append_only()",
    ),
}

for _dialect, _statements in AUDIT_APPEND_ONLY_DDL.items():
    for _sql in _statements:
        ddl = DDL(_sql).execute_if(dialect=_dialect)  # type: ignore[no-untyped-call]
        event.listen(AuditEntry.__table__, "after_create", ddl)


class CaseSearchToken(Base):
    """One keyed token of a term in a case's facts or claims (``core.crypto.search_token`` of a
    ``mediation.search_terms`` term): the ledger's full-text search without decrypting the
    cases (issue 20). The primary key leads with the token, so a look-up is one index range."""

    __tablename__ = "case_search_tokens"
    __table_args__ = (Index("ix_case_search_tokens_case", "case_id"),)

    token: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
