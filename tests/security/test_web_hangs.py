"""No request waits for ever: a declined switch of protocols, and form bodies that are broken
or never arrive in full, each get a prompt answer.

The hang this guards against was found by tests/security/test_web_hostile.py once the
favicon's two routes shifted its random requests: an anonymous multipart ``POST`` to
``/staff/street/dispatch/{id}`` never got an answer. The ``POST`` was innocent; the request
before it on the same kept-alive connection was a ``PATCH`` with ``Upgrade: websocket`` and a
210 KB body, answered (405) before its body had arrived, after which aiohttp treated the
connection as switched and stored the next request as WebSocket data (web.security, module
docstring, "Connections"). The requests are written byte by byte on a socket so that the order
of events is the one that hung, whatever the machine's speed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from tests.conftest import fresh_database
from tests.console.conftest import make_world
from web.security import FORM_TIMEOUT

#: A guard so that a regression fails the test instead of hanging the run (not a measurement:
#: every answer here comes at once, or after FORM_TIMEOUT for the body that never arrives).
GUARD = 30
DISPATCH = "/staff/street/dispatch/1"
BOUNDARY = "b0undary"


def part(name: str, payload: bytes) -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="a.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode() + payload


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[TestClient[Any, Any]]:
    from web.app import create_app

    db = await fresh_database(f"sqlite+aiosqlite:///{tmp_path / 'web.db'}")
    world = await make_world(db, tmp_path)
    app = create_app(world.runtime)
    app[FORM_TIMEOUT] = 0.5
    async with TestClient(TestServer(app)) as c:
        yield c
    await db.dispose()


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return int(lines[0].split()[1]), headers, body


def request_head(method: str, path: str, length: int, content_type: str, *extra: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: localhost", *extra]
    lines += [f"Content-Type: {content_type}", f"Content-Length: {length}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def test_a_declined_upgrade_does_not_swallow_the_next_request(
    client: TestClient[Any, Any],
) -> None:
    body = b'{"doc": "' + b"a" * 210_000 + b'"}'
    head = request_head(
        "PATCH",
        DISPATCH,
        len(body),
        "application/json",
        "Upgrade: websocket",
        "Connection: Upgrade",
    )
    following = request_head("POST", DISPATCH, 0, "application/x-www-form-urlencoded")
    async with asyncio.timeout(GUARD):
        reader, writer = await asyncio.open_connection(client.host, client.port)
        writer.write(head)  # the answer goes out before any of the body has arrived
        status, headers, page = await read_answer(reader)
        assert status == 405 and "不支持这种请求方式".encode() in page
        assert headers["connection"] == "close"
        # A client that sends the rest anyway, and its next request after it: the server ends
        # the connection (before the fix it kept it open and never answered the next request).
        writer.write(body + following)
        assert await reader.read() == b""
        writer.close()
        # What the fuzz test did, through aiohttp's client and its pool of connections.
        resp = await client.request(
            "PATCH",
            DISPATCH,
            data=body,
            headers={
                "Upgrade": "websocket",
                "Connection": "Upgrade",
                "Content-Type": "application/json",
            },
        )
        assert resp.status == 405 and resp.headers["Connection"] == "close"
        resp = await client.post(
            DISPATCH,
            data=part("note", b"\x89PNG\r\n") + f"\r\n--{BOUNDARY}--\r\n".encode(),
            headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
            allow_redirects=False,
        )
        assert resp.status == 403  # anonymous, no CSRF token: refused, at once


async def test_a_websocket_that_is_not_allowed_closes_its_connection(
    client: TestClient[Any, Any],
) -> None:
    """The browser chat's socket refuses a caller without a session: the same rule applies."""
    async with asyncio.timeout(GUARD):
        resp = await client.get(
            "/chat/ws",
            headers={
                "Upgrade": "websocket",
                "Connection": "Upgrade",
                "Sec-WebSocket-Version": "13",
                "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            },
        )
        assert resp.status != 101 and resp.headers["Connection"] == "close"
        resp = await client.get("/healthz")  # an ordinary request keeps its connection
        assert resp.status == 200 and resp.headers.get("Connection") != "close"


@pytest.mark.parametrize(
    ("body", "declared", "status"),
    [
        # A part without its closing boundary.
        (part("note", b"%PDF-1.7\n" + bytes(range(256)) * 2), None, 400),
        # A part whose headers are not headers.
        (f"--{BOUNDARY}\r\n\x00\x01garbage\r\n\r\n--{BOUNDARY}--\r\n".encode(), None, 400),
        # A multipart part inside the multipart body.
        (
            f"--{BOUNDARY}\r\nContent-Type: multipart/mixed; boundary=in\r\n\r\n"
            f"--in\r\n\r\nx\r\n--in--\r\n\r\n--{BOUNDARY}--\r\n".encode(),
            None,
            400,
        ),
        # Content-Length shorter than the body: what is left over is no request either, and
        # aiohttp's HTTP parser answers that at once with its own 400 (plain text).
        (part("x", b"abc") + f"\r\n--{BOUNDARY}--\r\n".encode(), 40, 400),
        # Content-Length longer than the body, the connection left open: a 408, not a wait.
        (part("x", b"abc") + f"\r\n--{BOUNDARY}--\r\n".encode(), 4000, 408),
    ],
    ids=["no-closing-boundary", "garbage-headers", "nested", "short-length", "long-length"],
)
async def test_a_broken_form_body_gets_a_prompt_clear_answer(
    client: TestClient[Any, Any], body: bytes, declared: int | None, status: int
) -> None:
    head = request_head(
        "POST",
        DISPATCH,
        len(body) if declared is None else declared,
        f"multipart/form-data; boundary={BOUNDARY}",
        "Accept-Language: en",
    )
    async with asyncio.timeout(GUARD):
        reader, writer = await asyncio.open_connection(client.host, client.port)
        writer.write(head + body)
        got, headers, page = await read_answer(reader)
        writer.close()
    assert got == status, page[:300]
    if declared is None or declared > len(body):  # the app's own answer: a page
        assert headers["content-type"].startswith("text/html") and b"<h1>" in page
    if status == 408:
        assert b"did not arrive in full" in page and headers["connection"] == "close"
