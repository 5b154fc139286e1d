"""encrypt payloads: personal data at rest in the inbox, outbox, drafts, mailbox, documents, cases

Revision ID: 225751c6d34c
Revises: 5c491fa97b04
Create Date: 2026-11-28 01:15:10.770807

Why hand-written: autogenerate renders a JSON → EncryptedJSON change as a bare type change,
which would keep the clear text (SQLite) or fail the cast (PostgreSQL). Each column is
converted in batches, the same way on both backends (storage.pii_migration).

``outbox`` also gains plain ``case_message_id`` and ``kind`` (copied from the payload), which
the invariant checker groups by in SQL.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from storage.base import JSONType
from storage.pii_migration import decrypt_columns, encrypt_columns

revision = "225751c6d34c"
down_revision = "5c491fa97b04"
branch_labels = None
depends_on = None

#: (table, column, primary key, kind, clear type before this revision, nullable);
#: kind "json" (→ EncryptedJSON) or "text" (→ EncryptedText).
COLUMNS: tuple[tuple[str, str, tuple[str, ...], str, Any, bool], ...] = (
    ("conversations", "state", ("id",), "json", JSONType, False),
    ("inbox", "payload", ("source", "update_id"), "json", JSONType, False),
    ("outbox", "payload", ("id",), "json", JSONType, False),
    ("webchat_messages", "payload", ("id",), "json", JSONType, False),
    ("documents", "content", ("id",), "json", JSONType, False),
    ("cases", "place", ("id",), "text", sa.String(300), False),
    ("cases", "facts", ("id",), "text", sa.Text(), False),
    ("cases", "claims", ("id",), "text", sa.Text(), False),
)


def upgrade() -> None:
    op.add_column("outbox", sa.Column("case_message_id", sa.Integer(), nullable=True))
    op.add_column("outbox", sa.Column("kind", sa.String(length=24), nullable=True))
    encrypt_columns(COLUMNS)


def downgrade() -> None:
    decrypt_columns(COLUMNS)
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("kind")
        batch.drop_column("case_message_id")
