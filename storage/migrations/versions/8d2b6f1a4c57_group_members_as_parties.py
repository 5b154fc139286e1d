"""A group's members are parties of the case; a representative who is a party signs from their
own seat (issue 24, item 5)

Revision ID: 8d2b6f1a4c57
Revises: b7d3e5f1a2c4
Create Date: 2026-12-07 01:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "8d2b6f1a4c57"
down_revision = "b7d3e5f1a2c4"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("street_members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("party_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_street_members_party_id_case_parties"),
            "case_parties",
            ["party_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("party_agents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("agent_party_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_party_agents_agent_party_id_case_parties"),
            "case_parties",
            ["agent_party_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("party_agents", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_party_agents_agent_party_id_case_parties"), type_="foreignkey"
        )
        batch_op.drop_column("agent_party_id")
    with op.batch_alter_table("street_members", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_street_members_party_id_case_parties"), type_="foreignkey"
        )
        batch_op.drop_column("party_id")
