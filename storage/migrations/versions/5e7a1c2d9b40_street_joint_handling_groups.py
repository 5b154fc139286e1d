"""street joint handling: the 流转记录, joint sessions, one outcome, group rosters (issue 24, items 3-5)

Revision ID: 5e7a1c2d9b40
Revises: 7b3e9d21c4f8
Create Date: 2026-12-06 22:05:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.base

revision = "5e7a1c2d9b40"
down_revision = "7b3e9d21c4f8"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("street_reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("outcome_at", storage.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("outcome_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("outcome_text", storage.base.EncryptedText(), nullable=True))
        batch_op.add_column(
            sa.Column("representative", storage.base.EncryptedText(), nullable=True)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_street_reports_outcome_by_staff_accounts"),
            "staff_accounts",
            ["outcome_by"],
            ["id"],
        )

    op.create_table(
        "street_handovers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("at", storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("unit_code", sa.String(length=64), nullable=False),
        sa.Column("desk_code", sa.String(length=64), nullable=True),
        sa.Column("risk", sa.String(length=16), nullable=False),
        sa.Column("by_staff", sa.Integer(), nullable=True),
        sa.Column("reason", storage.base.EncryptedText(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_street_handovers_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["by_staff"],
            ["staff_accounts.id"],
            name=op.f("fk_street_handovers_by_staff_staff_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_street_handovers")),
    )
    with op.batch_alter_table("street_handovers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_street_handovers_case_id"), ["case_id"], unique=False)

    op.create_table(
        "street_sessions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("scheduled_at", storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("place", storage.base.EncryptedText(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("held_at", storage.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("desks", sa.String(length=500), nullable=True),
        sa.Column("others", storage.base.EncryptedText(), nullable=True),
        sa.Column("summary", storage.base.EncryptedText(), nullable=True),
        sa.Column("result", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_street_sessions_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["staff_accounts.id"],
            name=op.f("fk_street_sessions_created_by_staff_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["staff_accounts.id"],
            name=op.f("fk_street_sessions_recorded_by_staff_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_street_sessions")),
    )
    with op.batch_alter_table("street_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_street_sessions_case_id"), ["case_id"], unique=False)

    op.create_table(
        "street_members",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("name", storage.base.EncryptedText(), nullable=False),
        sa.Column("phone", storage.base.EncryptedText(), nullable=True),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("authority", sa.String(length=16), nullable=True),
        sa.Column("checked_by", sa.Integer(), nullable=True),
        sa.Column("checked_at", storage.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_street_members_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["checked_by"],
            ["staff_accounts.id"],
            name=op.f("fk_street_members_checked_by_staff_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_street_members")),
    )
    with op.batch_alter_table("street_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_street_members_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    for table in ("street_members", "street_sessions", "street_handovers"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_case_id"))
        op.drop_table(table)
    with op.batch_alter_table("street_reports", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_street_reports_outcome_by_staff_accounts"), type_="foreignkey"
        )
        for column in ("representative", "outcome_text", "outcome_by", "outcome_at", "outcome"):
            batch_op.drop_column(column)
