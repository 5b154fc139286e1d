"""court referral: the court that referred a case (委派/委托调解) is kept on the case

Revision ID: c18a7e2f4d10
Revises: e4b1c0a7d922
Create Date: 2026-12-06 18:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c18a7e2f4d10"
down_revision = "e4b1c0a7d922"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("referring_court", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("referring_court")
