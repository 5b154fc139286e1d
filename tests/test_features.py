"""Feature extension points: a registered command, action and text hook take precedence."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from mediation import intake
from mediation.replies import Reply, reply
from services import features
from services.inbound import Command, Inbound
from services.turn import Turn
from storage.db import Database
from storage.models import OutboxMessage
from tests.conftest import conversation_core


@pytest.fixture
def registered() -> Iterator[None]:
    @features.command("ping")
    async def ping(turn: Turn, who: features.Who, cmd: Command) -> list[Reply] | None:
        return [reply("common.raw", text=f"pong {' '.join(cmd.args)}")]

    @features.action("x:")
    async def press(turn: Turn, who: features.Who, data: str) -> list[Reply] | None:
        return [reply("common.raw", text=f"pressed {data}")]

    @features.message_hook
    async def shout(turn: Turn, who: features.Who) -> list[Reply] | None:
        p = turn.event.payload
        if isinstance(p, intake.TextInput) and p.text.isupper():
            return [reply("common.raw", text="no shouting")]
        return None

    yield
    del features.COMMANDS["ping"], features.ACTIONS["x:"]
    features.MESSAGE_HOOKS.remove(shout)


async def test_features_take_precedence(
    registered: None, sqlite_db: Database, tmp_path: Path
) -> None:
    service = await conversation_core(sqlite_db, tmp_path)
    for payload in (
        Command("ping", ("a",)),
        intake.ActionInput("x:1"),
        intake.TextInput("HELLO"),
        intake.TextInput("hello"),
    ):
        await service.handle(Inbound("telegram", "42", "42", payload))
    async with sqlite_db.read() as session:
        texts = [
            p["text"]
            for p in (await session.execute(select(OutboxMessage.payload))).scalars()
            if "text" in p
        ]
    assert texts[:3] == ["pong a", "pressed x:1", "no shouting"]
    assert "/start" in texts[3]  # not a feature's: the core answers


def test_double_registration_is_refused(registered: None) -> None:
    async def again(turn: Turn, who: features.Who, cmd: Command) -> list[Reply] | None:
        return None

    with pytest.raises(ValueError):
        features.command("ping")(again)
