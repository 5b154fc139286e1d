"""The Telegram side of the service: PTB Application, inbox, sender, webhook or polling.

The path of one update (see docs/ARCHITECTURE.md):
1. it arrives by webhook (``web.app``) or by ``bot.polling``; :meth:`TelegramBot.accept` stores
   it in the inbox (a repeated ``update_id`` stops here) and puts it on PTB's update queue;
2. PTB hands it to :class:`bot.processor.ChatOrderedProcessor` (one chat in order, chats in
   parallel), which runs :func:`on_update`;
3. :func:`on_update` translates it (``bot.updates``) and calls the conversation service, which
   claims the inbox row, changes state and queues replies in one transaction;
4. :class:`bot.sender.OutboxSender` delivers the replies within Telegram's limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from telegram import Bot, BotCommand, Update
from telegram.ext import Application, ContextTypes, TypeHandler

from bot.botapi import BotApiClient
from bot.http import AiohttpRequest
from bot.polling import poll_updates
from bot.processor import ChatOrderedProcessor
from bot.sender import OutboxSender
from bot.updates import CHANNEL, check_types, raw_chat_key, replace_nul, to_inbound
from core.config import Settings
from core.faults import crash_point
from services import inbox
from services.conversation import ConversationService
from services.inbound import Inbound
from services.outbox import QueuedMessage
from storage.db import Database
from storage.files import FileStore, local_store
from storage.leader import Leadership

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
COMMANDS = {
    "zh-CN": [
        ("start", "登记纠纷"),
        ("join", "用邀请码加入调解"),
        ("cases", "我的案件"),
        ("case", "查看案件"),
        ("agreement", "调解协议"),
        ("law", "查法条"),
        ("ask", "法律助手"),
        ("lawyer", "请律师"),
        ("offer", "提出调解方案"),
        ("bid", "双盲报价"),
        ("payments", "履行情况"),
        ("cancel", "取消登记"),
        ("language", "切换语言 / Language"),
        ("help", "帮助"),
    ],
    "en": [
        ("start", "Report a dispute"),
        ("join", "Join by invitation code"),
        ("cases", "My cases"),
        ("case", "Show a case"),
        ("agreement", "Mediation agreement"),
        ("law", "Look up the law"),
        ("ask", "Legal assistant"),
        ("lawyer", "Ask for a lawyer"),
        ("offer", "Propose terms"),
        ("bid", "Blind bidding"),
        ("payments", "Performance"),
        ("cancel", "Cancel the report"),
        ("language", "Language / 语言"),
        ("help", "Help"),
    ],
}


class TelegramBot:
    """Owns the PTB application and everything that moves updates in and messages out."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        conversation: ConversationService,
        files: FileStore | None = None,
    ) -> None:
        if not settings.telegram_bot_token:
            raise ValueError("TelegramBot needs TELEGRAM_BOT_TOKEN")
        self.settings = settings
        self.db = db
        self.conversation = conversation
        self.application: Application[Any, Any, Any, Any, Any, Any] = (
            Application.builder()
            .token(settings.telegram_bot_token)
            .base_url(settings.telegram_api_base_url)
            .base_file_url(settings.telegram_api_file_url)
            .updater(None)
            .concurrent_updates(ChatOrderedProcessor(settings.max_concurrent_updates))
            .request(AiohttpRequest(connection_pool_size=64))
            .get_updates_request(AiohttpRequest(connection_pool_size=2, read_timeout=40))
            .build()
        )
        self.application.bot_data["telegram_bot"] = self
        self.application.add_handler(TypeHandler(Update, on_update))
        #: Replicas on PostgreSQL: one process sends (see storage.leader), any process may
        #: handle an update another stored (see ConversationService._handle_earlier).
        self.replicated = db.dialect == "postgresql"
        self.leadership = Leadership(db, "telegram-sender")
        self.sender = OutboxSender(
            self.application.bot,
            db,
            rate_global=settings.telegram_rate_global,
            rate_per_chat=settings.telegram_rate_per_chat,
            files=files or local_store(settings),
            api=BotApiClient(settings.telegram_api_base_url, settings.telegram_bot_token),
            leader=self.leadership,
            poll_interval=0.2 if self.replicated else None,
        )
        self.inbox = inbox.InboxWriter(db, CHANNEL)
        conversation.notify = self._notify
        conversation.parsers[CHANNEL] = self._parse
        #: Updates queued in this process and not finished: the stale sweeper skips them.
        self._in_flight: set[int] = set()
        self._saturated_logged = False
        self._sweeper: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._poller: asyncio.Task[None] | None = None

    @property
    def saturated(self) -> bool:
        """Too many accepted updates wait for handling in this process (``MAX_UPDATE_BACKLOG``).

        Then the webhook answers 503 and the poller stops fetching: Telegram keeps the rest and
        delivers them again later (webhook retries, or the unconfirmed getUpdates offset), so
        a flood costs time, not unbounded memory. Reported once per episode in the log.
        """
        full = len(self._in_flight) >= self.settings.max_update_backlog
        if full != self._saturated_logged:
            self._saturated_logged = full
            if full:
                log.warning(
                    "update backlog at %d: refusing new updates until it drains",
                    len(self._in_flight),
                )
            else:
                log.info("update backlog drained: accepting updates again")
        return full

    @property
    def bot(self) -> Bot:
        bot: Bot = self.application.bot
        return bot

    async def fetch_file(self, file_ref: str) -> bytes:
        """A file's bytes by its Telegram file id (getFile, then the file URL): how the voice
        pipeline reads this channel's recordings."""
        file = await self.application.bot.get_file(file_ref)
        return bytes(await file.download_as_bytearray())

    def memory_gauges(self) -> dict[str, Callable[[], int]]:
        """Sizes of this channel's per-chat structures, for the memory probe."""
        app, sender, proc = self.application, self.sender, self.application.update_processor
        return {
            "ptb_chat_data": lambda: len(app.chat_data),
            "ptb_user_data": lambda: len(app.user_data),
            "ptb_update_queue": app.update_queue.qsize,
            "processor_locks": lambda: len(getattr(proc, "_locks", ())),
            "tg_in_flight": lambda: len(self._in_flight),
            "sender_queues": lambda: len(sender._queues),
            "sender_buckets": lambda: len(sender._buckets),
            "sender_workers": lambda: len(sender._workers),
            "sender_known": lambda: len(sender._known),
            "sender_parts_sent": lambda: len(sender._parts_sent),
        }

    def _parse(self, raw: dict[str, Any]) -> Inbound | None:
        return to_inbound(Update.de_json(raw, self.bot))

    async def _sweep_stale(self, every: float = 5.0, older_than: float = 15.0) -> None:
        """Replicas: handle updates another replica stored and then died before handling.

        Such an update is also handled by the next update of the same chat (under the chat's
        lock), but a chat that goes quiet would wait forever without this sweep.
        """
        while not self._stop.is_set():
            await asyncio.sleep(every)
            try:
                for row in await inbox.stale(self.db, CHANNEL, older_than):
                    if row.update_id in self._in_flight:
                        continue
                    try:
                        update = Update.de_json(row.payload, self.bot)
                    except Exception as exc:
                        await inbox.mark_failed(self.db, CHANNEL, row.update_id, repr(exc))
                        continue
                    self._in_flight.add(row.update_id)
                    await self.application.update_queue.put(update)
            except Exception:
                log.exception("stale inbox sweep failed")

    def _notify(self, messages: list[QueuedMessage]) -> None:
        self.sender.submit(messages)

    async def start(self) -> None:
        await self.application.initialize()  # getMe: fails fast on a wrong token
        username = self.bot.username
        self.conversation.deep_link = lambda token: f"https://t.me/{username}?start={token}"
        await self.application.start()
        await self.leadership.start()
        await self.sender.start()
        # Updates stored but not handled when the process last stopped, in their order.
        for row in await inbox.pending(self.db, CHANNEL):
            try:
                update = Update.de_json(row.payload, self.bot)
            except Exception as exc:
                await inbox.mark_failed(self.db, CHANNEL, row.update_id, f"unparseable: {exc}")
                continue
            self._in_flight.add(row.update_id)
            await self.application.update_queue.put(update)
        await self._set_commands()
        if self.replicated:
            self._sweeper = asyncio.create_task(self._sweep_stale(), name="inbox-sweep")
        if self.settings.webhook_mode:
            await self.bot.set_webhook(
                url=f"{self.settings.public_url}{WEBHOOK_PATH}",
                secret_token=self.webhook_secret,
                allowed_updates=Update.ALL_TYPES,
                # Telegram's maximum: with one chat's updates in order, parallel connections
                # are what let many chats be served at once (default would be 40).
                max_connections=100,
            )
        else:
            await self.bot.delete_webhook()
            self._poller = asyncio.create_task(
                poll_updates(self.bot, self.accept, stop=self._stop, paused=lambda: self.saturated),
                name="telegram-poll",
            )
        log.info(
            "Telegram bot @%s started (%s)",
            self.bot.username,
            "webhook" if self.settings.webhook_mode else "long polling",
        )

    async def _set_commands(self) -> None:
        try:
            for lang, commands in COMMANDS.items():
                await self.bot.set_my_commands(
                    [BotCommand(c, d) for c, d in commands],
                    language_code=None if lang == self.settings.default_language else lang[:2],
                )
        except Exception as exc:  # cosmetic: never stop start-up over the command menu
            log.warning("could not set the command menu: %s", exc)

    @property
    def webhook_secret(self) -> str:
        """The configured secret, or one derived from the token (stable across restarts)."""
        if self.settings.webhook_secret:
            return self.settings.webhook_secret
        import hashlib

        token = self.settings.telegram_bot_token or ""
        return hashlib.sha256(("webhook:" + token).encode()).hexdigest()[:64]

    async def stop(self) -> None:
        self._stop.set()
        for task in (self._poller, self._sweeper):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self.application.running:
            await self.application.stop()
        await self.sender.stop()
        await self.leadership.stop()
        if self.sender.api is not None:
            await self.sender.api.close()
        await self.application.shutdown()

    async def accept(self, raw: dict[str, Any], *, may_hold_nul: bool = True) -> bool:
        """Store one raw update and queue it for handling; False for a duplicate.

        ``may_hold_nul=False`` when the caller saw the JSON text and it has no ``\\u0000``
        escape (the only way JSON carries a NUL): the walk over the whole update is skipped.
        """
        update_id = raw["update_id"]
        if may_hold_nul:
            raw = replace_nul(raw)
        if not await self.inbox.accept(update_id, raw_chat_key(raw), raw):
            return False
        crash_point("after_inbox_accept")
        try:
            update = Update.de_json(raw, self.bot)
            check_types(update)
        except Exception as exc:  # hostile or malformed: keep it for inspection, move on
            log.warning("unparseable update %s: %s", update_id, exc)
            await inbox.mark_failed(self.db, CHANNEL, update_id, f"unparseable: {exc}")
            return True
        self._in_flight.add(update_id)
        await self.application.update_queue.put(update)
        return True


async def on_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The one PTB handler: translate, hand to the service, report failures."""
    tg: TelegramBot = context.bot_data["telegram_bot"]
    key = (CHANNEL, update.update_id)
    try:
        event = to_inbound(update)
    except Exception as exc:  # a shape our parser does not expect: keep it, move on
        log.exception("update %s could not be read", update.update_id)
        await inbox.mark_failed(tg.db, CHANNEL, update.update_id, f"unreadable: {exc!r}")
        tg._in_flight.discard(update.update_id)
        return
    try:
        if event is None:
            async with tg.db.write() as session:
                await inbox.claim(session, *key)
            return
        await tg.conversation.handle(event, key)
    except Exception as exc:
        log.exception("update %s failed", update.update_id)
        await inbox.mark_failed(tg.db, CHANNEL, update.update_id, repr(exc))
        if event is not None:
            with contextlib.suppress(Exception):
                await tg.conversation.report_failure(event)
    finally:
        tg._in_flight.discard(update.update_id)
