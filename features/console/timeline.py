"""A case's timeline, merged by time from several sources.

Why sources: today the timeline is the ``case_events`` table; the mediation room adds
``case_messages`` and the documents package adds signatures. Each source turns its rows into
:class:`TimelineItem` and :func:`merge` interleaves them, so adding a source touches nothing
here. Items at the same instant keep a stable order (source order, then the row's own order).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mediation.masking import mask_personal_numbers
from storage.models import CaseEvent, CaseMember, CaseMessage


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    source: str  # "event", "message", …
    kind: str  # for events, CaseEvent.kind; for messages, e.g. "text"
    actor: str  # "staff:3", "user:7", "system"
    data: Mapping[str, Any] = field(default_factory=dict)
    order: int = 0


TimelineSource = Callable[[AsyncSession, int], Awaitable[Sequence[TimelineItem]]]


async def case_events(session: AsyncSession, case_id: int) -> Sequence[TimelineItem]:
    rows = await session.execute(
        select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.at, CaseEvent.id)
    )
    return [
        TimelineItem(at=e.at, source="event", kind=e.kind, actor=e.actor, data=e.data, order=e.id)
        for e in rows.scalars()
    ]


async def room_messages(session: AsyncSession, case_id: int) -> Sequence[TimelineItem]:
    """The mediation room's record (messages, files, room notes, room events); staff read all.

    Room events store a catalog key and plain parameters (``services.room.announce``); they
    are handed on as ``key``/``params`` for the page to translate in the reader's language.
    Mobile, ID and bank card numbers in what people typed are masked here (``masked``: there
    was one), so the page never holds them: staff see one in full only through the audited
    reveal (``features.console.case_view``; issue 19).
    """
    rows = await session.execute(
        select(CaseMessage, CaseMember)
        .outerjoin(CaseMember, CaseMember.id == CaseMessage.author_member_id)
        .where(CaseMessage.case_id == case_id)
        .order_by(CaseMessage.created_at, CaseMessage.id)
    )
    items: list[TimelineItem] = []
    for message, member in rows:
        actor = "system"
        typed = message.text or ""
        data: dict[str, Any] = {"text": typed}
        if message.kind != "event":
            data["text"] = mask_personal_numbers(typed)
            data["masked"] = data["text"] != typed
        if member is not None:
            if member.staff_id is not None:
                actor = f"staff:{member.staff_id}"
            elif member.user_id is not None:
                actor = f"user:{member.user_id}"
            data["role"], data["ordinal"] = member.role, member.ordinal
        if message.kind == "event":
            data = {**data, "key": message.text or "", "params": message.data.get("params", {})}
        items.append(
            TimelineItem(
                at=message.created_at,
                source="message",
                kind=message.kind,
                actor=actor,
                data=data,
                order=message.id,
            )
        )
    return items


def merge(streams: Iterable[Sequence[TimelineItem]]) -> list[TimelineItem]:
    """All items, oldest first; ties broken by stream position and then by ``order``."""
    keyed = [
        ((item.at, rank, item.order), item)
        for rank, stream in enumerate(streams)
        for item in stream
    ]
    keyed.sort(key=lambda pair: pair[0])
    return [item for _, item in keyed]
