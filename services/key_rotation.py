"""``main.py keys rotate``: re-encrypt personal data with the first key of ``PII_KEYS``.

Why: ``MultiFernet`` decrypts with any key of the ring and encrypts with the first, so adding a
new key in front is safe at once, but an old key can only be dropped once no row needs it any
more. This walks every :class:`storage.base.EncryptedText` and
:class:`storage.base.EncryptedJSON` column (inbox and outbox payloads, intake drafts, the web
mailbox, documents) of every registered table (found from the metadata, so a new feature's
columns are covered without a change here) in primary-key order, in batches of one transaction
each. Both store a Fernet token as bytes, so one loop serves both.

- Idempotent and resumable: a value that already decrypts with the first key alone is left as
  it is, so an interrupted run simply continues where it stopped when started again, and a
  second run changes nothing.
- Blind indexes (``<column>_hash`` next to an encrypted ``<column>`` in the same row) are
  recomputed from the decrypted value with the current ``SECRET_KEY`` when ``reindex`` is set:
  that is how a changed ``SECRET_KEY`` is rolled out. A digest with no plaintext beside it (an
  invitation's phone digest) cannot be recomputed; such invitations must be sent again.
- A value no key of the ring can decrypt is counted and reported, never overwritten.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Column, LargeBinary, Table, inspect, select, tuple_, type_coerce, update

from core import crypto
from storage.base import Base, EncryptedJSON, EncryptedText
from storage.db import Database

BATCH = 500


@dataclass
class RotationReport:
    rows_seen: int = 0
    values_reencrypted: int = 0
    values_current: int = 0
    indexes_rewritten: int = 0
    unreadable: list[str] = field(default_factory=list)  # "table.column#pk"
    per_column: dict[str, int] = field(default_factory=dict)


def encrypted_columns() -> list[tuple[Table, list[Column[Any]]]]:
    """Every table with encrypted (text or JSON) columns, in a stable order.

    The tables are those whose models are imported: the caller loads the features first
    (``app.features.metadata()``; the command line does), so a new feature's columns are
    rotated without being listed here."""
    found = []
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, EncryptedText | EncryptedJSON)]
        if columns:
            found.append((table, columns))
    return found


def _is_current(primary: Fernet, token: bytes) -> bool:
    try:
        primary.decrypt(token)
    except InvalidToken:
        return False
    return True


async def rotate(
    db: Database,
    keys: tuple[str, ...],
    *,
    reindex: bool = False,
    batch: int = BATCH,
    progress: Callable[[str], None] = print,
) -> RotationReport:
    """Re-encrypt every value not under ``keys[0]``; see the module docstring."""
    if not keys:
        raise ValueError("PII_KEYS is empty")
    rotation = _Rotation(
        primary=Fernet(keys[0].encode()),
        ring=MultiFernet([Fernet(k.encode()) for k in keys]),
        reindex=reindex,
    )
    async with db.read() as session:
        conn = await session.connection()
        present = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    for table, columns in encrypted_columns():
        if table.name not in present:
            progress(f"{table.name}: not in this database (migration not applied), skipped")
            continue
        changed_here = await _rotate_table(db, rotation, table, columns, batch)
        rotation.report.per_column[table.name] = changed_here
        progress(f"{table.name}: {changed_here} re-encrypted")
    return rotation.report


@dataclass
class _Rotation:
    primary: Fernet
    ring: MultiFernet
    reindex: bool
    report: RotationReport = field(default_factory=RotationReport)

    def changes(
        self, table: Table, columns: list[Column[Any]], hashes: dict[str, Any], row: Any
    ) -> tuple[dict[str, object], int]:
        """One row's new values (tokens re-encrypted, indexes recomputed); how many tokens."""
        report = self.report
        key = tuple(row[: len(table.primary_key.columns)])
        values: dict[str, object] = {}
        reencrypted = 0
        for column in columns:
            token = getattr(row, column.name)
            if token is None:
                continue
            token = bytes(token)
            try:
                plain = self.ring.decrypt(token)
            except InvalidToken:
                report.unreadable.append(f"{table.name}.{column.name}#{key}")
                continue
            if _is_current(self.primary, token):
                report.values_current += 1
            else:
                values[column.name] = type_coerce(self.primary.encrypt(plain), LargeBinary)
                report.values_reencrypted += 1
                reencrypted += 1
            if self.reindex and column.name in hashes:
                digest = crypto.blind_index(plain.decode("utf-8"))
                if getattr(row, column.name + "_hash") != digest:
                    values[column.name + "_hash"] = digest
                    report.indexes_rewritten += 1
        return values, reencrypted


async def _rotate_table(
    db: Database, rotation: _Rotation, table: Table, columns: list[Column[Any]], batch: int
) -> int:
    """One table in primary-key order, a transaction per batch; how many tokens changed."""
    pk = list(table.primary_key.columns)
    hashes = {c.name: table.c[c.name + "_hash"] for c in columns if c.name + "_hash" in table.c}
    raw = [type_coerce(c, LargeBinary).label(c.name) for c in columns]
    last: tuple[object, ...] | None = None
    changed_here = 0
    while True:
        query = select(*pk, *raw, *hashes.values()).order_by(*pk).limit(batch)
        if last is not None:
            query = query.where(tuple_(*pk) > tuple_(*last))
        async with db.write() as session:
            rows = (await session.execute(query)).all()
            for row in rows:
                rotation.report.rows_seen += 1
                values, reencrypted = rotation.changes(table, columns, hashes, row)
                changed_here += reencrypted
                if values:
                    key = tuple(row[: len(pk)])
                    where = [c == v for c, v in zip(pk, key, strict=True)]
                    await session.execute(update(table).where(*where).values(values))
        if not rows:
            break
        last = tuple(rows[-1][: len(pk)])
    return changed_here
