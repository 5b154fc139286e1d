"""A party's words outside any room and intake (the commonest idle update) read their cases once.

The room's hook looked for an open room, then the after-agreement hook read the same member
rows again with closed cases included: two queries for every such text (issue 17, "Core CPU
per update: where the rise went" in docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, select

import app.features  # noqa: F401  (the features' hooks: the room's and the after-agreement one)
from mediation import intake
from services.inbound import Inbound
from storage.db import Database
from storage.models import OutboxMessage
from tests.conftest import conversation_core


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split()))

    engine = db.write_engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_an_idle_text_reads_the_partys_cases_once(
    sqlite_db: Database, tmp_path: Path
) -> None:
    service = await conversation_core(sqlite_db, tmp_path)
    await service.handle(Inbound("telegram", "42", "42", intake.TextInput("你好")))
    with statements(sqlite_db) as seen:
        await service.handle(Inbound("telegram", "42", "42", intake.TextInput("在吗")))
    of_cases = [sql for sql in seen if sql.startswith("SELECT") and " FROM cases " in sql]
    assert len(of_cases) == 1, of_cases
    async with sqlite_db.read() as session:
        last = (
            (await session.execute(select(OutboxMessage.payload).order_by(OutboxMessage.id.desc())))
            .scalars()
            .first()
        )
    assert last is not None and "/start" in last["text"]  # the idle greeting
