"""治安调解 (police_mediations) and each signature's evidence (issue 18, items 6 and 8)

Revision ID: 7c4e2a9d1f30
Revises: 5e7a1c2d9b40
Create Date: 2026-12-06 21:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.base

revision = "7c4e2a9d1f30"
down_revision = "5e7a1c2d9b40"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "police_mediations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("violation", sa.String(length=32), nullable=False),
        sa.Column("officers", sa.Integer(), nullable=False),
        sa.Column("recording_ref", sa.String(length=100), nullable=True),
        sa.Column("host_staff_id", sa.Integer(), nullable=False),
        sa.Column("offender_party_id", sa.Integer(), nullable=False),
        sa.Column("injured_party_id", sa.Integer(), nullable=False),
        sa.Column("incident", storage.base.EncryptedJSON(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("end_reason", storage.base.EncryptedText(), nullable=True),
        sa.Column("started_at", storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("agreed_at", storage.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", storage.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_police_mediations_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_code"], ["units.code"], name=op.f("fk_police_mediations_unit_code_units")
        ),
        sa.ForeignKeyConstraint(
            ["host_staff_id"],
            ["staff_accounts.id"],
            name=op.f("fk_police_mediations_host_staff_id_staff_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["offender_party_id"],
            ["case_parties.id"],
            name=op.f("fk_police_mediations_offender_party_id_case_parties"),
        ),
        sa.ForeignKeyConstraint(
            ["injured_party_id"],
            ["case_parties.id"],
            name=op.f("fk_police_mediations_injured_party_id_case_parties"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_police_mediations_document_id_documents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_police_mediations")),
    )
    with op.batch_alter_table("police_mediations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_police_mediations_case_id"), ["case_id"], unique=True)
    with op.batch_alter_table("document_signatures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("evidence", storage.base.EncryptedJSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("document_signatures", schema=None) as batch_op:
        batch_op.drop_column("evidence")
    with op.batch_alter_table("police_mediations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_police_mediations_case_id"))
    op.drop_table("police_mediations")
