"""A threat typed in the room, on either channel, is seen at once (issue 20).

A mediation in session: the applicant in the phone browser (the chat's websocket, as the page
speaks it), the respondent in Telegram, the mediator linked to Telegram. One party types a
threat; the case's level rises, the mediator gets the alert in the chat naming the words and
the rule, the console lists the alert for the unit's staff and explains the raise in the
timeline, and the room gets a calm safety notice with 110 — on SQLite and PostgreSQL, with the
threat typed in Telegram and in the browser.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import NamedTuple

import aiohttp
import pytest
from sqlalchemy import select

from app.runtime import Runtime
from core import crypto
from features.console.models import Alert
from features.webchat.otp import MemorySmsGateway
from harness.seed import add_room
from services.staff import hash_password
from standin.simulation import SimUser
from storage.models import Case, CaseEvent, StaffAccount, User
from tests.agreements.harness import wait_text
from tests.webchat.harness import standin_chat

A_PHONE = "13800009001"
T_ID = 9002
MEDIATOR_TG = 9100
PASSWORD = "correct-horse-battery"
NUMBER = "（2026）示调字第0001号"
CSRF = re.compile(r'name="_csrf" value="([^"]+)"')


async def seed_room(runtime: Runtime) -> int:
    """An open session: a browser applicant (by phone), a Telegram respondent, a mediator who
    linked Telegram and also signs in to the console."""
    async with runtime.db.write() as s:
        web_user = User(phone=A_PHONE, phone_hash=crypto.blind_index(A_PHONE))
        tg_user = User(telegram_id=T_ID)
        staff = StaffAccount(
            username="med_risk",
            display_name="王调解",
            password_hash=hash_password(PASSWORD),
            role="mediator",
            unit_code="default",
            telegram_id=MEDIATOR_TG,
        )
        case = await add_room(s, web_user, tg_user, staff, number=NUMBER)
        await s.flush()
        return case.id


class OpenRoom(NamedTuple):
    runtime: Runtime
    base: str
    gateway: MemorySmsGateway
    case_id: int
    respondent: SimUser
    mediator: SimUser


@asynccontextmanager
async def room_open(data_dir: Path, database_url: str | None) -> AsyncIterator[OpenRoom]:
    """The whole service with :func:`seed_room`'s session, the respondent's and the mediator's
    Telegram; the mediator has written once, so the stand-in knows his chat."""
    async with standin_chat(data_dir, database_url) as (standin, runtime, base, gateway):
        case_id = await seed_room(runtime)
        mediator = standin.user(MEDIATOR_TG)
        await mediator.send_command("/help")
        await wait_text(mediator, "")
        yield OpenRoom(runtime, base, gateway, case_id, standin.user(T_ID), mediator)


@asynccontextmanager
async def browser_party(
    base: str, gateway: object
) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    """The applicant's page: signs in with the code the SMS gateway got, opens the socket."""
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        async with http.get(f"{base}/chat") as resp:
            assert resp.status == 200
        headers = {"X-CSRF-Token": next(c.value for c in jar if c.key == "chat_csrf")}
        async with http.post(
            f"{base}/chat/otp/request", json={"phone": A_PHONE}, headers=headers
        ) as resp:
            assert resp.status == 200, await resp.text()
        code = gateway.sent[A_PHONE]  # type: ignore[attr-defined]
        async with http.post(
            f"{base}/chat/otp/verify", json={"phone": A_PHONE, "code": code}, headers=headers
        ) as resp:
            assert resp.status == 200, await resp.text()
        async with http.ws_connect(f"{base}/chat/ws") as ws:
            await ws.send_str(json.dumps({"type": "hello", "last": 0}))
            yield ws


async def page_text(ws: aiohttp.ClientWebSocketResponse, needle: str) -> str:
    """The next message the page shows that contains ``needle``."""
    seen: list[str] = []
    while True:
        data = json.loads((await ws.receive(timeout=20)).data)
        text = json.dumps(data, ensure_ascii=False)
        if needle in text:
            return text
        seen.append(text[:80])
        assert len(seen) < 50, seen


@asynccontextmanager
async def console_http(base: str) -> AsyncIterator[aiohttp.ClientSession]:
    """The mediator (med_risk) signed in to the console over HTTP, as the login form asks."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(f"{base}/staff/login") as resp:
            found = CSRF.search(await resp.text())
        assert found
        form = {"_csrf": found.group(1), "username": "med_risk", "password": PASSWORD}
        async with http.post(f"{base}/staff/login", data=form) as resp:
            assert resp.status == 200, await resp.text()
        yield http


async def console_pages(base: str, case_id: int) -> tuple[str, str]:
    """The mediator signs in to the console: the alerts page and the case page."""
    async with console_http(base) as http:
        async with http.get(f"{base}/staff/alerts") as resp:
            alerts = await resp.text()
        async with http.get(f"{base}/staff/cases/{case_id}") as resp:
            case_page = await resp.text()
    return alerts, case_page


@pytest.mark.parametrize(
    ("channel", "threat", "words", "level"),
    [
        ("telegram", "再来我就拿刀砍他", "拿刀", "重大"),
        ("web", "说不给钱就去我家门口堵我", "门口堵我", "较大"),
    ],
)
async def test_a_threat_in_the_room_alerts_the_mediator_and_the_console_and_calms_the_room(
    tmp_path: Path, database_url: str | None, channel: str, threat: str, words: str, level: str
) -> None:
    async with room_open(tmp_path / "var", database_url) as room:
        runtime, base, gateway, case_id, respondent, mediator = room
        async with browser_party(base, gateway) as page:
            # An ordinary message first: relayed, nothing raised.
            await respondent.send_text("我同意分期还款，但希望减免利息")
            await page_text(page, "减免利息")
            await wait_text(mediator, "减免利息")

            if channel == "telegram":
                await respondent.send_text(threat)
                await page_text(page, threat)
            else:
                message = {"type": "text", "text": threat}
                await page.send_str(json.dumps({"type": "send", "cid": "t-1", "msg": message}))
                await wait_text(respondent, threat)

            # The mediator is told in the chat: the case, the level, the words, the rule.
            alert = (await wait_text(mediator, "风险预警")).text or ""
            assert NUMBER in alert and words in alert and level in alert, alert
            # The room gets the calm notice, on both channels.
            notice = await page_text(page, "110")
            assert "安全提示" in notice
            assert "110" in ((await wait_text(respondent, "安全提示")).text or "")

        async with runtime.db.read() as s:
            case = await s.get_one(Case, case_id)
            alerts = list((await s.execute(select(Alert))).scalars())
            events = list(
                (
                    await s.execute(
                        select(CaseEvent).where(
                            CaseEvent.case_id == case_id, CaseEvent.kind == "risk"
                        )
                    )
                ).scalars()
            )
        assert case.risk == ("critical" if level == "重大" else "major")
        assert {a.unit_code for a in alerts if a.unit_code} == {"default"}
        assert any(a.staff_id is not None for a in alerts)
        (event,) = events  # the ordinary message raised nothing
        assert event.data["source"] == "room"
        assert any(words in w for ws in event.data["evidence"] for w in ws)

        # The console, as the mediator sees it: the alert and the explained raise.
        alerts_page, case_page = await console_pages(base, case_id)
        assert NUMBER in alerts_page
        assert words in case_page and "调解室消息" in case_page
