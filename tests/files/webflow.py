"""What a browser does with files, over real HTTP: log in, upload evidence, download a file
the service put in the person's mailbox. Shared by the store and replica tests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import aiohttp
from sqlalchemy import select

from features.webchat.channel import chat_id_of
from features.webchat.models import WebMailboxMessage
from services.outbox import enqueue
from services.outgoing import StoredDocument
from storage.db import Database

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
PDF = b"%PDF-1.7\n" + b"sealed agreement " * 500


async def login(
    http: aiohttp.ClientSession, base: str, phone: str, code_of: Callable[[], Awaitable[str]]
) -> dict[str, str]:
    """Log in with a one-time code; returns the headers state-changing requests need."""
    async with http.get(f"{base}/chat") as resp:
        assert resp.status == 200
    csrf = next(c.value for c in http.cookie_jar if c.key == "chat_csrf")
    headers = {"X-CSRF-Token": csrf}
    async with http.post(f"{base}/chat/otp/request", json={"phone": phone}, headers=headers) as r:
        assert r.status == 200, await r.text()
    code = await code_of()
    async with http.post(
        f"{base}/chat/otp/verify", json={"phone": phone, "code": code}, headers=headers
    ) as r:
        assert r.status == 200, await r.text()
    # Logging in issues a fresh CSRF token.
    return {"X-CSRF-Token": next(c.value for c in http.cookie_jar if c.key == "chat_csrf")}


async def upload(
    http: aiohttp.ClientSession, base: str, headers: dict[str, str], data: bytes, name: str
) -> dict[str, object]:
    form = aiohttp.FormData()
    form.add_field("file", data, filename=name, content_type="application/octet-stream")
    async with http.post(f"{base}/chat/upload", data=form, headers=headers) as resp:
        body = await resp.json()
        assert resp.status == 200 and body["ok"], body
        return dict(body)


def user_of(ref: str) -> int:
    """``web:files/web/<user id>/<name>`` → the user id."""
    return int(ref.split("/")[2])


async def deliver_file(db: Database, user_id: int, key: str, filename: str) -> int:
    """Queue a ``file`` message for the person (the path agreements take) and wait until the
    mailbox dispatcher has moved it into their mailbox; returns its ``seq``."""
    async with db.write() as session:
        await enqueue(
            session,
            "web",
            chat_id_of(user_id),
            [StoredDocument(key, filename)],
        )
    for _ in range(200):
        async with db.read() as session:
            rows = (
                await session.execute(
                    select(WebMailboxMessage)
                    .where(WebMailboxMessage.user_id == user_id)
                    .order_by(WebMailboxMessage.seq)
                )
            ).scalars()
            for row in rows:
                if row.payload.get("path") == key:
                    return int(row.seq)
        await asyncio.sleep(0.1)
    raise AssertionError("the file never reached the mailbox")


async def download(
    http: aiohttp.ClientSession, base: str, seq: int
) -> tuple[bytes, dict[str, str]]:
    async with http.get(f"{base}/chat/file/{seq}") as resp:
        assert resp.status == 200, await resp.text()
        return await resp.read(), dict(resp.headers)


def assert_safe_headers(headers: dict[str, str], filename: str) -> None:
    assert headers["Content-Disposition"] == f"attachment; filename*=UTF-8''{filename}"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "private, no-store"
    assert "default-src 'none'" in headers["Content-Security-Policy"]
