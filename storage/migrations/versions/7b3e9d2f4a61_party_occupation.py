"""A party's 职业或职务 (``case_parties.occupation``, encrypted like the other particulars): the
人民调解申请书 and the 协议书 name it for every natural person (人民调解法 第二十九条（一）), and
each party now gives it themselves.

Revision ID: 7b3e9d2f4a61
Revises: 5e7a1c3d9b20
Create Date: 2026-12-07 14:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.base

revision = "7b3e9d2f4a61"
down_revision = "5e7a1c3d9b20"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_parties", schema=None) as batch_op:
        batch_op.add_column(sa.Column("occupation", storage.base.EncryptedText(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_parties", schema=None) as batch_op:
        batch_op.drop_column("occupation")
