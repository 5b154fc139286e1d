"""What the intake was told about the amount and the parties' details: an approximate amount
(大概四千八) or one the party does not know, and each detail a party was said not to know
(不知道), so the console and the documents say 约 and 不详 instead of a bare figure or a blank

Revision ID: 5e7a1c3d9b20
Revises: 8d2b6f1a4c57
Create Date: 2026-12-07 11:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "5e7a1c3d9b20"
down_revision = "8d2b6f1a4c57"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("amount_stated", sa.String(length=16), nullable=True))
    with op.batch_alter_table("case_parties", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unknown", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_parties", schema=None) as batch_op:
        batch_op.drop_column("unknown")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("amount_stated")
