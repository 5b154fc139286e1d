"""Webhook delivery with Telegram's ordering and retry behaviour.

Updates for one chat are delivered strictly one after another (the next is
sent only after the previous one was acknowledged with a 2xx), while
different chats proceed concurrently up to ``max_connections``.  A failed
delivery is retried with exponential backoff and the update stays pending,
so a bot that returns 500 sees the same update again, exactly as in
production.  ``getWebhookInfo`` reports the last error in Telegram's words.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

import aiohttp

from .models import JSONDict, dumps
from .state import BotState, update_chat_key


class WebhookDispatcher:
    """Pushes one bot's pending updates to its webhook URL."""

    def __init__(
        self,
        bot: BotState,
        session: aiohttp.ClientSession,
        *,
        retry_delay: float = 0.1,
        max_retry_delay: float = 2.0,
        request_timeout: float = 10.0,
    ) -> None:
        self.bot = bot
        self.session = session
        self.retry_delay = retry_delay
        self.max_retry_delay = max_retry_delay
        self.request_timeout = request_timeout
        self.deliveries = 0
        self.failures = 0
        self.duplicates = 0
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        self._queues: dict[int | None, deque[JSONDict]] = {}
        self._workers: dict[int | None, asyncio.Task[None]] = {}
        self._semaphore = asyncio.Semaphore(max(1, bot.webhook_max_connections))

    def start(self) -> None:
        """Route everything already pending, then every new update, to the webhook."""
        for update in list(self.bot.pending.values()):
            self.route(update)
        self.bot.on_update = self.route

    def route(self, update: JSONDict) -> None:
        """Append to the chat's queue; start that chat's worker if it is idle."""
        key = update_chat_key(update)
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = deque()
        queue.append(update)
        if key not in self._workers:
            self._workers[key] = asyncio.create_task(self._drain(key, queue))

    async def _drain(self, key: int | None, queue: deque[JSONDict]) -> None:
        try:
            while queue:
                update = queue[0]
                await self._deliver(update)
                queue.popleft()
        finally:
            # No await between the emptiness check and this cleanup, so route()
            # can never append to a queue whose worker has already gone.
            if self._workers.get(key) is asyncio.current_task():
                del self._workers[key]
                if not queue:
                    self._queues.pop(key, None)

    async def _deliver(self, update: JSONDict) -> None:
        attempt = 0
        headers = {"Content-Type": "application/json"}
        if self.bot.webhook_secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.bot.webhook_secret
        body = dumps(update)
        timeout = aiohttp.ClientTimeout(total=self.request_timeout)
        while True:
            error: str | None = None
            try:
                async with (
                    self._semaphore,
                    self.session.post(
                        self.bot.webhook_url, data=body, headers=headers, timeout=timeout
                    ) as response,
                ):
                    await response.read()
                    if 200 <= response.status < 300:
                        self.deliveries += 1
                        self.bot.acknowledge(update["update_id"])
                        if self.bot.duplicate_webhooks > 0:
                            self.bot.duplicate_webhooks -= 1
                            await self._post_again(body, headers, timeout)
                        return
                    error = f"Wrong response from the webhook: {response.status} {response.reason}"
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                error = _describe_connection_error(exc)
            self.failures += 1
            self.last_error_date = int(time.time())
            self.last_error_message = error
            await asyncio.sleep(min(self.max_retry_delay, self.retry_delay * (2**attempt)))
            attempt += 1

    async def _post_again(
        self, body: bytes, headers: dict[str, str], limit: aiohttp.ClientTimeout
    ) -> None:
        """The same update once more after it was acknowledged (Telegram does this when an
        acknowledgement is lost): whatever the bot answers, the update is not re-queued."""
        self.duplicates += 1
        try:
            async with self.session.post(
                self.bot.webhook_url, data=body, headers=headers, timeout=limit
            ) as response:
                await response.read()
        except (aiohttp.ClientError, TimeoutError, OSError):
            pass

    @property
    def pending_in_flight(self) -> int:
        """Updates routed to a chat queue and not yet acknowledged."""
        return sum(len(queue) for queue in self._queues.values())

    async def stop(self) -> None:
        """Cancel all deliveries; unacknowledged updates stay pending for getUpdates."""
        if self.bot.on_update == self.route:
            self.bot.on_update = None
        workers = list(self._workers.values())
        for task in workers:
            task.cancel()
        if workers:
            await asyncio.gather(*workers, return_exceptions=True)
        self._workers.clear()
        self._queues.clear()


def _describe_connection_error(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return "Read timeout expired"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return "Connection refused"
    return f"Failed to deliver the update: {exc.__class__.__name__}"
