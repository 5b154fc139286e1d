"""python-telegram-bot's HTTP transport on aiohttp instead of httpx.

Why: the service already runs on aiohttp, and every outgoing message is one Bot API call; the
aiohttp client costs less CPU per call than httpx (measured in docs/benchmarks.md), which is
what bounds throughput on a small machine. Errors map to PTB's own exceptions exactly as its
HTTPXRequest does, so retry logic above is unchanged.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    def __init__(
        self,
        connection_pool_size: int = 64,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size, keepalive_timeout=60),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        files = request_data.multipart_data if request_data else None
        fields = request_data.json_parameters if request_data else None
        if isinstance(read_timeout, DefaultValue):
            read_timeout = self._read_timeout
        if isinstance(connect_timeout, DefaultValue):
            connect_timeout = self._connect_timeout
        if isinstance(write_timeout, DefaultValue):
            write_timeout = self._media_write_timeout if files else self._write_timeout
        if isinstance(pool_timeout, DefaultValue):
            pool_timeout = None
        # aiohttp has no separate write timeout; the read timeout covers the wait for the
        # answer, and uploads get the larger of the two.
        sock_read = read_timeout
        if files and write_timeout is not None and sock_read is not None:
            sock_read = max(sock_read, write_timeout)
        timeout = aiohttp.ClientTimeout(
            total=None, connect=pool_timeout, sock_connect=connect_timeout, sock_read=sock_read
        )
        body: Any = None
        if files:
            form = aiohttp.FormData()
            for key, value in (fields or {}).items():
                form.add_field(key, value)
            for key, (filename, content, mimetype) in files.items():
                form.add_field(key, content, filename=filename, content_type=mimetype)
            body = form
        elif fields:
            body = fields
        try:
            async with self._session.request(method, url, data=body, timeout=timeout) as resp:
                return resp.status, await resp.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{exc.__class__.__name__}: {exc}") from exc
