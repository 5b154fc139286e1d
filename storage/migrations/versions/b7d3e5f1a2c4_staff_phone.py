"""A staff account's own phone: the browser chat's login by it gives the staff menu (issue 24)

Revision ID: b7d3e5f1a2c4
Revises: 3b8d0e6f2a17
Create Date: 2026-12-07 01:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.base

revision = "b7d3e5f1a2c4"
down_revision = "3b8d0e6f2a17"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", storage.base.EncryptedText(), nullable=True))
        batch_op.add_column(sa.Column("phone_hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_staff_accounts_phone_hash"), ["phone_hash"]
        )


def downgrade() -> None:
    with op.batch_alter_table("staff_accounts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_staff_accounts_phone_hash"), type_="unique")
        batch_op.drop_column("phone_hash")
        batch_op.drop_column("phone")
