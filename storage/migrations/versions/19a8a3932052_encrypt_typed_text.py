"""encrypt typed text: room messages, comments, reasons and follow-up notes

Revision ID: 19a8a3932052
Revises: 0b9f9cc003d7
Create Date: 2026-11-28 01:36:00.000000

What people type in the room and in answers (a phone, an address, a name) was still stored in
clear in these free-text columns. Converted in batches, the same way on SQLite and PostgreSQL
(storage.pii_migration; hand-written: autogenerate renders only a bare type change).
"""

from __future__ import annotations

import sqlalchemy as sa

from storage.pii_migration import Column, decrypt_columns, encrypt_columns

revision = "19a8a3932052"
down_revision = "0b9f9cc003d7"
branch_labels = None
depends_on = None

COLUMNS: tuple[Column, ...] = (
    ("case_messages", "text", ("id",), "text", sa.Text(), True),
    ("document_comments", "text", ("id",), "text", sa.Text(), False),
    ("document_signatures", "reason", ("id",), "text", sa.Text(), True),
    ("follow_ups", "performance", ("id",), "text", sa.Text(), False),
    ("follow_ups", "satisfaction", ("id",), "text", sa.Text(), True),
    ("invitations", "decline_reason", ("id",), "text", sa.Text(), True),
    ("offer_responses", "reason", ("id",), "text", sa.Text(), True),
)


def upgrade() -> None:
    encrypt_columns(COLUMNS)


def downgrade() -> None:
    decrypt_columns(COLUMNS)
