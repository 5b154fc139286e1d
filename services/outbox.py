"""Outgoing messages: rendered in the recipient's language and queued in the database.

Why an outbox: the reply is written in the same transaction as the state change it reports,
so a crash can never leave a party with a changed case and no message (or a message about a
change that was rolled back). Channel senders deliver the rows and mark them sent.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from i18n import translate_for
from mediation.replies import Reply
from services.outgoing import (
    Button,
    OutgoingMessage,
    TextMessage,
    from_payload,
    to_payload,
)
from storage.base import table_of, utcnow
from storage.db import Database
from storage.models import OutboxMessage


@dataclass(frozen=True)
class QueuedMessage:
    id: int
    channel: str
    chat_id: str
    #: The row's JSON (services.outgoing.to_payload); channels read it as :attr:`message`.
    payload: dict[str, Any]

    @property
    def message(self) -> OutgoingMessage:
        """The typed message (raises ``MalformedMessage`` for a row that holds none)."""
        return from_payload(self.payload)


def render(reply: Reply, language: str, channel: str | None = None) -> TextMessage:
    """A reply in the recipient's language, in their channel's wording when it has its own
    (``i18n.translate_for``): text, buttons, keyboard hints."""
    return TextMessage(
        text=translate_for(channel, language, reply.text),
        buttons=tuple(
            tuple(Button(translate_for(channel, language, b.label), b.action) for b in row)
            for row in reply.buttons
        ),
        contact_button=translate_for(channel, language, "intake.share_contact")
        if reply.ask_contact
        else None,
        remove_keyboard=reply.remove_keyboard,
    )


async def enqueue(
    session: AsyncSession, channel: str, chat_id: str, messages: Iterable[OutgoingMessage]
) -> list[QueuedMessage]:
    items: list[dict[str, Any]] = [to_payload(m) for m in messages]
    if not items:
        return []
    # Core, not ORM, DML: this runs for every message and the ORM bulk path costs more
    # than the statement itself.
    table = table_of(OutboxMessage)
    now = utcnow()
    rows: list[dict[str, Any]] = [
        {
            "channel": channel,
            "chat_id": chat_id,
            "payload": p,
            "case_message_id": p.get("cm"),
            "kind": str(p["kind"])[:24] if p.get("kind") is not None else None,
            "status": "pending",
            "attempts": 0,
            "created_at": now,
        }
        for p in items
    ]
    result = await session.execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
    )
    ids = list(result.scalars())
    return [QueuedMessage(i, channel, chat_id, p) for i, p in zip(ids, items, strict=True)]


async def pending(
    db: Database, channel: str, *, skip: Container[int] = (), limit: int = 5000
) -> list[QueuedMessage]:
    """A channel's rows still to send, oldest first (left by an earlier run, or written by
    another replica), except those in ``skip`` (already queued in this process)."""
    table = table_of(OutboxMessage)
    async with db.read() as session:
        ids = (
            await session.execute(
                select(table.c.id)
                .where(table.c.status == "pending", table.c.channel == channel)
                .order_by(table.c.id)
                .limit(limit)
            )
        ).scalars()
        new = [i for i in ids if i not in skip]
        if not new:
            return []
        rows = await session.execute(
            select(table.c.id, table.c.chat_id, table.c.payload)
            .where(table.c.id.in_(new))
            .order_by(table.c.id)
        )
        return [QueuedMessage(r.id, channel, r.chat_id, r.payload) for r in rows]


#: What became of one row: (outbox id, "sent" or "failed", the channel's message id, error).
Outcome = tuple[int, str, str | None, str | None]


async def mark(db: Database, outcomes: Sequence[Outcome]) -> None:
    """Record how rows went, in one transaction (a sender batches them)."""
    now = utcnow()
    table = table_of(OutboxMessage)
    stmt = (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values(
            status=bindparam("new_status"),
            external_id=bindparam("external"),
            error=bindparam("why"),
            sent_at=bindparam("at"),
        )
    )
    async with db.write() as session:
        await session.execute(
            stmt,
            [
                {"row_id": i, "new_status": st, "external": ext, "why": err, "at": now}
                for i, st, ext, err in outcomes
            ],
        )
