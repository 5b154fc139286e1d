"""The attacks of issue 21 ("security, round two"), each replayed as a test against the whole
service (features started, the stand-in Bot API, a real database) over real HTTP.

Each test failed before its fix; docs/security.md lists them by finding.
"""

from __future__ import annotations

import json
import stat
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from bot.standin import StandinBotAPI
from core.clock import FakeClock
from main import Runtime
from services.webchat.otp import MemorySmsGateway
from tests.e2e.harness import running_service

Client = TestClient[Any, Any]


@dataclass
class Service:
    runtime: Runtime
    sms: MemorySmsGateway
    data_dir: Path

    def client(self) -> Client:
        from web.app import create_app

        return TestClient(TestServer(create_app(self.runtime)))


@asynccontextmanager
async def service(tmp_path: Path, **extra: str) -> AsyncIterator[Service]:
    async with StandinBotAPI() as standin:
        async with running_service(
            standin, tmp_path / "var", clock=FakeClock(), MEDIATION_WEBAPP_ALLOW_HTTP="1", **extra
        ) as runtime:
            sms = MemorySmsGateway()
            runtime.extras["webchat.sms_gateway"] = sms
            yield Service(runtime, sms, tmp_path / "var")


async def chat_login(client: Client, sms: MemorySmsGateway, phone: str) -> str:
    """Phone login to the browser chat over HTTP; returns the CSRF token."""
    assert (await client.get("/chat")).status == 200
    csrf = client.session.cookie_jar.filter_cookies(client.make_url("/"))["chat_csrf"].value
    headers = {"X-CSRF-Token": csrf}
    resp = await client.post("/chat/otp/request", json={"phone": phone}, headers=headers)
    assert resp.status == 200, await resp.text()
    resp = await client.post(
        "/chat/otp/verify", json={"phone": phone, "code": sms.sent[phone]}, headers=headers
    )
    assert resp.status == 200, await resp.text()
    return str(client.session.cookie_jar.filter_cookies(client.make_url("/"))["chat_csrf"].value)


# -- 12. 500s, the database file's mode ---------------------------------------------------------


async def test_hostile_webhook_bodies_are_400_not_500(tmp_path: Path) -> None:
    async with service(tmp_path) as svc, svc.client() as client:
        assert svc.runtime.telegram is not None
        secret = {"X-Telegram-Bot-Api-Secret-Token": svc.runtime.telegram.webhook_secret}
        huge = {"update_id": 10**24, "message": {"message_id": 1, "date": 0}}
        deep = '{"update_id": 5, "message": ' + "[" * 50_000 + "]" * 50_000 + "}"
        nearly = '{"update_id": 6, "x": ' + "[" * 900 + "]" * 900 + "}"
        for body in (json.dumps(huge), deep, nearly):
            resp = await client.post("/telegram/webhook", data=body, headers=secret)
            assert resp.status == 400, (body[:40], resp.status, await resp.text())
        # The chat's JSON endpoints too (4 KB of brackets: deeper than the interpreter allows).
        assert (await client.get("/chat")).status == 200
        csrf = client.session.cookie_jar.filter_cookies(client.make_url("/"))["chat_csrf"].value
        resp = await client.post(
            "/chat/otp/request", data="[" * 4000, headers={"X-CSRF-Token": csrf}
        )
        assert resp.status in (400, 403), resp.status


async def test_chat_file_with_a_twenty_digit_number_is_404(tmp_path: Path) -> None:
    async with service(tmp_path) as svc, svc.client() as client:
        await chat_login(client, svc.sms, "13800138000")
        for seq in ("9" * 20, "1" * 19, "²", "１２"):
            resp = await client.get(f"/chat/file/{seq}")
            assert resp.status == 404, (seq, resp.status, await resp.text())


async def test_the_database_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    async with service(tmp_path) as svc:
        files = [p for p in svc.data_dir.glob("mediation.db*")]
        assert any(p.name == "mediation.db" for p in files)
        for path in files:
            mode = stat.S_IMODE(path.stat().st_mode)
            assert mode & 0o077 == 0, (path.name, oct(mode))
