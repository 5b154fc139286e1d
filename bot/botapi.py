"""A lean Bot API client for the two calls made for almost every update.

``sendMessage`` and ``answerCallbackQuery`` are most of the service's outgoing traffic. Going
through python-telegram-bot's ``Bot`` builds request objects, serialises parameters one by one
and parses every returned ``Message`` into objects we never read; measured, that was the
largest single CPU cost of an update after the database. Here the JSON goes straight out and
only ``message_id`` is read back. Errors become PTB's own exceptions, so the sender's retry
policy is the same for both paths; everything else still uses PTB's ``Bot``.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

TIMEOUT = aiohttp.ClientTimeout(total=None, sock_connect=5, sock_read=10)


class BotApiClient:
    def __init__(self, base_url: str, token: str, *, connections: int = 64) -> None:
        self._url = f"{base_url}{token}/"
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections, keepalive_timeout=60),
                timeout=TIMEOUT,
                json_serialize=lambda obj: json.dumps(obj, ensure_ascii=False),
            )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        """POST one method; its ``result``, or the matching PTB exception."""
        if self._session is None:
            await self.start()
        assert self._session is not None
        try:
            async with self._session.post(self._url + method, json=params) as resp:
                status = resp.status
                body = await resp.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{exc.__class__.__name__}: {exc}") from exc
        try:
            data = json.loads(body)
        except ValueError:
            raise NetworkError(f"Bot API answered {status} with a body that is not JSON") from None
        if isinstance(data, dict) and data.get("ok"):
            return data.get("result")
        description = str(data.get("description", "")) if isinstance(data, dict) else ""
        parameters = data.get("parameters") or {} if isinstance(data, dict) else {}
        if status == 429 or "retry_after" in parameters:
            raise RetryAfter(int(parameters.get("retry_after", 1)))
        if status == 403:
            raise Forbidden(description or "Forbidden")
        if status == 400:
            raise BadRequest(description or "Bad Request")
        raise NetworkError(f"Bot API {status}: {description}")
