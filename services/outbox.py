"""Outgoing messages: rendered in the recipient's language and queued in the database.

Why an outbox: the reply is written in the same transaction as the state change it reports,
so a crash can never leave a party with a changed case and no message (or a message about a
change that was rolled back). Channel senders deliver the rows and mark them sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from i18n import translate
from mediation.replies import Reply
from services.outgoing import (
    Button,
    OutgoingMessage,
    TextMessage,
    from_payload,
    to_payload,
)
from storage.base import table_of, utcnow
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


def render(reply: Reply, language: str) -> TextMessage:
    """A reply in the recipient's language: text, buttons, keyboard hints."""
    return TextMessage(
        text=translate(language, reply.text),
        buttons=tuple(
            tuple(Button(translate(language, b.label), b.action) for b in row)
            for row in reply.buttons
        ),
        contact_button=translate(language, "intake.share_contact") if reply.ask_contact else None,
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
