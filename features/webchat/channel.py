"""The browser channel's path of one event in and of each message out.

In: a page sends ``{"cid": <client id>, "msg": {...}}`` over the websocket. :meth:`WebChannel.accept`
stores it in the inbox (source ``web``; ``webchat_inbound`` maps the person's client id to the
inbox key, so a page that resends after a reconnect is acknowledged but not handled twice) and commits before
answering; then one worker per person hands it to the conversation service, which claims the
inbox row in the same transaction as the state change and replies — one person's events in
order, different people at once. Rows still pending at start-up are replayed in arrival order.

Out: the conversation service writes replies for channel ``web`` into the outbox like any
other. :class:`MailboxDispatcher` (the browser counterpart of ``bot.sender``) moves pending
``web`` rows into ``webchat_messages`` with a per-person increasing ``seq`` and marks them sent,
in one transaction; it is woken after each turn and also polls, so rows written by timers, the
console or another process are delivered too. Pages are then told to fetch what follows the
last ``seq`` they have.

Own messages: ``accept`` also writes what the person sent, as she sees it (:func:`own_message`),
as an outbox row of kind ``mine`` for her, in the same transaction: it takes its ``seq`` before
the replies it causes, so a reload or another device shows both sides, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, insert, select, update

from features.webchat.models import WebInbound, WebMailboxMessage, WebUpload
from i18n import translate
from mediation import intake
from services import inbox
from services.conversation import ConversationService
from services.inbound import Command, Inbound
from services.outbox import QueuedMessage
from storage.base import table_of, utcnow
from storage.db import Database, insert_for
from storage.leader import Leadership
from storage.models import InboxUpdate, OutboxMessage, User

log = logging.getLogger(__name__)

CHANNEL = "web"
MAX_TEXT = 4000
POLL_SECONDS = 0.5
BATCH = 500


def chat_id_of(user_id: int) -> str:
    return f"user:{user_id}"


def user_of_chat(chat_id: str) -> int | None:
    head, _, tail = chat_id.partition(":")
    return int(tail) if head == "user" and tail.isdigit() else None


def parse_command(text: str) -> Command | None:
    if not text.startswith("/") or len(text) < 2:
        return None
    head, _, rest = text[1:].partition(" ")
    name = head.lower()
    if not name.replace("_", "").isalnum() or not name.isascii():
        return None
    return Command(name, tuple(rest.split()))


def to_payload(
    msg: dict[str, Any], phone: str | None, user_id: int | None = None
) -> intake.Input | Command | None:
    """A page message → the channel-neutral input; None for anything we do not understand."""
    kind = msg.get("type")
    if kind == "text":
        text = str(msg.get("text", ""))[:MAX_TEXT]
        if not text.strip():
            return None
        return parse_command(text.strip()) or intake.TextInput(text)
    if kind == "action":
        return intake.ActionInput(str(msg.get("action", ""))[:64])
    if kind == "contact" and phone:
        # The phone this person logged in with (verified by the one-time code): their own.
        return intake.ContactInput(phone, is_own=True)
    if kind == "file" and user_id is not None:
        # Only a file this person uploaded (features.webchat.web's /chat/upload names it so).
        ref = str(msg.get("ref", ""))
        if not ref.startswith(f"web:files/web/{user_id}/") or ".." in ref or len(ref) > 200:
            return None
        size = msg.get("size")
        if ref.endswith((".webm", ".ogg")):  # the upload route named a recording so
            kind = "voice"
        else:
            kind = "photo" if msg.get("kind") == "photo" else "document"
        return intake.FileInput(
            kind,
            ref,
            name=str(msg.get("name") or "")[:120] or None,
            mime_type=str(msg.get("mime") or "")[:100] or None,
            size=size if isinstance(size, int) else None,
        )
    if kind == "start":
        unit = str(msg.get("unit") or "")
        return Command("start", (f"unit-{unit}",) if unit else ())
    if kind == "join":
        return Command("join", (str(msg.get("code", ""))[:80],))
    return None


#: The outbox/mailbox kind of a person's own message (never sent anywhere: shown to them).
OWN = "mine"


def own_message(msg: dict[str, Any], client_id: str, language: str) -> dict[str, Any] | None:
    """What a page message looks like in its sender's history: the words they typed, the
    button they pressed (the page names it, ``label``), never an invitation's secret."""
    kind = msg.get("type")
    label = msg.get("label")
    text = label if isinstance(label, str) and label.strip() else None
    if kind == "text":
        text = text or str(msg.get("text", ""))
    elif kind == "join":  # never the link's token or the code itself
        link = str(msg.get("code", "")).startswith("inv_")
        text = translate(language, "webchat.mine_join" if link else "webchat.mine_join_code")
    elif kind == "contact":
        text = translate(language, "webchat.mine_contact")
    elif kind == "file":
        text = text or str(msg.get("name") or "")
    if not text or not text.strip():
        return None
    return {"kind": OWN, "text": text[:MAX_TEXT], "cid": client_id[:64]}


