"""voice intake answers: transcripts of voice answers given before a case exists

Revision ID: b7e2c4a91d05
Revises: 225751c6d34c
Create Date: 2026-11-28 01:30:00

A voice answer during the intake (纠纷登记) is transcribed before any case, member or evidence
row exists, so those links become optional and the row carries the speaker, their chat, the
question and the audio itself (see storage.voice_models).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b7e2c4a91d05"
down_revision = "225751c6d34c"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("voice_transcripts", schema=None) as batch_op:
        batch_op.alter_column("case_id", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("member_id", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("evidence_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("chat_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("step", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("file_ref", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("mime_type", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("stored_path", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("sha256", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_voice_transcripts_user_id"), ["user_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_voice_transcripts_user_id_users"), "users", ["user_id"], ["id"]
        )


def downgrade() -> None:
    op.execute(
        "DELETE FROM voice_transcript_versions WHERE transcript_id IN "
        "(SELECT id FROM voice_transcripts WHERE case_id IS NULL)"
    )
    op.execute("DELETE FROM voice_transcripts WHERE case_id IS NULL")
    with op.batch_alter_table("voice_transcripts", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_voice_transcripts_user_id_users"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_voice_transcripts_user_id"))
        for column in (
            "sha256",
            "stored_path",
            "mime_type",
            "file_ref",
            "step",
            "chat_id",
            "user_id",
        ):
            batch_op.drop_column(column)
        batch_op.alter_column("evidence_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("member_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("case_id", existing_type=sa.Integer(), nullable=False)
