"""A dropped websocket loses nothing and doubles nothing.

A browser applicant and a Telegram respondent talk in an open session. The server drops the
page's connection and the page stays offline while the respondent keeps writing and the
applicant types two messages; when the network is back the page reconnects by itself, shows
every message it missed exactly once and in order, and its own two messages reach the
respondent exactly once. A message sent twice with the same client id (a resend after a lost
acknowledgement) is handled once.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from app.runtime import Runtime
from core import crypto
from harness.seed import linked_mediator
from standin import StandinBotAPI
from storage.models import User
from tests.agreements.harness import wait_text
from tests.e2e.harness import add_room, assert_quiet
from tests.webchat.harness import (
    PHONE_VIEWPORT,
    bubble,
    chat_running,
    incoming,
    login,
    say,
    shot,
    standin_chat,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

A_PHONE = "13800008001"
T_ID = 8002
NUMBER = "（2026）示调字第0001号"


async def seed_room(runtime: Runtime) -> int:
    """An open session: a browser applicant (by phone), a Telegram respondent, a mediator."""
    async with runtime.db.write() as s:
        web_user = User(phone=A_PHONE, phone_hash=crypto.blind_index(A_PHONE))
        tg_user = User(telegram_id=T_ID)
        staff = linked_mediator("med_rc", 8100)
        await add_room(s, web_user, tg_user, staff, number=NUMBER)
        return web_user.id


async def test_a_dropped_connection_reconnects_with_nothing_lost_or_doubled(
    tmp_path: Path, browser: Any, database_url: str | None
) -> None:
    async with StandinBotAPI() as standin:
        async with chat_running(standin, tmp_path / "var", database_url=database_url) as (
            service,
            gateway,
        ):
            runtime, base, chat = service.runtime, service.base_url, service.chat
            assert chat is not None
            user_id = await seed_room(runtime)
            respondent = standin.user(T_ID)
            ctx = await browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN")
            page = await ctx.new_page()
            await login(page, base, A_PHONE, gateway)
            await respondent.send_text("第0条：在线时的消息")
            assert "被申请人】" in await bubble(page, "第0条")

            # The server drops the connection; the page cannot get back for a while.
            await ctx.set_offline(True)
            assert await chat.hub.disconnect(user_id) == 1
            await page.wait_for_selector("#chat[data-state=offline]")
            for i in range(1, 6):
                await respondent.send_text(f"第{i}条：断线期间的消息")
            await say(page, "甲：断线时写的第一句")
            await say(page, "甲：断线时写的第二句")
            assert await page.locator("li.me.pending").count() == 2
            await asyncio.sleep(1.5)  # reconnect attempts fail meanwhile
            await shot(page, "chat-offline-phone.png")

            await ctx.set_offline(False)
            await page.wait_for_selector("#chat[data-state=online]", timeout=20_000)
            await bubble(page, "第5条")
            await page.wait_for_selector("li.me.pending", state="detached")
            await wait_text(respondent, "断线时写的第一句")
            await wait_text(respondent, "断线时写的第二句")
            await asyncio.sleep(0.5)
            items = await incoming(page)
            relayed = [t for _, t in items if "断线期间" in t or "在线时" in t]
            assert [r.split("：", 1)[0][-3:] for r in relayed] == [
                "第0条",
                "第1条",
                "第2条",
                "第3条",
                "第4条",
                "第5条",
            ], relayed
            seqs = [s for s, _ in items]
            assert seqs == sorted(set(seqs)), seqs  # each once, in order
            await assert_quiet(respondent)
            to_respondent = [m.text or "" for m in respondent.messages]
            assert sum("断线时写的第一句" in t for t in to_respondent) == 1
            assert sum("断线时写的第二句" in t for t in to_respondent) == 1

            # Reloading the page shows the same history once more, still once per message.
            await page.reload()
            await page.wait_for_selector("#chat[data-state=online]")
            await bubble(page, "第5条")
            again = await incoming(page)
            assert [s for s, _ in again] == seqs
            await ctx.close()


async def log_in(http: aiohttp.ClientSession, base: str, gateway: Any) -> None:
    """The page's login by SMS code, as the raw protocol (the session cookie lands in the jar)."""
    async with http.get(f"{base}/chat") as resp:
        assert resp.status == 200
    csrf = next(c.value for c in http.cookie_jar if c.key == "chat_csrf")
    headers = {"X-CSRF-Token": csrf}
    async with http.post(
        f"{base}/chat/otp/request", json={"phone": A_PHONE}, headers=headers
    ) as resp:
        assert resp.status == 200, await resp.text()
    async with http.post(
        f"{base}/chat/otp/verify",
        json={"phone": A_PHONE, "code": gateway.sent[A_PHONE]},
        headers=headers,
    ) as resp:
        assert resp.status == 200, await resp.text()


async def test_stopping_the_service_tells_open_pages_it_is_going_away(
    tmp_path: Path, database_url: str | None
) -> None:
    """A stop with a page connected closes its socket with 1001 (the page reconnects to
    whichever replica is up) instead of aiohttp waiting out its shutdown timeout for the
    socket's handler and then dropping the connection (1006)."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with standin_chat(tmp_path / "var", database_url) as (_, runtime, base, gateway):
            await seed_room(runtime)
            await log_in(http, base, gateway)
            ws = await http.ws_connect(f"{base}/chat/ws")
            await ws.send_str(json.dumps({"type": "hello", "last": 0}))
            # An ack says the server holds the socket (the hub knows it) before the stop.
            words = {"type": "text", "text": "在吗"}
            await ws.send_str(json.dumps({"type": "send", "cid": "c-stop", "msg": words}))
            while json.loads((await ws.receive(timeout=10)).data)["type"] != "ack":
                pass
        while (message := await ws.receive(timeout=10)).type not in (
            aiohttp.WSMsgType.CLOSE,
            aiohttp.WSMsgType.CLOSED,
        ):
            pass  # the history the hello asked for
        # The server's close frame (the client's reply finds the server gone: its own code 1006).
        assert message.type == aiohttp.WSMsgType.CLOSE, message
        assert message.data == aiohttp.WSCloseCode.GOING_AWAY, message


async def test_a_resent_client_id_is_handled_once(tmp_path: Path, database_url: str | None) -> None:
    """The raw protocol: the same message twice (as after a lost ack) → one relay."""
    async with standin_chat(tmp_path / "var", database_url) as (standin, runtime, base, gateway):
        await seed_room(runtime)
        respondent = standin.user(T_ID)
        await respondent.send_command("/help")  # the stand-in knows chats that wrote
        await wait_text(respondent, "")
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            await log_in(http, base, gateway)
            async with http.ws_connect(f"{base}/chat/ws") as ws:
                await ws.send_str(json.dumps({"type": "hello", "last": 0}))
                message = {"type": "text", "text": "只应转达一次"}
                for _ in range(2):
                    await ws.send_str(json.dumps({"type": "send", "cid": "c-1", "msg": message}))
                acks: list[bool] = []
                while len(acks) < 2:
                    data = json.loads((await ws.receive(timeout=10)).data)
                    if data["type"] == "ack":
                        acks.append(data["dup"])
                assert acks == [False, True]
            await wait_text(respondent, "只应转达一次")
            await assert_quiet(respondent, 1.0)
            # Without the session cookie there is no websocket.
        async with aiohttp.ClientSession() as anonymous:
            with pytest.raises(aiohttp.WSServerHandshakeError):
                await anonymous.ws_connect(f"{base}/chat/ws")
