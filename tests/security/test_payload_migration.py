"""The migrations that encrypt payloads and typed text, on SQLite and PostgreSQL, both ways.

A database at the previous revision is given clear rows in every column the migration
converts (a contact-share update in the inbox, the intake summary in the outbox, an intake
draft, a mailbox row, a document's content, a case's place/facts/claims, a room message, a
comment on a draft); after ``upgrade``
the stored bytes are Fernet tokens holding none of the numbers and the models read back the
same values; after ``downgrade`` the clear values are back, equal to what was written.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import MetaData, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from features.webchat.models import WebMailboxMessage
from harness.service import reset_postgres
from storage.db import Database
from storage.document_models import Document, DocumentComment
from storage.migrate import downgrade, upgrade
from storage.models import Case, CaseMessage, Conversation, InboxUpdate, OutboxMessage
from tests.backends import on_each_backend
from tests.conftest import PG_URL

PREVIOUS = "5c491fa97b04"
PHONE, ID, PLACE = "13812345678", "110105194912310021", "九龙坡区杨家坪街道西郊路88号"

UPDATE = {
    "update_id": 5,
    "message": {
        "message_id": 9,
        "chat": {"id": 7001, "type": "private"},
        "contact": {"phone_number": "+86" + PHONE, "first_name": "张三", "user_id": 7001},
    },
}
SUMMARY = {
    "text": f"地点：{PLACE}\n手机号：{PHONE}",
    "buttons": [[{"text": "提交", "action": "s"}]],
}
RELAY = {"text": "header", "cm": 41, "kind": "copy"}
DRAFT = {"flow": "intake", "answers": {"phone": PHONE, "id_number": ID, "place": PLACE}}
CONTENT = {"parties": [{"name": "张三", "id_number": ID, "address": PLACE}], "terms": ["付款"]}
CASE_TEXT = {"place": PLACE, "facts": f"电话{PHONE}", "claims": f"身份证{ID}"}
SAID = f"我住{PLACE}，电话{PHONE}"  # said in the room (revision 19a8a3932052)
COMMENT = f"请把身份证号改成{ID}"

#: (table, column, what was written) for every converted value.
EXPECTED: list[tuple[str, str, Any]] = [
    ("inbox", "payload", UPDATE),
    ("outbox", "payload", SUMMARY),
    ("outbox", "payload", RELAY),
    ("conversations", "state", DRAFT),
    ("webchat_messages", "payload", SUMMARY),
    ("documents", "content", CONTENT),
    *(("cases", column, value) for column, value in CASE_TEXT.items()),
    ("case_messages", "text", SAID),
    ("document_comments", "text", COMMENT),
]
SECRETS = (PHONE, ID, PLACE, json.dumps(PLACE)[1:-1])


def _fill(table: sa.Table, values: dict[str, Any], pg: bool) -> dict[str, Any]:
    """``values`` plus a plain value for every other NOT NULL column (the previous schema)."""
    now = datetime.now(UTC) if pg else datetime.now(UTC).replace(tzinfo=None)
    row = dict(values)
    for column in table.columns:
        if column.name in row or column.nullable or column.autoincrement is True:
            continue
        if column.primary_key and isinstance(column.type, sa.Integer):
            continue
        python: type[object] = column.type.python_type if _has_python_type(column.type) else dict
        if python is datetime:
            row[column.name] = now
        elif python is bool:
            row[column.name] = False
        elif python in (int, float) or column.name.endswith("_id"):
            row[column.name] = 1
        elif python is uuid.UUID:
            row[column.name] = uuid.uuid4() if pg else uuid.uuid4().hex
        elif python in (dict, list):
            row[column.name] = [] if python is list else {}
        else:
            row[column.name] = "x"
    return row


def _has_python_type(type_: Any) -> bool:
    try:
        type_.python_type  # noqa: B018
    except NotImplementedError:
        return False
    return True


async def _seed(conn: AsyncConnection) -> None:
    pg = conn.dialect.name == "postgresql"
    meta = MetaData()
    await conn.run_sync(meta.reflect)
    t = meta.tables

    async def put(table: str, /, **values: Any) -> None:
        await conn.execute(sa.insert(t[table]).values(_fill(t[table], values, pg)))

    await put("units", code="u1", name="调委会", level="village", case_prefix="P", areas=[])
    await put("users", id=1, telegram_id=7001, language="zh-CN")
    public_id = uuid.uuid4() if pg else uuid.uuid4().hex
    await put("cases", id=1, public_id=public_id, number="N1", unit_code="u1", **CASE_TEXT)
    await put("conversations", id=1, channel="telegram", chat_id="7001", user_id=1, state=DRAFT)
    await put("inbox", source="telegram", update_id=5, chat_key="7001", payload=UPDATE)
    await put("outbox", id=1, channel="telegram", chat_id="7001", payload=SUMMARY)
    await put("outbox", id=2, channel="telegram", chat_id="7001", payload=RELAY)
    await put("webchat_messages", id=1, user_id=1, seq=1, outbox_id=1, payload=SUMMARY)
    await put("documents", id=1, public_id="p1", case_id=1, kind="agreement", content=CONTENT)
    await put("case_messages", id=1, case_id=1, kind="text", text=SAID, data={}, audience=[])
    await put("case_messages", id=2, case_id=1, kind="file", text=None, data={}, audience=[])
    await put("document_comments", id=1, document_id=1, case_id=1, version=1, text=COMMENT)


async def _raw(conn: AsyncConnection) -> dict[tuple[str, str], list[Any]]:
    out: dict[tuple[str, str], list[Any]] = {}
    for table, column, _ in EXPECTED:
        rows = await conn.execute(text(f'SELECT "{column}" FROM "{table}"'))  # fixed names
        out[(table, column)] = [r[0] for r in rows]
    return out


async def _migrated(db: Database, url: str, revision: str, *, down: bool = False) -> Database:
    """Migrate, with a fresh pool after it (asyncpg's cached plans die with a schema change)."""
    await db.dispose()
    await asyncio.to_thread(downgrade if down else upgrade, url, revision)
    return Database(url)


async def _run(url: str) -> None:
    if url.startswith("postgresql"):
        await reset_postgres(url)
    await asyncio.to_thread(upgrade, url, PREVIOUS)
    db = Database(url)
    try:
        async with db.write() as session:
            await _seed(await session.connection())

        db = await _migrated(db, url, "head")
        async with db.read() as session:
            raw = await _raw(await session.connection())
            for (table, column), values in raw.items():
                for value in values:
                    if (table, column) == ("case_messages", "text") and value is None:
                        continue  # NULL stays NULL
                    token = bytes(value)
                    assert token.startswith(b"gAAAAA"), (table, column)
                    assert not any(s.encode() in token for s in SECRETS), (table, column)
            read = {
                ("inbox", "payload"): list(
                    (await session.execute(select(InboxUpdate.payload))).scalars()
                ),
                ("outbox", "payload"): list(
                    (
                        await session.execute(
                            select(OutboxMessage.payload).order_by(OutboxMessage.id)
                        )
                    ).scalars()
                ),
                ("conversations", "state"): list(
                    (await session.execute(select(Conversation.state))).scalars()
                ),
                ("webchat_messages", "payload"): list(
                    (await session.execute(select(WebMailboxMessage.payload))).scalars()
                ),
                ("documents", "content"): list(
                    (await session.execute(select(Document.content))).scalars()
                ),
            }
            case = (await session.execute(select(Case))).scalar_one()
            said = list(
                (await session.execute(select(CaseMessage.text).order_by(CaseMessage.id))).scalars()
            )
            comment = (await session.execute(select(DocumentComment.text))).scalar_one()
            fields = (
                await session.execute(
                    select(OutboxMessage.case_message_id, OutboxMessage.kind).order_by(
                        OutboxMessage.id
                    )
                )
            ).all()
        assert read[("inbox", "payload")] == [UPDATE]
        assert read[("outbox", "payload")] == [SUMMARY, RELAY]
        assert read[("conversations", "state")] == [DRAFT]
        assert read[("webchat_messages", "payload")] == [SUMMARY]
        assert read[("documents", "content")] == [CONTENT]
        assert (case.place, case.facts, case.claims) == tuple(CASE_TEXT.values())
        assert said == [SAID, None] and comment == COMMENT
        assert [tuple(f) for f in fields] == [(None, None), (41, "copy")]

        db = await _migrated(db, url, PREVIOUS, down=True)
        async with db.read() as session:
            conn = await session.connection()
            meta = MetaData()
            await conn.run_sync(meta.reflect)
            back: dict[tuple[str, str], list[Any]] = {}
            for table, column, _ in EXPECTED:
                t = meta.tables[table]
                order = list(t.primary_key.columns)
                back[(table, column)] = list(
                    (await conn.execute(select(t.c[column]).order_by(*order))).scalars()
                )
            assert "case_message_id" not in meta.tables["outbox"].c
        want: dict[tuple[str, str], list[Any]] = {}
        for table, column, value in EXPECTED:
            want.setdefault((table, column), []).append(value)
        for key, values in back.items():
            if key == ("case_messages", "text"):
                assert values == [SAID, None]
            elif key[0] in ("cases", "document_comments"):
                assert values == [want[key][0]], key
            else:
                decoded = [json.loads(v) if isinstance(v, str) else v for v in values]
                assert decoded == want[key], key

        # And forward again: the upgrade runs on a database that was downgraded.
        db = await _migrated(db, url, "head")
        async with db.read() as session:
            assert (await session.execute(select(Conversation.state))).scalar_one() == DRAFT
    finally:
        await db.dispose()


@on_each_backend
async def test_upgrade_encrypts_and_downgrade_restores(tmp_path: Any, backend: str) -> None:
    url = PG_URL if backend == "postgres" else f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    await _run(url)
