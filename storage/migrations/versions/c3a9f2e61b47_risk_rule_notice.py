"""risk rule notices, agreements' amounts, search tokens of cases' text (issue 20)

Revision ID: c3a9f2e61b47
Revises: c18a7e2f4d10
Create Date: 2026-12-06 19:00:00

A rule that matches a room message puts a calm safety notice in the room (110, 12338, 12355…);
which one is the rule's ``notice`` (``mediation.risk.NOTICES``, empty for none). Default rules
nobody edited are refreshed from the code at start (``RiskService.ensure_defaults``).

``documents.agreed_fen``: the payments an agreement's terms oblige, read when the version is
drafted (``mediation.agreed_amount``), so the dashboard's 达成协议金额 is what was agreed, not
what was claimed; older effective agreements are read once by the dashboard.

``case_search_tokens``: keyed tokens of the terms of each case's facts and claims
(``services.case_search``), so the ledger searches the encrypted text without decrypting it;
older cases are indexed when the console starts.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c3a9f2e61b47"
down_revision = "c18a7e2f4d10"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("console_risk_rules", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("notice", sa.String(length=16), nullable=False, server_default="")
        )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("agreed_fen", sa.BigInteger(), nullable=True))
    op.create_table(
        "case_search_tokens",
        sa.Column("token", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("case_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_search_tokens_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token", "case_id", name=op.f("pk_case_search_tokens")),
    )
    op.create_index("ix_case_search_tokens_case", "case_search_tokens", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_case_search_tokens_case", table_name="case_search_tokens")
    op.drop_table("case_search_tokens")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_column("agreed_fen")
    with op.batch_alter_table("console_risk_rules", schema=None) as batch_op:
        batch_op.drop_column("notice")
