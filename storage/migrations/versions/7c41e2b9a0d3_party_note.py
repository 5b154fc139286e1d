"""a party's note: what the applicant said about the other side beyond a name (issue 19)

Revision ID: 7c41e2b9a0d3
Revises: 7c1e5a9d3b20
Create Date: 2026-12-06 22:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.base

revision = "7c41e2b9a0d3"
down_revision = "7c1e5a9d3b20"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_parties", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note", storage.base.EncryptedText(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_parties", schema=None) as batch_op:
        batch_op.drop_column("note")
