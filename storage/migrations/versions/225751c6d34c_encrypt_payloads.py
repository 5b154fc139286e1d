"""encrypt payloads: personal data at rest in the inbox, outbox, drafts, mailbox, documents, cases

Revision ID: 225751c6d34c
Revises: 5c491fa97b04
Create Date: 2026-11-28 01:15:10.770807

Why hand-written: autogenerate renders a JSON → EncryptedJSON change as a bare type change,
which would keep the clear text (SQLite) or fail the cast (PostgreSQL). Each column is
converted the same way on both backends, resumable and in batches:

1. add ``<column>__new`` (bytes, nullable);
2. fill it in primary-key batches (upgrade: encrypt with the first PII key; downgrade:
   decrypt), one transaction per batch on PostgreSQL; only rows whose new value is still
   NULL are taken, so the loop ends and never converts a row twice;
3. drop the old column, rename the new one into its place and restore NOT NULL
   (``batch_alter_table``: a table copy on SQLite, plain ``ALTER`` on PostgreSQL).

``outbox`` also gains plain ``case_message_id`` and ``kind`` (copied from the payload), which
the invariant checker groups by in SQL.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

from core import crypto
from storage.base import JSONType

revision = "225751c6d34c"
down_revision = "5c491fa97b04"
branch_labels = None
depends_on = None

BATCH = 500

#: (table, column, primary key, kind, clear type before this revision, nullable);
#: kind "json" (→ EncryptedJSON) or "text" (→ EncryptedText).
COLUMNS: tuple[tuple[str, str, tuple[str, ...], str, Any, bool], ...] = (
    ("conversations", "state", ("id",), "json", JSONType, False),
    ("inbox", "payload", ("source", "update_id"), "json", JSONType, False),
    ("outbox", "payload", ("id",), "json", JSONType, False),
    ("webchat_messages", "payload", ("id",), "json", JSONType, False),
    ("documents", "content", ("id",), "json", JSONType, False),
    ("cases", "place", ("id",), "text", sa.String(300), False),
    ("cases", "facts", ("id",), "text", sa.Text(), False),
    ("cases", "claims", ("id",), "text", sa.Text(), False),
)


def _encrypt(kind: str) -> Callable[[Any], bytes]:
    def run(value: Any) -> bytes:
        if kind == "json":
            if isinstance(value, str):  # a driver that hands JSON back undecoded
                value = json.loads(value)
            text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        else:
            text = str(value)
        return crypto.pii_cipher().encrypt(text.encode("utf-8"))

    return run


def _decrypt(kind: str) -> Callable[[Any], Any]:
    def run(value: Any) -> Any:
        text = crypto.pii_cipher().decrypt(bytes(value)).decode("utf-8")
        return json.loads(text) if kind == "json" else text

    return run


def _convert(
    table: str,
    column: str,
    pk: tuple[str, ...],
    old_type: Any,
    new_type: Any,
    change: Callable[[Any], Any],
    extra: Callable[[Any], dict[str, Any]] | None = None,
) -> None:
    """Fill ``<column>__new`` from ``<column>`` in batches, then swap the columns."""
    new = f"{column}__new"
    bind = op.get_bind()
    extras = ("case_message_id", "kind") if extra else ()
    t = sa.table(
        table,
        *(sa.column(k) for k in pk),
        sa.column(column, old_type),
        sa.column(new, new_type),
        *(sa.column(e) for e in extras),
    )
    keys = [t.c[k] for k in pk]
    pick = (
        sa.select(*keys, t.c[column])
        .where(t.c[new].is_(None), t.c[column].is_not(None))
        .order_by(*keys)
        .limit(BATCH)
    )
    put = (
        sa.update(t)
        .where(*(t.c[k] == sa.bindparam(f"k_{k}") for k in pk))
        .values({new: sa.bindparam("v_new"), **{e: sa.bindparam(f"v_{e}") for e in extras}})
    )
    while True:
        rows = bind.execute(pick).all()
        if not rows:
            break
        params = []
        for row in rows:
            item = {f"k_{k}": v for k, v in zip(pk, row[: len(pk)], strict=True)}
            item["v_new"] = change(row[-1])
            if extra:
                item.update({f"v_{k}": v for k, v in extra(row[-1]).items()})
            params.append(item)
        bind.execute(put, params)


def _swap(table: str, column: str, new_type: Any, nullable: bool) -> None:
    with op.batch_alter_table(table) as batch:
        batch.drop_column(column)
        batch.alter_column(
            f"{column}__new",
            new_column_name=column,
            existing_type=new_type,
            nullable=nullable,
        )


def _outbox_fields(payload: Any) -> dict[str, Any]:
    if isinstance(payload, str):
        payload = json.loads(payload)
    cm, kind = payload.get("cm"), payload.get("kind")
    return {
        "case_message_id": int(cm) if isinstance(cm, int | str) and str(cm).isdigit() else None,
        "kind": str(kind)[:24] if kind is not None else None,
    }


def upgrade() -> None:
    op.add_column("outbox", sa.Column("case_message_id", sa.Integer(), nullable=True))
    op.add_column("outbox", sa.Column("kind", sa.String(length=24), nullable=True))
    for table, column, pk, kind, plain, nullable in COLUMNS:
        op.add_column(table, sa.Column(f"{column}__new", sa.LargeBinary(), nullable=True))
        extra = _outbox_fields if (table, column) == ("outbox", "payload") else None
        _convert(table, column, pk, plain, sa.LargeBinary(), _encrypt(kind), extra)
        _swap(table, column, sa.LargeBinary(), nullable)


def downgrade() -> None:
    for table, column, pk, kind, plain, nullable in reversed(COLUMNS):
        op.add_column(table, sa.Column(f"{column}__new", plain, nullable=True))
        _convert(table, column, pk, sa.LargeBinary(), plain, _decrypt(kind))
        _swap(table, column, plain, nullable)
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("kind")
        batch.drop_column("case_message_id")
