"""Hostile input into the conversation service: never an exception, always an answer."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from core.clock import FakeClock
from mediation import intake
from mediation.intake import Input
from services.conversation import ConversationService
from services.inbound import Command, Inbound
from services.units import load_units, sync_units
from storage.models import OutboxMessage
from tests.conftest import fresh_database, make_settings

_ids = itertools.count(1)

payloads = st.one_of(
    st.builds(intake.TextInput, st.text(max_size=5000)),
    st.builds(intake.ActionInput, st.text(max_size=80)),
    st.builds(intake.ContactInput, st.text(max_size=40), st.booleans()),
    st.builds(
        intake.FileInput,
        st.sampled_from(["photo", "document", "voice", "video"]),
        st.text(min_size=1, max_size=50),
    ),
    st.builds(intake.OtherInput, st.text(max_size=20)),
    st.builds(
        Command,
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=20),
        st.lists(st.text(max_size=70), max_size=3).map(tuple),
    ),
    st.none(),
)


def test_random_input_at_every_step_is_answered(tmp_path: Path) -> None:
    runner = asyncio.Runner()
    s = make_settings(tmp_path)
    db = runner.run(fresh_database(f"sqlite+aiosqlite:///{tmp_path / 'fuzz.db'}"))
    units = load_units(s.units_file)

    async def setup() -> None:
        async with db.write() as session:
            await sync_units(session, units)

    runner.run(setup())
    service = ConversationService(db, s, units, FakeClock())

    async def outbox_size() -> int:
        async with db.read() as session:
            return int(
                (
                    await session.execute(select(func.count()).select_from(OutboxMessage))
                ).scalar_one()
            )

    async def play(
        events: list[Input | Command | None], edited: bool, forwarded: bool, chat_type: str
    ) -> None:
        chat = str(next(_ids))
        await service.handle(Inbound("telegram", chat, chat, Command("start")))
        for payload in events:
            before = await outbox_size()
            event = Inbound(
                "telegram",
                chat,
                chat,
                payload,
                chat_type=chat_type,
                edited=edited,
                forwarded=forwarded,
            )
            assert await service.handle(event)
            if chat_type == "private" and payload is not None:
                assert await outbox_size() > before, f"no answer to {payload!r}"

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        st.lists(payloads, min_size=1, max_size=6),
        st.booleans(),
        st.booleans(),
        st.sampled_from(["private", "group", "supergroup"]),
    )
    def scenario(
        events: list[Input | Command | None], edited: bool, forwarded: bool, chat_type: str
    ) -> None:
        runner.run(play(events, edited, forwarded, chat_type))

    try:
        scenario()
    finally:
        runner.run(db.dispose())
        runner.close()
