"""What every handler gets for one inbound event, and helpers shared by party and staff flows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from mediation.case_state import ACTIVE
from mediation.replies import Msg, Reply, button
from mediation.units import UnitDirectory
from services.chat_state import Slot
from services.conversations import ConversationState
from services.delivery import Outgoing
from services.dialogue import Dialogue, NoDialogue
from services.inbound import Inbound
from services.outbox import QueuedMessage
from services.room import Content, Room, load_room
from services.shared import SharedServices
from storage.models import Case, CaseMember

T = TypeVar("T")


@dataclass
class Turn:
    session: AsyncSession
    event: Inbound
    conv: ConversationState
    out: Outgoing
    now: datetime
    settings: Settings
    units: UnitDirectory
    deep_link: Callable[[str], str | None]
    #: Services features built at start-up (render pool, sealer…): see services.shared.
    shared: SharedServices = field(default_factory=SharedServices)
    #: Work to do after this turn's transaction commits (slow lookups must not hold the write
    #: lock); each callable runs its own transactions and returns messages to deliver.
    after_commit: list[Callable[[], Awaitable[list[QueuedMessage]]]] = field(default_factory=list)
    #: The intake the chat may be filling in (services.dialogue; declared by features.intake).
    dialogue: Dialogue = field(default_factory=NoDialogue)

    def reprompt(self) -> list[Reply]:
        """The open intake's question again, after an answer to something else."""
        return self.dialogue.reprompt(self.dialogue.draft(self.conv))

    @property
    def invite_ttl(self) -> timedelta:
        return timedelta(days=self.settings.invite_ttl_days)

    @property
    def mediation_period(self) -> timedelta:
        return timedelta(days=self.settings.mediation_period_days)

    @property
    def party_reply_wait(self) -> timedelta:
        return timedelta(hours=self.settings.party_reply_hours)

    def get(self, slot: Slot[T]) -> T | None:
        """The typed value this chat holds in ``slot`` (None: nothing, or no longer readable)."""
        return self.conv.get(slot)

    def put(self, slot: Slot[T], value: T | None) -> None:
        self.conv.put(slot, value)

    def state(self, key: str) -> Any:
        return self.conv.state.get(key)

    def set_state(self, key: str, value: Any) -> None:
        state = dict(self.conv.state)
        if value is None:
            state.pop(key, None)
        else:
            state[key] = value
        self.conv.state = state  # reassign: JSON columns track assignment, not mutation

    def content(self) -> Content | None:
        """The event as room content, or None for commands and button presses."""
        from mediation import intake

        p = self.event.payload
        chat, message_id = self.event.chat_id, self.event.message_id
        if isinstance(p, intake.TextInput):
            return Content("text", text=p.text)
        if isinstance(p, intake.FileInput):
            return Content(p.kind, self.event.caption, p.ref, chat, message_id)
        if isinstance(p, intake.OtherInput) and p.kind == "location":
            return Content("location", from_chat_id=chat, message_id=message_id)
        if isinstance(p, intake.ContactInput):
            return None
        return None


_ACTIVE_VALUES = sorted(s.value for s in ACTIVE)


async def member_cases(
    session: AsyncSession,
    *,
    user_id: int | None = None,
    staff_id: int | None = None,
    include_closed: bool = False,
) -> list[tuple[Case, CaseMember]]:
    """Cases where the person is a present room member (active ones only unless asked),
    newest first."""
    cond = CaseMember.user_id == user_id if user_id is not None else CaseMember.staff_id == staff_id
    stmt = (
        select(Case, CaseMember)
        .join(CaseMember, CaseMember.case_id == Case.id)
        .where(cond, CaseMember.status != "removed")
        .order_by(Case.id.desc())
    )
    if not include_closed:
        stmt = stmt.where(Case.status.in_(_ACTIVE_VALUES))
    rows = await session.execute(stmt)
    return [(c, m) for c, m in rows.all()]


async def active_room(
    turn: Turn,
    *,
    user_id: int | None = None,
    staff_id: int | None = None,
    include_closed: bool = False,
) -> tuple[Room, CaseMember] | None:
    """The room this chat is talking in: the chosen case, else the newest active one."""
    cases = await member_cases(
        turn.session, user_id=user_id, staff_id=staff_id, include_closed=include_closed
    )
    return await room_among(turn, cases)


def active_only(cases: list[tuple[Case, CaseMember]]) -> list[tuple[Case, CaseMember]]:
    """Of :func:`member_cases` with ``include_closed``, what it returns without: the same rows
    in the same order (the query's ``Case.status IN ACTIVE`` on the loaded rows)."""
    return [(c, m) for c, m in cases if c.status in _ACTIVE_VALUES]


async def room_among(
    turn: Turn, cases: list[tuple[Case, CaseMember]]
) -> tuple[Room, CaseMember] | None:
    """:func:`active_room` on cases already read (newest first): the chosen one, else the
    newest; ``turn.conv.active_case_id`` follows."""
    if not cases:
        return None
    chosen = next((c for c in cases if c[0].id == turn.conv.active_case_id), cases[0])
    turn.conv.active_case_id = chosen[0].id
    room = await load_room(turn.session, chosen[0].id)
    if room is None:
        return None
    member = room.by_id(chosen[1].id)
    assert member is not None
    return room, member


def switch_reply(cases: list[tuple[Case, CaseMember]], active_id: int | None) -> Reply:
    rows = tuple(
        (
            button(
                "room.switch_item",
                f"s:{case.id}",
                number=case.number,
                status=Msg(f"status.{case.status}"),
                mark="▶ " if case.id == active_id else "",
            ),
        )
        for case, _ in cases[:20]
    )
    return Reply(Msg("room.switch_prompt"), buttons=rows)
