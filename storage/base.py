"""Declarative base and column types shared by every table.

Why custom types: SQLite returns naive datetimes while PostgreSQL returns aware ones, and the
same model must behave identically on both; personal data must be encrypted at rest with a key
from configuration, transparently for the code that reads and writes it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, ClassVar, cast

from sqlalchemy import (
    JSON,
    DateTime,
    Dialect,
    LargeBinary,
    MetaData,
    Table,
    TypeDecorator,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase

from core import crypto

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: JSON on SQLite, JSONB on PostgreSQL.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend.

    Naive values are refused on the way in (a naive time is a bug: whose clock?), and values
    read back from SQLite are made aware again.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class EncryptedText(TypeDecorator[str]):
    """A string encrypted with the configured PII key ring (Fernet, rotatable).

    Stored as bytes; the cipher comes from :mod:`core.crypto`, configured once at start-up.
    """

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        return crypto.pii_cipher().encrypt(value.encode("utf-8"))

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return crypto.pii_cipher().decrypt(bytes(value)).decode("utf-8")


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON document encrypted with the PII key ring, for columns that *may* hold personal data.

    Why: the raw inbound update (a shared contact carries the phone), the rendered replies (the
    intake summary echoes the phone and the place), the intake draft and the browser-chat
    mailbox all hold what people typed. Their shape is open, so the whole document is sealed
    rather than chosen fields. Cost: one ``json.dumps`` plus one Fernet token (AES-128-CBC +
    HMAC-SHA256) per row, measured in docs/reliability.md. Consequence: SQL can no longer look
    inside; a field a query needs lives in a plain column of its own (``outbox.case_message_id``).
    Stored as bytes like :class:`EncryptedText`, so ``main.py keys rotate`` re-encrypts both.
    """

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        return encrypt_json(value)

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return decrypt_json(bytes(value))


def encrypt_json(value: Any) -> bytes:
    """The stored form of an :class:`EncryptedJSON` value (also used by its migration)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return crypto.pii_cipher().encrypt(text.encode("utf-8"))


def decrypt_json(token: bytes) -> Any:
    return json.loads(crypto.pii_cipher().decrypt(token))


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSONType,
        list[Any]: JSONType,
    }


def table_of(model: type[Base]) -> Table:
    """A model's Core table, for hot paths where ORM-enabled DML costs more than the SQL."""
    return cast(Table, model.__table__)


def utcnow() -> datetime:
    return datetime.now(UTC)
