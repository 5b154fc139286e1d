"""risk rules name the safety notice the room gets; agreements carry their amount (issue 20)

Revision ID: c3a9f2e61b47
Revises: e4b1c0a7d922
Create Date: 2026-12-06 19:00:00

A rule that matches a room message puts a calm safety notice in the room (110, 12338, 12355…);
which one is the rule's ``notice`` (``mediation.risk.NOTICES``, empty for none). Default rules
nobody edited are refreshed from the code at start (``RiskService.ensure_defaults``).

``documents.agreed_fen``: the payments an agreement's terms oblige, read when the version is
drafted (``mediation.agreed_amount``), so the dashboard's 达成协议金额 is what was agreed, not
what was claimed; older effective agreements are read once by the dashboard.
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
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("agreed_fen", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_column("agreed_fen")
    with op.batch_alter_table("console_risk_rules", schema=None) as batch_op:
        batch_op.drop_column("notice")
