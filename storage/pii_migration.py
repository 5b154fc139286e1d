"""Column conversions of the personal-data migrations (clear ↔ encrypted), shared by revisions.

Why a module: several revisions convert columns the same way (``225751c6d34c`` the payloads,
``*_encrypt_typed_text`` the free text people type), and the conversion must behave the same
on SQLite and PostgreSQL, resumably and in batches:

1. add ``<column>__new`` (bytes, nullable);
2. fill it in primary-key batches (upgrade: encrypt with the first PII key; downgrade:
   decrypt); only rows whose new value is still NULL are taken, so the loop ends and never
   converts a row twice;
3. drop the old column, rename the new one into its place and restore NOT NULL
   (``batch_alter_table``: a table copy on SQLite, plain ``ALTER`` on PostgreSQL).

The functions use Alembic's ``op``: call them only from a migration.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

from core import crypto

BATCH = 500

#: (table, column, primary key, kind, clear type, nullable); kind "json" (→ EncryptedJSON) or
#: "text" (→ EncryptedText).
Column = tuple[str, str, tuple[str, ...], str, Any, bool]


def encrypt(kind: str) -> Callable[[Any], bytes]:
    def run(value: Any) -> bytes:
        if kind == "json":
            if isinstance(value, str):  # a driver that hands JSON back undecoded
                value = json.loads(value)
            text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        else:
            text = str(value)
        return crypto.pii_cipher().encrypt(text.encode("utf-8"))

    return run


def decrypt(kind: str) -> Callable[[Any], Any]:
    def run(value: Any) -> Any:
        text = crypto.pii_cipher().decrypt(bytes(value)).decode("utf-8")
        return json.loads(text) if kind == "json" else text

    return run


def convert(
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


def swap(table: str, column: str, new_type: Any, nullable: bool) -> None:
    with op.batch_alter_table(table) as batch:
        batch.drop_column(column)
        batch.alter_column(
            f"{column}__new",
            new_column_name=column,
            existing_type=new_type,
            nullable=nullable,
        )


def outbox_fields(payload: Any) -> dict[str, Any]:
    if isinstance(payload, str):
        payload = json.loads(payload)
    cm, kind = payload.get("cm"), payload.get("kind")
    return {
        "case_message_id": int(cm) if isinstance(cm, int | str) and str(cm).isdigit() else None,
        "kind": str(kind)[:24] if kind is not None else None,
    }


def encrypt_columns(columns: tuple[Column, ...]) -> None:
    for table, column, pk, kind, plain, nullable in columns:
        op.add_column(table, sa.Column(f"{column}__new", sa.LargeBinary(), nullable=True))
        extra = outbox_fields if (table, column) == ("outbox", "payload") else None
        convert(table, column, pk, plain, sa.LargeBinary(), encrypt(kind), extra)
        swap(table, column, sa.LargeBinary(), nullable)


def decrypt_columns(columns: tuple[Column, ...]) -> None:
    for table, column, pk, kind, plain, nullable in reversed(columns):
        op.add_column(table, sa.Column(f"{column}__new", plain, nullable=True))
        convert(table, column, pk, sa.LargeBinary(), plain, decrypt(kind))
        swap(table, column, plain, nullable)
