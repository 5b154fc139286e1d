"""The conversation row of a chat, read and written with two Core statements per event.

Every inbound event loads its chat's conversation and most change it; going through the ORM
(identity map, unit-of-work flush) cost more than the SQL itself on the hot path. A plain
object with the same attributes is loaded here and written back only if it changed.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.chat_state import Slot
from storage.base import table_of
from storage.models import Conversation

_T = table_of(Conversation)
_SELECT = select(_T.c.id, _T.c.user_id, _T.c.language, _T.c.state, _T.c.active_case_id).where(
    _T.c.channel == bindparam("ch"), _T.c.chat_id == bindparam("cid")
)
_INSERT = insert(_T).returning(_T.c.id)
_UPDATE = (
    update(_T)
    .where(_T.c.id == bindparam("row_id"))
    .values(
        language=bindparam("lang"),
        state=bindparam("st"),
        active_case_id=bindparam("case"),
        updated_at=bindparam("at"),
    )
)
T = TypeVar("T")


@dataclass
class ConversationState:
    """Where one chat stands; the attributes handlers read and assign."""

    id: int
    channel: str
    chat_id: str
    user_id: int
    language: str
    state: dict[str, Any]
    active_case_id: int | None
    _loaded: tuple[str, dict[str, Any], int | None] = field(default=("", {}, None), repr=False)

    @property
    def changed(self) -> bool:
        return (self.language, self.state, self.active_case_id) != self._loaded

    def get(self, slot: Slot[T]) -> T | None:
        """The typed value this chat holds in ``slot`` (None: nothing, or no longer readable)."""
        return slot.read(self.state)

    def put(self, slot: Slot[T], value: T | None) -> None:
        state = dict(self.state)
        if value is None:
            state.pop(slot.key, None)
        else:
            state[slot.key] = slot.encode(value)
        self.state = state  # reassign: JSON columns track assignment, not mutation


async def load(session: AsyncSession, channel: str, chat_id: str) -> ConversationState | None:
    row = (await session.execute(_SELECT, {"ch": channel, "cid": chat_id})).first()
    if row is None:
        return None
    state = dict(row.state or {})
    conv = ConversationState(
        row.id, channel, chat_id, row.user_id, row.language, state, row.active_case_id
    )
    conv._loaded = (row.language, copy.deepcopy(state), row.active_case_id)
    return conv


async def create(
    session: AsyncSession, channel: str, chat_id: str, user_id: int, language: str, now: datetime
) -> ConversationState:
    new_id = (
        await session.execute(
            _INSERT,
            {
                "channel": channel,
                "chat_id": chat_id,
                "user_id": user_id,
                "language": language,
                "state": {},
                "updated_at": now,
            },
        )
    ).scalar_one()
    conv = ConversationState(int(new_id), channel, chat_id, user_id, language, {}, None)
    conv._loaded = (language, {}, None)
    return conv


async def save(session: AsyncSession, conv: ConversationState, now: datetime) -> None:
    if conv.changed:
        await session.execute(
            _UPDATE,
            {
                "row_id": conv.id,
                "lang": conv.language,
                "st": conv.state,
                "case": conv.active_case_id,
                "at": now,
            },
        )
