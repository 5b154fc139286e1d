"""each staff member's own quiet hours (issue 20)

Revision ID: a7c4e2b91f30
Revises: 1dd25534d2b5
Create Date: 2026-12-06 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a7c4e2b91f30"
down_revision = "1dd25534d2b5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_accounts") as batch:
        batch.add_column(sa.Column("quiet_hours", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("staff_accounts") as batch:
        batch.drop_column("quiet_hours")
