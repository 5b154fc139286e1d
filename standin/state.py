"""Per-bot state: chats, the pending update queue and ``getUpdates`` semantics.

Telegram keeps one update queue per bot token, so the queue lives here rather
than on the server.  ``getUpdates`` follows the real contract closely because
the bot's reliability depends on it: an update stays pending until a later
call passes ``offset`` above its ``update_id``; a second concurrent poller
kicks out the first with 409; polling while a webhook is set is a 409.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .models import ApiError, JSONDict, SentMessage, Signal

# Telegram's default when allowed_updates is empty/unset: everything but these.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
CALLBACK_ANSWER_TIMEOUT = 15.0


def update_type(update: JSONDict) -> str:
    """The payload key of an update (``message``, ``callback_query``, ...)."""
    for key in update:
        if key != "update_id":
            return key
    return ""


def update_chat_key(update: JSONDict) -> int | None:
    """The chat an update belongs to, used to keep per-chat webhook order."""
    try:
        payload = update[update_type(update)]
        if not isinstance(payload, dict):
            return None
        message = (
            payload.get("message") if "data" in payload or "chat_instance" in payload else None
        )
        for source in (payload, message):
            if isinstance(source, dict) and isinstance(source.get("chat"), dict):
                return int(source["chat"]["id"])
        sender = payload.get("from")
        if isinstance(sender, dict):
            return int(sender["id"])
    except (KeyError, TypeError, ValueError):
        return None
    return None


@dataclass
class Chat:
    """A chat as the bot sees it, with every live message in it."""

    id: int
    type: str = "private"
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    title: str | None = None
    blocked: bool = False
    next_message_id: int = 1
    messages: dict[int, JSONDict] = field(default_factory=dict)
    sent: list[SentMessage] = field(default_factory=list)
    sent_by_id: dict[int, SentMessage] = field(default_factory=dict)
    actions: list[str] = field(default_factory=list)

    @property
    def is_group(self) -> bool:
        """Groups have their own (per-minute) flood limit."""
        return self.type in ("group", "supergroup")

    def as_dict(self) -> JSONDict:
        """The ``Chat`` object embedded in messages."""
        data: JSONDict = {"id": self.id, "type": self.type}
        for key in ("title", "username", "first_name", "last_name"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data

    def new_message_id(self) -> int:
        """Message ids are per chat and shared by the user's and the bot's messages."""
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    def clear_messages(self) -> None:
        """Forget messages but keep the id counter, so ids never repeat."""
        self.messages.clear()
        self.sent.clear()
        self.sent_by_id.clear()
        self.actions.clear()


@dataclass
class CallbackRecord:
    """A callback query the bot is expected to answer."""

    query_id: str
    chat_id: int
    message_id: int | None
    data: str | None
    created: float = field(default_factory=time.monotonic)
    answer: JSONDict | None = None


class BotState:
    """Everything Telegram keeps per bot token."""

    def __init__(self, bot_id: int | None, username: str, first_name: str) -> None:
        self.bot_id = bot_id
        self.username = username
        self.first_name = first_name
        self.chats: dict[int, Chat] = {}
        self.pending: dict[int, JSONDict] = {}
        self.next_update_id = 100_001
        self.allowed_updates: frozenset[str] | None = None
        self.update_signal = Signal()
        self.poll_generation = 0
        self.closed = False
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}
        self.menu_buttons: dict[int | None, JSONDict] = {}
        self.callbacks: dict[str, CallbackRecord] = {}
        self.profile: dict[str, str | None] = {}
        self.updates_enqueued = 0
        self.webhook_url = ""
        self.webhook_secret: str | None = None
        self.webhook_max_connections = 40
        #: Fault injection (see docs/standin.md): deliver getUpdates batches in random order;
        #: hand the last batch out again this many more times even after it was confirmed;
        #: POST this many acknowledged webhook updates a second time.
        self.shuffle_batches = False
        self.repeat_batches = 0
        self.duplicate_webhooks = 0
        self.repeated_updates = 0
        self._last_batch: list[JSONDict] = []
        self._shuffle = random.Random(0)
        # Set by the webhook dispatcher while a webhook is active.
        self.on_update: Callable[[JSONDict], None] | None = None

    @property
    def user(self) -> JSONDict:
        """The bot's own ``User`` object (``getMe`` and ``from`` of its messages)."""
        return {
            "id": self.bot_id or 0,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }

    # -- chats -------------------------------------------------------------

    def chat(self, chat_id: int) -> Chat | None:
        """A known chat or ``None``."""
        return self.chats.get(chat_id)

    def ensure_chat(self, chat_id: int, **profile: Any) -> Chat:
        """Register (or refresh) a chat; this is what makes it "known"."""
        chat = self.chats.get(chat_id)
        if chat is None:
            chat = self.chats[chat_id] = Chat(id=chat_id)
        for key, value in profile.items():
            if value is not None:
                setattr(chat, key, value)
        return chat

    def chat_by_ref(self, ref: int | str) -> Chat | None:
        """Resolve an integer id or ``@username``."""
        if isinstance(ref, int):
            return self.chats.get(ref)
        name = ref[1:].lower()
        return next((c for c in self.chats.values() if (c.username or "").lower() == name), None)

    # -- updates -----------------------------------------------------------

    def accepts(self, kind: str) -> bool:
        """Whether the bot's ``allowed_updates`` lets this update type through."""
        if self.allowed_updates is None:
            return kind not in _OPT_IN_UPDATES
        return kind in self.allowed_updates

    def set_allowed_updates(self, allowed: Iterable[str] | None) -> None:
        """Persist ``allowed_updates`` like Telegram (an empty list restores the default)."""
        if allowed is None:
            return
        values = frozenset(str(v) for v in allowed)
        self.allowed_updates = values or None

    def enqueue(self, update: JSONDict, *, keep_id: bool = False) -> JSONDict:
        """Assign an ``update_id`` and queue the update (filtered by allowed_updates)."""
        if not self.accepts(update_type(update)):
            return update
        if not keep_id or not isinstance(update.get("update_id"), int):
            update["update_id"] = self.next_update_id
            self.next_update_id += 1
        else:
            self.next_update_id = max(self.next_update_id, update["update_id"] + 1)
        self.pending[update["update_id"]] = update
        self.updates_enqueued += 1
        if self.on_update is not None:
            self.on_update(update)
        self.update_signal.notify()
        return update

    def acknowledge(self, update_id: int) -> None:
        """Drop one update (webhook delivery confirmed with a 2xx)."""
        if self.pending.pop(update_id, None) is not None:
            self.update_signal.notify()

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            while self.pending:
                first = next(iter(self.pending))
                if first >= offset:
                    break
                del self.pending[first]
        elif offset < 0:
            keep = -offset
            while len(self.pending) > keep:
                del self.pending[next(iter(self.pending))]

    async def get_updates(
        self,
        offset: int,
        limit: int,
        poll_seconds: float,
        allowed: Iterable[str] | None,
    ) -> list[JSONDict]:
        """``getUpdates``: confirm below *offset*, then long-poll up to *poll_seconds*."""
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        self.set_allowed_updates(allowed)
        self.poll_generation += 1
        generation = self.poll_generation
        self._confirm(offset)
        self.update_signal.notify()  # kicks out an older long poll, if any
        limit = min(max(limit, 1), 100)
        deadline = time.monotonic() + poll_seconds
        while True:
            if generation != self.poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            if self.repeat_batches > 0 and self._last_batch:
                # Telegram answered this batch before; here it comes again (a lost answer,
                # a proxy retry): the bot must not handle any of it twice.
                self.repeat_batches -= 1
                self.repeated_updates += len(self._last_batch)
                return list(self._last_batch)
            if self.pending or self.closed:
                batch = []
                for update in self.pending.values():
                    batch.append(update)
                    if len(batch) >= limit:
                        break
                if self.shuffle_batches:
                    self._shuffle.shuffle(batch)
                if batch:
                    self._last_batch = list(batch)
                return batch
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            await self.update_signal.wait(remaining)

    def clear(self) -> None:
        """Forget messages, pending updates and callback queries; keep chats and config."""
        for chat in self.chats.values():
            chat.clear_messages()
        self.pending.clear()
        self.callbacks.clear()
        self.update_signal.notify()
