"""voice: the decoder's confidence, and the recording held until the speaker agrees (issue 23)

Revision ID: 7c1e5a9d3b20
Revises: a7c4e2b91f30
Create Date: 2026-12-06 22:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.base

revision = "7c1e5a9d3b20"
down_revision = "a7c4e2b91f30"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("voice_transcripts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("caption", storage.base.EncryptedText(), nullable=True))
        batch_op.add_column(sa.Column("confidence", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("voice_transcripts", schema=None) as batch_op:
        batch_op.drop_column("confidence")
        batch_op.drop_column("caption")
        batch_op.drop_column("message_id")
