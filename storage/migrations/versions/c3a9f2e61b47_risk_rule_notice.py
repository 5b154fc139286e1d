"""risk rules name the safety notice the room gets (issue 20)

Revision ID: c3a9f2e61b47
Revises: e4b1c0a7d922
Create Date: 2026-12-06 19:00:00

A rule that matches a room message puts a calm safety notice in the room (110, 12338, 12355…);
which one is the rule's ``notice`` (``mediation.risk.NOTICES``, empty for none). Default rules
nobody edited are refreshed from the code at start (``RiskService.ensure_defaults``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c3a9f2e61b47"
down_revision = "e4b1c0a7d922"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("console_risk_rules", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("notice", sa.String(length=16), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("console_risk_rules", schema=None) as batch_op:
        batch_op.drop_column("notice")
