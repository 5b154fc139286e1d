"""The stand-in's state and its Python API, independent of the HTTP layer.

``StandinBotAPI`` (server.py) inherits from ``Engine`` and only adds the
aiohttp plumbing; keeping the model here means the observation and
simulation API can be read in one place and the request path in another.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TypeVar

import aiohttp

from .limits import FaultInjector, FaultRule, RateLimiter
from .media import FileStore
from .models import ApiError, Call, ErrorRecord, JSONDict, RateLimits, SentMessage, Signal
from .state import BotState, CallbackRecord
from .webhook import WebhookDispatcher

if TYPE_CHECKING:
    from .simulation import SimUser

T = TypeVar("T")
DEFAULT_BOT_USERNAME = "mediation_test_bot"
DEFAULT_BOT_NAME = "人民调解助手 (test)"


class Engine:
    """Bots, chats, files, faults and everything a test observes."""

    def __init__(
        self,
        latency: float = 0.0,
        enforce_rate_limits: bool = False,
        *,
        tokens: Iterable[str] | None = None,
        bot_username: str = DEFAULT_BOT_USERNAME,
        bot_name: str = DEFAULT_BOT_NAME,
        rate_limits: RateLimits | None = None,
        record_calls: bool = True,
        webhook_retry_delay: float = 0.1,
    ) -> None:
        #: Seconds added to every Bot API call (``asyncio.sleep``, never blocking).
        self.latency = latency
        #: Answer 429 when Telegram's flood limits would be exceeded.
        self.enforce_rate_limits = enforce_rate_limits
        #: Keep every request in ``calls`` (switch off for long benchmarks).
        self.record_calls = record_calls
        self.webhook_retry_delay = webhook_retry_delay
        self.rate_limits = rate_limits or RateLimits()
        self.limiter = RateLimiter(self.rate_limits)
        self.faults = FaultInjector()
        self.files = FileStore()
        self.calls: list[Call] = []
        self.errors: list[ErrorRecord] = []
        self.method_counts: dict[str, int] = {}
        self.message_signal = Signal()
        #: Method → (when, until, refused call): a 429's ``retry_after`` forbids calling it.
        self.flood_waits: dict[str, tuple[float, float, str]] = {}
        #: Calls that came while a ``retry_after`` was still running: (method, seconds early).
        self.early_calls: list[tuple[str, float]] = []
        #: Calls whose client never got the answer (reset, or gone before a late reply):
        #: (method, params, carried out, time). A carried-out ``sendMessage`` here is the one
        #: case where a correct client may send the same message twice.
        self.abandoned: list[tuple[str, JSONDict, bool, float]] = []
        self.started_at = time.time()
        self._bot_username = bot_username
        self._bot_name = bot_name
        self._tokens = frozenset(tokens) if tokens is not None else None
        self._default = BotState(None, bot_username, bot_name)
        self._bots: dict[int, BotState] = {}
        self._by_token: dict[str, BotState] = {}
        self._users: dict[tuple[int, int], SimUser] = {}
        self._webhooks: dict[int, WebhookDispatcher] = {}
        self._session: aiohttp.ClientSession | None = None
        if self._tokens:
            self.bot_for_token(sorted(self._tokens)[0])

    # -- bots --------------------------------------------------------------

    def bot_for_token(self, token: str) -> BotState:
        """Resolve a token like Telegram: malformed → 404, not allowed → 401.

        The first bot to show up adopts the default state, so simulated users
        created before the bot connected talk to it without naming it.
        """
        bot = self._by_token.get(token)
        if bot is not None:
            return bot
        prefix, sep, secret = token.partition(":")
        if not sep or not prefix.isdigit() or not secret:
            raise ApiError(404, "Not Found")
        if self._tokens is not None and token not in self._tokens:
            raise ApiError(401, "Unauthorized")
        bot = self.bot_state(int(prefix))
        self._by_token[token] = bot
        return bot

    def bot_state(self, bot_id: int | None = None) -> BotState:
        """The default bot (``None``) or the bot with this id, created on demand."""
        if bot_id is None:
            return self._default
        bot = self._bots.get(bot_id)
        if bot is None:
            if self._default.bot_id is None:
                bot = self._default
                bot.bot_id = bot_id
            else:
                bot = BotState(bot_id, f"mediation_test_{bot_id}_bot", self._bot_name)
            self._bots[bot_id] = bot
        return bot

    @property
    def bot(self) -> BotState:
        """The default bot's state (chats, pending updates, commands), for inspection."""
        return self._default

    def all_bots(self) -> list[BotState]:
        """Every bot state, the default one first."""
        bots = [self._default]
        bots.extend(bot for bot in self._bots.values() if bot is not self._default)
        return bots

    # -- simulation entry points ---------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str = "张三",
        username: str | None = None,
        language_code: str | None = "zh-hans",
        phone: str | None = None,
        *,
        last_name: str | None = None,
        bot_id: int | None = None,
    ) -> SimUser:
        """A simulated Telegram user (the same object for the same id)."""
        from .simulation import SimUser

        bot = self.bot_state(bot_id)
        key = (id(bot), user_id)
        user = self._users.get(key)
        if user is None:
            user = self._users[key] = SimUser(
                self, bot, user_id, first_name, username, language_code, phone, last_name
            )
        return user

    def register_chat(
        self,
        chat_id: int,
        chat_type: str = "private",
        *,
        first_name: str | None = None,
        title: str | None = None,
        username: str | None = None,
        bot_id: int | None = None,
    ) -> None:
        """Make a chat known so the bot may message it before any update arrived."""
        bot = self.bot_state(bot_id)
        if chat_type == "private" and first_name is None:
            first_name = f"User {chat_id}"
        if chat_type != "private" and title is None:
            title = f"Group {chat_id}"
        bot.ensure_chat(
            chat_id, type=chat_type, first_name=first_name, title=title, username=username
        )

    def block(self, chat_id: int, blocked: bool = True, *, bot_id: int | None = None) -> None:
        """Make sends to this chat fail with 403 (no update; see ``SimUser.block``)."""
        self.bot_state(bot_id).ensure_chat(chat_id).blocked = blocked

    def inject_raw_update(
        self, update: JSONDict, *, bot_id: int | None = None, keep_id: bool = False
    ) -> JSONDict:
        """Queue any dict as an update, for hostile-input tests.

        The ``update_id`` is replaced unless *keep_id*; chats found in the
        payload are registered so the bot can answer them.
        """
        bot = self.bot_state(bot_id)
        for value in update.values():
            chat = value.get("chat") if isinstance(value, dict) else None
            if isinstance(chat, dict) and isinstance(chat.get("id"), int):
                bot.ensure_chat(chat["id"], type=str(chat.get("type", "private")))
        return bot.enqueue(update, keep_id=keep_id)

    async def wait_idle(self, timeout: float = 5.0, *, bot_id: int | None = None) -> None:  # noqa: ASYNC109
        """Wait until every queued update was confirmed (getUpdates) or acknowledged (webhook)."""
        bot = self.bot_state(bot_id)
        done = await bot.update_signal.wait_until(
            lambda: True if not bot.pending else None, timeout
        )
        if done is None:
            raise AssertionError(
                f"{len(bot.pending)} update(s) still pending after {timeout}s: "
                f"{list(bot.pending)[:10]}"
            )

    # -- observation -----------------------------------------------------------

    def sent_to(self, chat_id: int, *, bot_id: int | None = None) -> list[SentMessage]:
        """Messages the bot sent to *chat_id*, oldest first (deleted ones flagged)."""
        chat = self.bot_state(bot_id).chats.get(chat_id)
        return list(chat.sent) if chat is not None else []

    def chat_actions(self, chat_id: int, *, bot_id: int | None = None) -> list[str]:
        """``sendChatAction`` actions sent to the chat, in order."""
        chat = self.bot_state(bot_id).chats.get(chat_id)
        return list(chat.actions) if chat is not None else []

    def callback_answer(self, query_id: str, *, bot_id: int | None = None) -> JSONDict | None:
        """The bot's ``answerCallbackQuery`` for *query_id*, or ``None`` if unanswered."""
        record: CallbackRecord | None = self.bot_state(bot_id).callbacks.get(query_id)
        return record.answer if record is not None else None

    def commands(
        self, scope: JSONDict | None = None, language_code: str = "", *, bot_id: int | None = None
    ) -> list[JSONDict]:
        """Commands registered with ``setMyCommands`` for this scope/language."""
        from .methods import scope_key

        return list(self.bot_state(bot_id).commands.get(scope_key(scope, language_code), []))

    def menu_for(
        self, chat_id: int, language_code: str | None = None, *, bot_id: int | None = None
    ) -> list[str]:
        """The command names a private chat sees in its menu (the ``/`` button), resolved as
        Telegram does: the chat's own scope first, then all private chats, then the default,
        each in the user's language before any language."""
        from .methods import menu_keys

        commands = self.bot_state(bot_id).commands
        for key in menu_keys(chat_id, language_code):
            if commands.get(key):
                return [str(c["command"]) for c in commands[key]]
        return []

    def calls_to(self, method: str) -> list[Call]:
        """Recorded calls of one method (case-insensitive)."""
        wanted = method.lower()
        return [call for call in self.calls if call.method.lower() == wanted]

    async def wait_until(
        self,
        check: Callable[[], T | None],
        timeout: float = 5.0,  # noqa: ASYNC109
        what: str = "condition",
    ) -> T:
        """Wait until *check* returns non-``None`` (re-checked on every message change)."""
        result = await self.message_signal.wait_until(check, timeout)
        if result is None:
            raise AssertionError(f"Timed out after {timeout}s waiting for {what}")
        return result

    async def wait_for(
        self,
        chat_id: int,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        bot_id: int | None = None,
    ) -> list[SentMessage]:
        """Wait until the chat holds at least *count* bot messages; returns all of them."""

        def check() -> list[SentMessage] | None:
            messages = self.sent_to(chat_id, bot_id=bot_id)
            return messages if len(messages) >= count else None

        result = await self.message_signal.wait_until(check, timeout)
        if result is None:
            raise AssertionError(
                self.timeout_report(chat_id, count, timeout, self.sent_to(chat_id, bot_id=bot_id))
            )
        return result

    def timeout_report(
        self, chat_id: int, count: int, timeout: float, arrived: list[SentMessage]
    ) -> str:
        """Explain a wait timeout: what did arrive and which API calls failed."""
        lines = [
            f"Timed out after {timeout}s waiting for {count} message(s) in chat {chat_id}; "
            f"{len(arrived)} arrived:"
        ]
        lines.extend(f"  - {message.summary()}" for message in arrived)
        failures = [e for e in self.errors if str(e.params.get("chat_id")) == str(chat_id)]
        if failures:
            lines.append("Failed Bot API calls for this chat:")
            lines.extend(f"  - {e.method} → {e.status} {e.description}" for e in failures[-10:])
        return "\n".join(lines)

    @property
    def rate_limit_violations(self) -> int:
        """How many sends were refused with 429 by the flood-limit model."""
        return self.limiter.violations

    def stats(self) -> JSONDict:
        """Counters for dashboards and benchmarks (all JSON-safe)."""
        messages: dict[str, int] = {}
        pending = 0
        for bot in self.all_bots():
            pending += len(bot.pending)
            for chat in bot.chats.values():
                if chat.sent:
                    messages[str(chat.id)] = messages.get(str(chat.id), 0) + len(chat.sent)
        errors: dict[str, int] = {}
        for error in self.errors:
            errors[str(error.status)] = errors.get(str(error.status), 0) + 1
        return {
            "calls": dict(self.method_counts),
            "total_calls": sum(self.method_counts.values()),
            "messages": messages,
            "total_messages": sum(messages.values()),
            "errors": errors,
            "rate_limit_violations": self.limiter.violations,
            "violations_by_chat": {str(k): v for k, v in self.limiter.violations_by_chat.items()},
            "updates_enqueued": sum(bot.updates_enqueued for bot in self.all_bots()),
            "updates_pending": pending,
            "webhook_deliveries": sum(w.deliveries for w in self._webhooks.values()),
            "webhook_failures": sum(w.failures for w in self._webhooks.values()),
            "webhook_duplicates": sum(w.duplicates for w in self._webhooks.values()),
            "calls_during_retry_after": len(self.early_calls),
            "abandoned_calls": len(self.abandoned),
            "latency": self.latency,
            "enforce_rate_limits": self.enforce_rate_limits,
            "uptime": time.time() - self.started_at,
        }

    def clear(self) -> None:
        """Forget messages, calls, errors, pending updates, faults and violations.

        Chats stay known, webhooks stay set and message/update ids keep
        increasing, so a bot that is still running is not confused.
        """
        self.calls.clear()
        self.errors.clear()
        self.method_counts.clear()
        self.faults.clear()
        self.flood_waits.clear()
        self.early_calls.clear()
        self.abandoned.clear()
        self.limiter.reset()
        for bot in self.all_bots():
            bot.clear()
        for user in self._users.values():
            user.seen = 0
        self.message_signal.notify()

    async def reset(self) -> None:
        """Back to a fresh world: also chats, users, files, webhooks and commands."""
        for dispatcher in list(self._webhooks.values()):
            await dispatcher.stop()
        self._webhooks.clear()
        self.clear()
        for bot in self.all_bots():
            bot.chats.clear()
            bot.commands.clear()
            bot.menu_buttons.clear()
            bot.allowed_updates = None
            bot.webhook_url = ""
            bot.webhook_secret = None
        self._users.clear()
        self.files.clear()

    # -- faults ------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int = 429,
        retry_after: int | None = 1,
        times: int = 1,
        description: str | None = None,
    ) -> None:
        """Answer the next *times* calls of *method* (``"*"`` = any) with an error.

        429 carries ``parameters.retry_after`` (python-telegram-bot raises
        ``RetryAfter``); 502/503/504 get the nginx HTML page Telegram's front
        end really sends, which PTB maps to ``NetworkError``.
        """
        self.faults.add(
            FaultRule(
                method, times, status=status, retry_after=retry_after, description=description
            )
        )

    def timeout_next(self, method: str, seconds: float, times: int = 1) -> None:
        """Hold the response of the next *times* calls of *method* for *seconds*.

        The call itself is carried out at once (as when Telegram's reply is
        lost on the way back), so a client that retries after its timeout
        produces a visible duplicate, which is what idempotency tests need.
        """
        self.faults.add(FaultRule(method, times, delay=seconds))

    def delay_next(self, method: str, seconds: float, times: int = 1) -> None:
        """Hold the next *times* calls of *method* for *seconds* before carrying them out;
        a client that times out first leaves the call undone (nothing sent)."""
        self.faults.add(FaultRule(method, times, delay=seconds, delay_when="before"))

    def reset_next(self, method: str, times: int = 1, *, after: bool = False) -> None:
        """Drop the connection of the next *times* calls of *method* with no answer, before
        carrying them out or (``after``) once done — then the client cannot know it worked."""
        self.faults.add(FaultRule(method, times, reset="after" if after else "before"))

    def start_flood_wait(self, method: str, retry_after: float, params: JSONDict) -> None:
        now = time.monotonic()
        self.flood_waits[method.lower()] = (now, now + retry_after, _params_key(params))

    #: A request already on the wire when the 429 went out is not the client's fault.
    FLOOD_WAIT_SLACK = 0.25

    def check_flood_wait(self, method: str, params: JSONDict) -> None:
        """Count a call made while this method's ``retry_after`` still runs. The refused call
        itself coming back early is always counted; other calls after a short slack."""
        window = self.flood_waits.get(method.lower())
        if window is None:
            return
        started, until, refused = window
        now = time.monotonic()
        if now >= until:
            del self.flood_waits[method.lower()]
        elif now - started > self.FLOOD_WAIT_SLACK or _params_key(params) == refused:
            self.early_calls.append((method, until - now))

    # -- webhooks ----------------------------------------------------------

    async def set_webhook(
        self,
        bot: BotState,
        url: str,
        secret: str | None,
        drop_pending: bool,
        max_connections: int,
    ) -> None:
        """(Re)point the bot's updates at *url*; an empty url deletes the webhook."""
        await self.delete_webhook(bot, drop_pending)
        if not url:
            return
        bot.webhook_url = url
        bot.webhook_secret = secret
        bot.webhook_max_connections = max_connections
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        dispatcher = WebhookDispatcher(bot, self._session, retry_delay=self.webhook_retry_delay)
        self._webhooks[id(bot)] = dispatcher
        bot.update_signal.notify()  # a long poll in progress now gets its 409
        dispatcher.start()

    async def delete_webhook(self, bot: BotState, drop_pending: bool) -> None:
        """Stop deliveries; undelivered updates become available to getUpdates."""
        dispatcher = self._webhooks.pop(id(bot), None)
        if dispatcher is not None:
            await dispatcher.stop()
        bot.webhook_url = ""
        bot.webhook_secret = None
        if drop_pending:
            bot.pending.clear()
            bot.update_signal.notify()

    def webhook_dispatcher(self, bot: BotState) -> WebhookDispatcher | None:
        """The active dispatcher for *bot* (for ``getWebhookInfo``)."""
        return self._webhooks.get(id(bot))

    async def close_engine(self) -> None:
        """Stop webhooks, wake every long poll and close the outgoing HTTP session."""
        for bot in self.all_bots():
            bot.closed = True
            bot.update_signal.notify()
        for dispatcher in list(self._webhooks.values()):
            await dispatcher.stop()
        self._webhooks.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None

    def record_error(self, method: str, params: JSONDict, error: ApiError) -> None:
        """Keep failed calls so timeouts can explain themselves."""
        self.errors.append(
            ErrorRecord(method, params, error.status, error.description, time.time())
        )


def _params_key(params: JSONDict) -> str:
    return repr(sorted((str(k), repr(v)) for k, v in params.items()))
