"""knowledge base: region and status note of a document; analysis and unverified citations of a case

Revision ID: e4b1c0a7d922
Revises: 82ccd9d43110
Create Date: 2026-12-06 16:00:00.000000

For the shipped legal corpus (issue 22): local regulations carry their region (only the unit's
region is searched), a historical or repealed document says what replaced it, and a typical
case keeps the court's analysis and the citations the base could not verify.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision = "e4b1c0a7d922"
down_revision = "82ccd9d43110"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("kb_law", schema=None) as batch_op:
        batch_op.add_column(sa.Column("region", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("note", sa.String(length=500), nullable=True))
    with op.batch_alter_table("kb_case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("analysis", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column(
                "unverified",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
                nullable=False,
                server_default="[]",
            )
        )
    with op.batch_alter_table("kb_case", schema=None) as batch_op:
        batch_op.alter_column("analysis", server_default=None)
        batch_op.alter_column("unverified", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("kb_case", schema=None) as batch_op:
        batch_op.drop_column("unverified")
        batch_op.drop_column("analysis")
    with op.batch_alter_table("kb_law", schema=None) as batch_op:
        batch_op.drop_column("note")
        batch_op.drop_column("region")
