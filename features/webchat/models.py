"""Tables of the browser chat (``/chat``): one-time login codes and the per-person mailbox.

- ``webchat_otp``: a one-time code sent to a phone. Only a keyed hash of the code is kept
  (with the phone's blind index, never the number), with its expiry, how many wrong tries it
  has had and when it was used. Counting the rows of the last hour per phone and per client
  address is the rate limit, so it holds across restarts and processes.
- ``webchat_messages``: what the browser channel delivered from the outbox to one person, with
  a per-person increasing ``seq``. The websocket pushes rows after the last ``seq`` a page
  has, so a page that reconnects gets every message exactly once, in order, even if it was
  offline when the message was written (the database, not the socket, is the record).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, EncryptedJSON, utcnow


class WebOtp(Base):
    __tablename__ = "webchat_otp"
    __table_args__ = (
        Index("ix_webchat_otp_phone_created", "phone_hash", "created_at"),
        Index("ix_webchat_otp_ip_created", "ip_hash", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    phone_hash: Mapped[str] = mapped_column(String(64))
    ip_hash: Mapped[str] = mapped_column(String(64))
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()


class WebMailboxMessage(Base):
    __tablename__ = "webchat_messages"
    __table_args__ = (UniqueConstraint("user_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    seq: Mapped[int] = mapped_column(Integer)
    outbox_id: Mapped[int] = mapped_column(Integer, unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)  # the outbox row's, sealed
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebInbound(Base):
    """One message a page sent, by its client id: the id is the inbox ``update_id``.

    Why a table and not a digest of the client id: ids from a sequence keep the inbox in
    arrival order (replays and the replicas' ordering go by ``update_id``), and the unique key
    makes a resend after a reconnect map to the same inbox row.
    """

    __tablename__ = "webchat_inbound"
    __table_args__ = (UniqueConstraint("user_id", "client_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    client_id: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebSession(Base):
    """A browser-chat login (features.webchat.web_session): the cookie holds a random token, this row its
    SHA-256. Revoking the row (logout, "sign out everywhere") ends the session on every
    replica at once; a copied cookie replayed afterwards is worthless (issue 21)."""

    __tablename__ = "webchat_sessions"
    __table_args__ = (Index("ix_webchat_sessions_user", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class WebUpload(Base):
    """A file the page uploaded (``/chat/upload``), until it is sent in a message.

    Why: uploads had no quota and a file never sent stayed in the store for ever (issue 21).
    The rows give the per-person quota (files waiting to be sent, bytes a day) and let the sweep
    (features.webchat.uploads.sweep) delete what was never attached to a message.
    """

    __tablename__ = "webchat_uploads"
    __table_args__ = (
        Index("ix_webchat_uploads_user_created", "user_id", "created_at"),
        Index("ix_webchat_uploads_pending", "attached_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(300), unique=True)
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attached_at: Mapped[datetime | None] = mapped_column()
