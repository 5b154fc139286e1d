"""Delivers outbox rows to Telegram within its rate limits, retrying without losing order.

Why not PTB's ``AIORateLimiter``: our messages are durable rows, and delivery must survive
restarts and keep each chat's messages in order across retries. Each chat has its own FIFO
worker (so a slow or flood-limited chat never holds up the others); a global token bucket keeps
the bot under ~30 messages/s and a per-chat bucket near 1 message/s with a small burst. A burst
above the limits is delayed, never dropped. Sent rows are marked in batches.

Delivery is at-least-once: if the process dies after Telegram accepted a message but before the
row was marked sent (a window of ~0.1 s), that one message is sent again on restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import warnings
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from telegram import Bot, BotCommand, BotCommandScopeChat, InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.warnings import PTBUserWarning

from bot.botapi import BotApiClient
from bot.limits import TokenBucket, retry_seconds, split_text
from bot.qr import qr_png
from core.faults import crash_point
from services import outbox
from services.outbox import QueuedMessage
from services.outgoing import (
    Button,
    CallbackAnswer,
    CommandMenu,
    MalformedMessage,
    OutgoingMessage,
    QrCode,
    RelayedFile,
    StoredDocument,
    TextDocument,
    TextMessage,
)
from storage.db import Database
from storage.files import BadKey, FileStore, FileStoreError, LocalFileStore, MissingFile

log = logging.getLogger(__name__)
warnings.filterwarnings("ignore", message=".*Bot.send_?[mM]essage.*", category=PTBUserWarning)

CHANNEL = "telegram"
MAX_BACKOFF = 60.0
#: Aim a little under the configured limits: requests reserved on time can still reach
#: Telegram bunched together by network jitter, and a bucket with the same numbers on the
#: other side would count that as a violation.
SAFETY = 0.9


class UnsendableFileError(Exception):
    """A stored document names no file in the sender's file store."""