def to_inbound(raw: dict[str, Any]) -> Inbound:
    """A stored page message → the event the conversation service handles."""
    user_id = int(raw["user_id"])
    msg = raw.get("msg")
    phone = raw.get("phone")
    return Inbound(
        channel=CHANNEL,
        chat_id=chat_id_of(user_id),
        user_id=str(user_id),
        payload=to_payload(msg if isinstance(msg, dict) else {}, phone if phone else None, user_id),
    )


class WebChannel:
    """Stores and hands on what pages send; delivers what the engine writes for them."""

    def __init__(self, db: Database, conversation: ConversationService) -> None:
        self.db = db
        self.conversation = conversation
        self.dispatcher = MailboxDispatcher(db)
        self._queues: dict[int, asyncio.Queue[tuple[int, dict[str, Any]]]] = {}
        self._workers: dict[int, asyncio.Task[None]] = {}
        self._previous_notify = conversation.notify
        conversation.notify = self._notify
        parsers = getattr(conversation, "parsers", None)
        if isinstance(parsers, dict):  # replicas handle each other's stored events
            parsers[CHANNEL] = to_inbound

    def _notify(self, messages: list[QueuedMessage]) -> Any:
        if any(m.channel == CHANNEL for m in messages):
            self.dispatcher.wake()
        if self._previous_notify is not None:
            return self._previous_notify(messages)
        return None

    async def start(self) -> None:
        await self.dispatcher.start()
        async with self.db.read() as session:
            rows = (
                await session.execute(
                    select(InboxUpdate)
                    .where(InboxUpdate.source == CHANNEL, InboxUpdate.status == "pending")
                    .order_by(InboxUpdate.received_at, InboxUpdate.update_id)
                )
            ).scalars()
            pending = [(r.update_id, r.payload) for r in rows]
        for update_id, payload in pending:
            self._queue(update_id, payload)

    async def stop(self) -> None:
        for task in list(self._workers.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.dispatcher.stop()

    async def accept(self, user_id: int, client_id: str, msg: dict[str, Any]) -> bool:
        """Store one page message and queue it; False when this client id was seen before.

        The person's own words go into their mailbox too (:func:`own_message`, through the
        outbox like every reply, so they take the next ``seq`` before the replies they cause):
        a page that reloads, or another device, shows both sides of the conversation.
        """
        raw: dict[str, Any] = {"user_id": user_id, "cid": client_id, "msg": msg}
        inbound, inbox_table = table_of(WebInbound), table_of(InboxUpdate)
        dialect_insert = insert_for(self.db.dialect)
        async with self.db.write() as session:
            user = await session.get(User, user_id)
            if msg.get("type") == "contact":
                # Like a Telegram contact update, the stored event carries the number: the
                # one this person logged in with (verified by the one-time code).
                raw["phone"] = user.phone if user is not None else None
            now = utcnow()
            new_id = (
                await session.execute(
                    dialect_insert(inbound)
                    .values(user_id=user_id, client_id=client_id[:64], received_at=now)
                    .on_conflict_do_nothing(index_elements=["user_id", "client_id"])
                    .returning(inbound.c.id)
                )
            ).scalar_one_or_none()
            if new_id is None:
                return False
            ref = msg.get("ref")
            if msg.get("type") == "file" and isinstance(ref, str) and ref.startswith("web:"):
                # Sent in a message: kept, and no longer counted as waiting (features.webchat.uploads).
                await session.execute(
                    update(WebUpload)
                    .where(
                        WebUpload.user_id == user_id,
                        WebUpload.key == ref.removeprefix("web:")[:300],
                        WebUpload.attached_at.is_(None),
                    )
                    .values(attached_at=now)
                )
            echo = own_message(msg, client_id, user.language if user is not None else "zh-CN")
            if echo is not None:
                await session.execute(
                    insert(table_of(OutboxMessage)).values(
                        channel=CHANNEL,
                        chat_id=chat_id_of(user_id),
                        payload=echo,
                        kind=OWN,
                        status="pending",
                        attempts=0,
                        created_at=now,
                    )
                )
            await session.execute(
                insert(inbox_table).values(
                    source=CHANNEL,
                    update_id=new_id,
                    chat_key=chat_id_of(user_id),
                    payload=raw,
                    status="pending",
                    received_at=now,
                )
            )
        self._queue(int(new_id), raw)
        self.dispatcher.wake()
        return True

    def _queue(self, update_id: int, raw: dict[str, Any]) -> None:
        user_id = int(raw["user_id"])
        queue = self._queues.setdefault(user_id, asyncio.Queue())
        queue.put_nowait((update_id, raw))
        if user_id not in self._workers:
            self._workers[user_id] = asyncio.create_task(
                self._worker(user_id), name=f"web-user-{user_id}"
            )

    async def _worker(self, user_id: int) -> None:
        queue = self._queues[user_id]
        try:
            while not queue.empty():
                update_id, raw = queue.get_nowait()
                await self._handle(update_id, raw)
        finally:
            self._workers.pop(user_id, None)
            if queue.empty():
                self._queues.pop(user_id, None)

    async def _handle(self, update_id: int, raw: dict[str, Any]) -> None:
        event = to_inbound(raw)
        try:
            await self.conversation.handle(event, (CHANNEL, update_id))
        except Exception as exc:
            log.exception("web update %s failed", update_id)
            await inbox.mark_failed(self.db, CHANNEL, update_id, repr(exc))
            with contextlib.suppress(Exception):
                await self.conversation.report_failure(event)

    async def drain(self, within: float = 10.0) -> None:
        """Wait until every queued page message is handled (tests)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while self._workers:
            if loop.time() > deadline:
                raise TimeoutError("web inbox not drained")
            await asyncio.sleep(0.01)


class MailboxDispatcher:
    """Moves pending ``web`` outbox rows into the per-person mailbox, numbered."""

    def __init__(self, db: Database, poll_seconds: float = POLL_SECONDS) -> None:
        self.db = db
        self.poll_seconds = poll_seconds
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        #: Replicas: one process numbers the mailboxes (two would race for the same numbers);
        #: always this one on SQLite. The others' pages are woken by the mailbox watcher.
        self.leadership = Leadership(db, "web-mailbox")
        #: Called with the ids of people who have new mailbox rows (the websocket hub).
        self.listeners: list[Callable[[set[int]], None]] = []

    def wake(self) -> None:
        self._wakeup.set()

    def submit(self, messages: list[QueuedMessage]) -> None:
        """Messages queued outside a turn (timers, the console, web routes): move any for the
        browser now rather than at the next poll (``app.runtime.Sender``)."""
        if any(m.channel == CHANNEL for m in messages):
            self.wake()

    async def start(self) -> None:
        await self.leadership.start()
        self._task = asyncio.create_task(self._loop(), name="web-mailbox")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.leadership.stop()

    async def _loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self.poll_seconds)
            self._wakeup.clear()
            if not self.leadership():
                continue
            try:
                while await self.run_once() >= BATCH:
                    pass
            except Exception:
                log.exception("moving web messages to mailboxes failed; will retry")
                await asyncio.sleep(1)

    async def run_once(self) -> int:
        """One batch; returns how many outbox rows it took."""
        outbox = table_of(OutboxMessage)
        mailbox = table_of(WebMailboxMessage)
        touched: set[int] = set()
        # Look first with a read: the single SQLite writer is not taken for an idle poll.
        async with self.db.read() as session:
            waiting = (
                await session.execute(
                    select(outbox.c.id)
                    .where(outbox.c.status == "pending", outbox.c.channel == CHANNEL)
                    .limit(1)
                )
            ).first()
        if waiting is None:
            return 0
        async with self.db.write() as session:
            rows = (
                await session.execute(
                    select(outbox.c.id, outbox.c.chat_id, outbox.c.payload)
                    .where(outbox.c.status == "pending", outbox.c.channel == CHANNEL)
                    .order_by(outbox.c.id)
                    .limit(BATCH)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            users = {u for r in rows if (u := user_of_chat(r.chat_id)) is not None}
            last: dict[int, int] = {}
            if users:
                result = await session.execute(
                    select(mailbox.c.user_id, func.max(mailbox.c.seq))
                    .where(mailbox.c.user_id.in_(users))
                    .group_by(mailbox.c.user_id)
                )
                last = {u: int(s) for u, s in result.all()}
            now = utcnow()
            values: list[dict[str, Any]] = []
            failed: list[int] = []
            for row in rows:
                user_id = user_of_chat(row.chat_id)
                if user_id is None:
                    failed.append(row.id)
                    continue
                if (row.payload or {}).get("kind") in ("answer_callback", "menu"):
                    continue  # Telegram notions: nothing to show in a page
                seq = last.get(user_id, 0) + 1
                last[user_id] = seq
                touched.add(user_id)
                values.append(
                    {
                        "user_id": user_id,
                        "seq": seq,
                        "outbox_id": row.id,
                        "payload": row.payload,
                        "created_at": now,
                    }
                )
            if values:
                await session.execute(insert(mailbox), values)
            ids = [r.id for r in rows if r.id not in failed]
            await session.execute(
                update(outbox).where(outbox.c.id.in_(ids)).values(status="sent", sent_at=now)
            )
            if failed:
                await session.execute(
                    update(outbox)
                    .where(outbox.c.id.in_(failed))
                    .values(status="failed", error="not a web chat id", sent_at=now)
                )
        if touched:
            for listener in self.listeners:
                listener(touched)
        return len(rows)


async def mailbox_after(
    db: Database, user_id: int, after: int, limit: int = 200
) -> list[WebMailboxMessage]:
    async with db.read() as session:
        rows = await session.execute(
            select(WebMailboxMessage)
            .where(WebMailboxMessage.user_id == user_id, WebMailboxMessage.seq > after)
            .order_by(WebMailboxMessage.seq)
            .limit(limit)
        )
        return list(rows.scalars())


async def latest_seqs(db: Database, user_ids: list[int]) -> dict[int, int]:
    """Each person's newest mailbox sequence number (people with an empty mailbox are absent):
    one query for many, so a replica can tell which open pages have something new."""
    async with db.read() as session:
        rows = await session.execute(
            select(WebMailboxMessage.user_id, func.max(WebMailboxMessage.seq))
            .where(WebMailboxMessage.user_id.in_(user_ids))
            .group_by(WebMailboxMessage.user_id)
        )
        return {u: int(s) for u, s in rows.all()}


async def user_language(db: Database, user_id: int) -> str | None:
    async with db.read() as session:
        user = await session.get(User, user_id)
        return user.language if user is not None else None


async def login_phone(db: Database, user_id: int) -> str | None:
    """The number this person logged in with (verified by the one-time code)."""
    async with db.read() as session:
        user = await session.get(User, user_id)
        return user.phone if user is not None else None
