"""治安调解: a second mediation after a first that failed (公安机关办理行政案件程序规定 第一百八十三条)

Revision ID: 3b8d0e6f2a17
Revises: 7c4e2a9d1f30
Create Date: 2026-12-07 01:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.base

revision = "3b8d0e6f2a17"
down_revision = "7c4e2a9d1f30"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("police_mediations") as batch:
        batch.add_column(
            sa.Column("first_failed_at", storage.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("again_deadline", sa.Date(), nullable=True))
        batch.add_column(sa.Column("again_ground", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("again_requested_by", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_police_mediations_again_requested_by",
            "case_parties",
            ["again_requested_by"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("police_mediations") as batch:
        batch.drop_constraint("fk_police_mediations_again_requested_by", type_="foreignkey")
        batch.drop_column("again_requested_by")
        batch.drop_column("again_ground")
        batch.drop_column("again_deadline")
        batch.drop_column("first_failed_at")