class OutboxSender:
    def __init__(
        self,
        bot: Bot,
        db: Database,
        *,
        rate_global: float = 30.0,
        rate_per_chat: float = 1.0,
        per_chat_burst: float = 3.0,
        files_dir: Path | None = None,
        files: FileStore | None = None,
        api: BotApiClient | None = None,
        leader: Callable[[], bool] | None = None,
        poll_interval: float | None = None,
    ) -> None:
        self.bot = bot
        #: Replicas: only the process holding the sender role sends (storage.leader); the
        #: others leave their rows pending, and the leader finds them by polling every
        #: ``poll_interval`` seconds. One process: always the leader, no polling needed.
        self.leader = leader or (lambda: True)
        self.poll_interval = poll_interval
        self.db = db
        #: The lean client for sendMessage/answerCallbackQuery (see bot.botapi); PTB's Bot
        #: otherwise, and always for files and copies.
        self.api = api
        #: Where the files that ``file`` payloads name are kept (storage.files; ``files_dir``
        #: is a directory store); None refuses them all.
        self.files = (
            files if files is not None else LocalFileStore(files_dir) if files_dir else None
        )
        self.rate_per_chat = rate_per_chat * SAFETY
        self.per_chat_burst = per_chat_burst
        # A small bot-wide burst: requests taken on schedule can still leave our event loop
        # bunched up under load, and a full-size burst leaves no room for that.
        self.global_bucket = TokenBucket(rate_global * SAFETY, burst=max(1.0, rate_global / 4))
        self._queues: dict[str, deque[QueuedMessage]] = {}
        self._buckets: dict[str, TokenBucket] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._known: set[int] = set()
        self._done: list[outbox.Outcome] = []
        self._flush_wakeup = asyncio.Event()
        self._flusher: asyncio.Task[None] | None = None
        self._global_pause_until = 0.0
        self._stopping = False
        self.sent_count = 0
        #: Parts of a long text already accepted by Telegram, by outbox id (see _call).
        self._parts_sent: dict[int, int] = {}

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self._flusher = asyncio.create_task(self._flush_loop(), name="outbox-flush")
        await self.load_pending()

    async def load_pending(self) -> None:
        """Queue rows left pending by an earlier run (or another writer)."""
        self._enqueue(await outbox.pending(self.db, CHANNEL, skip=self._known))

    async def stop(self, grace: float = 5.0) -> None:
        """Let queued messages go out (up to ``grace`` seconds), then stop; the rest stay
        pending in the database and are sent after the next start."""
        with contextlib.suppress(TimeoutError):
            await self.drain(within=grace)
        workers = list(self._workers.values())
        for task in workers:
            task.cancel()
        for task in workers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        # Never cancel the flusher in the middle of a transaction: ask it to finish instead.
        self._stopping = True
        self._flush_wakeup.set()
        if self._flusher is not None:
            await self._flusher

    async def drain(self, within: float = 30.0) -> None:
        """Wait until everything queued so far is delivered and marked (tests, shutdown)."""
        deadline = time.monotonic() + within
        while self._workers or self._done:
            if time.monotonic() > deadline:
                raise TimeoutError("outbox not drained")
            self._flush_wakeup.set()
            await asyncio.sleep(0.01)

    # ------------------------------------------------------------------ queueing

    def submit(self, messages: list[QueuedMessage]) -> None:
        if self.poll_interval is not None:
            # Replicas: another process may have committed earlier rows for the same chat
            # that we have not read yet; reading the table now keeps the order of ids.
            if messages and self.leader():
                self._flush_wakeup.set()
            return
        self._enqueue(messages)

    def _enqueue(self, messages: list[QueuedMessage]) -> None:
        if not self.leader():
            return  # the leading replica will find these rows pending
        for m in messages:
            if m.channel != CHANNEL or m.id in self._known:
                continue
            self._known.add(m.id)
            self._queues.setdefault(m.chat_id, deque()).append(m)
            if m.chat_id not in self._workers:
                self._workers[m.chat_id] = asyncio.create_task(
                    self._chat_worker(m.chat_id), name=f"send-{m.chat_id}"
                )

    async def _chat_worker(self, chat_id: str) -> None:
        queue = self._queues[chat_id]
        try:
            while queue:
                if not self.leader():  # another replica took over: it will send the rest
                    for m in queue:
                        self._known.discard(m.id)
                    queue.clear()
                    break
                message = queue[0]
                status, external, error = await self._deliver(message)
                queue.popleft()
                self._done.append((message.id, status, external, error))
                self._flush_wakeup.set()
        finally:
            if not queue:
                self._queues.pop(chat_id, None)
                self._buckets.pop(chat_id, None)
            self._workers.pop(chat_id, None)

    # ------------------------------------------------------------------ delivery

    async def _wait_turn(self, chat_id: str, message: OutgoingMessage) -> None:
        if isinstance(message, CallbackAnswer | CommandMenu):
            # Not a message: no flood buckets. A retry_after Telegram gave still holds.
            pause = self._global_pause_until - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
            return
        bucket = self._buckets.get(chat_id)
        if bucket is None:
            bucket = self._buckets[chat_id] = TokenBucket(
                self.rate_per_chat, burst=self.per_chat_burst
            )
        while True:
            delay = max(
                bucket.wait_time(),
                self.global_bucket.wait_time(),
                self._global_pause_until - time.monotonic(),
            )
            if delay <= 0:
                bucket.take()
                self.global_bucket.take()
                return
            await asyncio.sleep(delay)

    async def _deliver(self, message: QueuedMessage) -> tuple[str, str | None, str | None]:
        """Send until it succeeds or fails for good; returns (status, telegram id, error)."""
        backoff = 0.5
        try:
            outgoing = message.message
        except MalformedMessage as exc:
            log.error("outbox row %s holds no message: %s", message.id, exc)
            return "failed", None, str(exc)
        while True:
            await self._wait_turn(message.chat_id, outgoing)
            try:
                crash_point("before_send")
                external = await self._call(message.chat_id, outgoing, message.id)
                crash_point("after_send_before_mark")
                chat_bucket = self._buckets.get(message.chat_id)
                if chat_bucket is not None:
                    chat_bucket.settle()
                self.sent_count += 1
                return "sent", external, None
            except RetryAfter as exc:
                seconds = retry_seconds(exc.retry_after)
                log.warning("Telegram asks to wait %.1fs (chat %s)", seconds, message.chat_id)
                self._global_pause_until = max(self._global_pause_until, time.monotonic() + seconds)
            except (Forbidden, BadRequest, UnsendableFileError) as exc:
                if isinstance(outgoing, CallbackAnswer):
                    return "sent", None, str(exc)  # an expired callback is harmless
                log.warning("message %s to %s refused: %s", message.id, message.chat_id, exc)
                return "failed", None, str(exc)
            except (TimedOut, NetworkError, FileStoreError) as exc:  # the store: retried too
                log.warning(
                    "network error sending %s: %s; retry in %.1fs", message.id, exc, backoff
                )
                await asyncio.sleep(backoff)
                backoff = min(MAX_BACKOFF, backoff * 2)

    async def _call(
        self, chat_id: str, message: OutgoingMessage, message_id: int | None = None
    ) -> str | None:
        if isinstance(message, CallbackAnswer):
            answer: dict[str, Any] = {"callback_query_id": message.callback_id}
            if message.text:
                answer["text"] = message.text
            await self._api_call("answerCallbackQuery", answer)
            return None
        if isinstance(message, CommandMenu):
            # The chat's own menu (a staff member's role); without commands, back to the default.
            scope = BotCommandScopeChat(int(chat_id))
            if message.commands:
                commands = [BotCommand(c, d) for c, d in message.commands]
                await self.bot.set_my_commands(commands, scope=scope)
            else:
                await self.bot.delete_my_commands(scope=scope)
            return None
        if isinstance(message, RelayedFile):
            # copyMessage carries no link to the original sender (unlike forwardMessage).
            copied = await self.bot.copy_message(
                int(chat_id),
                int(message.from_chat_id),
                message.message_id,
                caption=message.caption,
            )
            return str(copied.message_id)
        if isinstance(message, QrCode):
            png = qr_png(message.data)
            sent = await self.bot.send_photo(int(chat_id), png, caption=message.caption or None)
            return str(sent.message_id)
        if isinstance(message, TextDocument):
            sent = await self.bot.send_document(
                int(chat_id),
                InputFile(message.text.encode("utf-8"), filename=message.filename),
                caption=message.caption,
            )
            return str(sent.message_id)
        if isinstance(message, StoredDocument):
            # A generated file (a signed agreement PDF): the row holds its key, not its bytes.
            data = await self._file(message.path)
            sent = await self.bot.send_document(
                int(chat_id),
                InputFile(data, filename=message.filename or message.path.rsplit("/", 1)[-1]),
                caption=message.caption,
            )
            return str(sent.message_id)
        return await self._send_text(chat_id, message, message_id)

    async def _send_text(
        self, chat_id: str, message: TextMessage, message_id: int | None
    ) -> str | None:
        # The plain Bot API call: PTB's send_message would build markup objects and parse the
        # whole returned Message, and we only need its id (measured: most of the send cost).
        # Telegram refuses texts over 4,096 UTF-16 units (a long statement relayed with its
        # header): send them in parts, the buttons with the last. ``done`` remembers the parts
        # already accepted, so a retry after a 429 or a timeout does not send them twice.
        parts = split_text(message.text)
        done = self._parts_sent.get(message_id, 0) if message_id is not None else 0
        for index in range(done, len(parts) - 1):
            await self._api_call("sendMessage", {"chat_id": int(chat_id), "text": parts[index]})
            if message_id is not None:
                self._parts_sent[message_id] = index + 1
        if message_id is not None:
            self._parts_sent.pop(message_id, None)
        params: dict[str, Any] = {"chat_id": int(chat_id), "text": parts[-1]}
        if message.buttons:
            params["reply_markup"] = {
                "inline_keyboard": [[_inline_button(b) for b in row] for row in message.buttons]
            }
        elif message.contact_button:
            params["reply_markup"] = {
                "keyboard": [[{"text": message.contact_button, "request_contact": True}]],
                "resize_keyboard": True,
                "one_time_keyboard": True,
            }
        elif message.remove_keyboard:
            params["reply_markup"] = {"remove_keyboard": True}
        result = await self._api_call("sendMessage", params)
        return str(result["message_id"]) if isinstance(result, dict) else None

    async def _api_call(self, method: str, params: dict[str, Any]) -> Any:
        if self.api is not None:
            return await self.api.call(method, params)
        return await self.bot.do_api_request(method, api_kwargs=params)

    async def _file(self, key: str) -> bytes:
        """The bytes under ``key`` in the file store; anything else is refused (a store that
        cannot be reached raises FileStoreError, which is retried like a network error)."""
        if self.files is None or not key:
            raise UnsendableFileError("no file store configured for file payloads")
        try:
            return await self.files.get(key)
        except (BadKey, MissingFile) as exc:
            raise UnsendableFileError(f"not a file in the file store: {key!r}") from exc

    # ------------------------------------------------------------------ marking

    async def _flush_loop(self) -> None:
        while not self._stopping or self._done:
            if self.poll_interval is None:
                await self._flush_wakeup.wait()
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._flush_wakeup.wait(), self.poll_interval)
            self._flush_wakeup.clear()
            if not self._stopping:
                await asyncio.sleep(0.05)  # gather a batch
            try:
                await self._flush()
            except Exception:
                log.exception("could not mark outbox rows; will retry")
                if self._stopping:
                    return  # the rows stay pending and are re-sent after the restart
                await asyncio.sleep(1)
                self._flush_wakeup.set()
            if self.poll_interval is not None and not self._stopping and self.leader():
                # In this task, after the flush: a row marked sent is never read back as
                # pending and sent twice.
                try:
                    await self.load_pending()
                except Exception:
                    log.exception("could not read pending outbox rows; will retry")

    async def _flush(self) -> None:
        if not self._done:
            return
        batch, self._done = self._done, []
        try:
            await outbox.mark(self.db, batch)
        except BaseException:  # including cancellation: never forget what was sent
            self._done = batch + self._done
            raise
        for i, *_ in batch:
            self._known.discard(i)


def _inline_button(b: Button) -> dict[str, Any]:
    """A callback button, or a Mini App button (``web_app``: the page's https URL)."""
    if b.web_app:
        return {"text": b.text, "web_app": {"url": b.web_app}}
    return {"text": b.text, "callback_data": b.action}
