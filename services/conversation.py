"""The conversation service: one inbound event in, state changed and replies queued, atomically.

Every channel adapter (Telegram now, the browser chat later) calls :meth:`handle`. In one
write transaction it claims the inbox row (so the event is handled once), loads the chat's
conversation state from the database (never from process memory), runs the pure domain logic,
stores the new state and queues the replies in the outbox. After commit it hands the queued
messages to the channel's sender.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.config import Settings
from i18n import normalise_language
from mediation.replies import reply
from mediation.units import UnitDirectory
from services import conversations, features, inbox
from services.conversations import ConversationState
from services.delivery import Address, Outgoing
from services.dispatch import Dispatcher
from services.inbound import Inbound
from services.outbox import QueuedMessage, enqueue, render
from services.outgoing import CallbackAnswer, OutgoingMessage
from services.routing import RoutingTable
from services.shared import SharedServices
from services.turn import Turn
from storage.db import Database
from storage.models import User

log = logging.getLogger(__name__)

Notifier = Callable[[list[QueuedMessage]], Awaitable[None] | None]


class ConversationService:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        units: UnitDirectory,
        clock: Clock,
        notify: Notifier | None = None,
        shared: SharedServices | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.units = units
        self.clock = clock
        self.notify = notify
        #: Turns an invitation token into a link; set by the channel that knows its address
        #: (the Telegram bot after getMe). Without it, invitees type the short code.
        self.deep_link: Callable[[str], str | None] = lambda token: None
        #: Raw stored update → event, per inbox source; set by each channel adapter so that
        #: any replica can handle an update another replica stored (see _handle_earlier).
        self.parsers: dict[str, Callable[[dict[str, Any]], Inbound | None]] = {}
        #: The intake, when its feature declared it (services.dialogue), else none.
        self.dispatcher = Dispatcher(features.open_dialogue(db, settings, units))
        #: Filled by feature start-up hooks (see services.features); shared with every turn.
        self.shared = shared if shared is not None else SharedServices()

    # ------------------------------------------------------------------ entry point

    async def handle(self, event: Inbound, inbox_key: tuple[str, int] | None = None) -> bool:
        """Handle one event; False when it had already been handled (duplicate)."""
        later: list[Callable[[], Awaitable[list[QueuedMessage]]]] = []
        async with self.db.write() as session:
            queued: list[QueuedMessage] = []
            if inbox_key is not None and self.db.dialect == "postgresql":
                queued += await self._handle_earlier(session, inbox_key, later)
            if inbox_key is not None and not await inbox.claim(session, *inbox_key):
                return False
            queued += await self._handle_in_session(session, event, later)
        for job in later:
            try:
                queued += await job()
            except Exception:
                log.exception("follow-up of an update failed")
        if self.notify is not None and queued:
            result = self.notify(queued)
            if result is not None:
                await result
        return True

    async def _handle_earlier(
        self,
        session: AsyncSession,
        inbox_key: tuple[str, int],
        later: list[Callable[[], Awaitable[list[QueuedMessage]]]],
    ) -> list[QueuedMessage]:
        """Under the chat's lock, handle the chat's earlier updates that are still pending.

        With several replicas one chat's updates may be stored by different processes; the
        lock makes them take turns and this keeps the order of ``update_id`` whichever replica
        got which update. Each earlier update runs in a savepoint: one that fails is marked
        failed and does not block the chat.
        """
        source, update_id = inbox_key
        chat_key = await inbox.lock_chat(session, source, update_id)
        parse = self.parsers.get(source)
        if chat_key is None or parse is None:
            return []
        queued: list[QueuedMessage] = []
        for earlier_id, payload in await inbox.earlier_pending(
            session, source, chat_key, update_id
        ):
            try:
                async with session.begin_nested():
                    if not await inbox.claim(session, source, earlier_id):
                        continue
                    event = parse(payload)
                    if event is not None:
                        queued += await self._handle_in_session(session, event, later)
            except Exception as exc:
                log.exception("earlier update %s failed", earlier_id)
                await inbox.fail_in_session(session, source, earlier_id, repr(exc))
        return queued

    async def report_failure(self, event: Inbound) -> None:
        """Tell the person something went wrong (their input so far is safe in the DB)."""
        async with self.db.write() as session:
            conv = await self._conversation(session, event)
            messages: list[OutgoingMessage] = [render(reply("bot.internal_error"), conv.language)]
            if event.callback_id:
                messages.append(CallbackAnswer(event.callback_id))
            queued = await enqueue(session, event.channel, event.chat_id, messages)
        if self.notify is not None:
            result = self.notify(queued)
            if result is not None:
                await result

    async def _handle_in_session(
        self,
        session: AsyncSession,
        event: Inbound,
        later: list[Callable[[], Awaitable[list[QueuedMessage]]]] | None = None,
    ) -> list[QueuedMessage]:
        conv = await self._conversation(session, event)
        out = Outgoing(Address(event.channel, event.chat_id, conv.language))
        if event.callback_id:
            # Acknowledge the button press so the client stops its spinner.
            out.send_message(out.sender, CallbackAnswer(event.callback_id))
        turn = Turn(
            session,
            event,
            conv,
            out,
            self.clock.now(),
            self.settings,
            self.units,
            self.deep_link,
            self.shared,
            later if later is not None else [],
            self.dispatcher.core,
        )
        replies = await self.dispatcher.dispatch(turn)
        # The language may have changed during the turn: render the sender's replies now.
        out.sender = Address(event.channel, event.chat_id, conv.language)
        out.reply(*replies)
        await conversations.save(session, conv, turn.now)
        return await out.flush(session)

    # ------------------------------------------------------------------ loading

    async def _user(self, session: AsyncSession, event: Inbound) -> User:
        if event.channel == "web":
            # The browser chat's user id is ours (the row made at phone login).
            return await session.get_one(User, int(event.user_id))
        if event.channel != "telegram":
            raise NotImplementedError(f"channel {event.channel}")
        telegram_id = int(event.user_id)
        user = (
            await session.execute(select(User).where(User.telegram_id == telegram_id))
        ).scalar_one_or_none()
        if user is None:
            user = User(
                telegram_id=telegram_id,
                language=normalise_language(event.language_hint)
                if event.language_hint
                else self.settings.default_language,
                created_at=self.clock.now(),
            )
            session.add(user)
            await session.flush()
        return user

    async def _conversation(self, session: AsyncSession, event: Inbound) -> ConversationState:
        """The chat's conversation; the user row is read only when a step needs it."""
        conv = await conversations.load(session, event.channel, event.chat_id)
        if conv is None:
            user = await self._user(session, event)
            conv = await conversations.create(
                session, event.channel, event.chat_id, user.id, user.language, self.clock.now()
            )
        return conv

    @property
    def routes(self) -> RoutingTable:
        """The routing table (built on first use; ``app.runtime`` touches it at start)."""
        return self.dispatcher.routes
