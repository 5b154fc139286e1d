"""No personal data in clear anywhere in the database, after a realistic workload.

The service runs as a child process (``main.py serve``, ``LOG_LEVEL=DEBUG``) on SQLite and on
PostgreSQL. A party files a case through the stand-in Bot API: phone shared as a contact (the
raw update carries ``+86…``), an 18-digit ID number, a street address as the place, the other
party's phone typed with spaces, a phone written into the facts. A resident logs in to the
browser chat by phone and one-time code. Then every column of every table is read raw
(``SELECT *``; bytes as stored, everything else as text) and searched for each value in its
common spellings; the log is searched too. Nothing may be found.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from pathlib import Path

import aiohttp
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from harness.steps import NEIGHBOUR_INTAKE, walk_steps
from standin import StandinBotAPI
from standin.simulation import SimUser
from storage.db import Database
from tests.e2e.harness import ServiceProcess, free_port, service_env, texts
from tests.e2e.test_crash import wait_healthy
from tests.e2e.test_intake import ID, PNG

pytestmark = pytest.mark.slow

PHONE, OTHER_PHONE, WEB_PHONE = "13812345678", "13987654321", "13800009017"
ADDRESS = "九龙坡区杨家坪街道西郊路88号3单元502室"
#: Distinctive parts of the address that no unit, statute or template contains.
ADDRESS_PARTS = ("西郊路88号", "3单元502室")


def spellings(phone: str) -> list[str]:
    """A mainland mobile number as people and programs write it."""
    a, b, c = phone[:3], phone[3:7], phone[7:]
    return [phone, f"{a} {b} {c}", f"{a}-{b}-{c}", f"+86 {a} {b} {c}"]


def needles() -> list[bytes]:
    plain = [ID, ID[:6] + " " + ID[6:14] + " " + ID[14:], ADDRESS, *ADDRESS_PARTS]
    for phone in (PHONE, OTHER_PHONE, WEB_PHONE):
        plain += spellings(phone)
    found: list[bytes] = []
    for value in plain:
        found.append(value.encode())
        escaped = json.dumps(value)[1:-1]  # JSON with ensure_ascii: 西 → \\u897f
        if escaped != value:
            found.append(escaped.encode())
    return found


NEEDLES = needles()


def hits_in(table: str, names: list[str], rows: list[tuple[object, ...]]) -> set[str]:
    out = set()
    for row in rows:
        for name, value in zip(names, row, strict=True):
            if value is None:
                continue
            raw = bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
            if any(n in raw for n in NEEDLES):
                out.add(f"{table}.{name}")
    return out


def scan_sqlite(path: Path) -> tuple[set[str], int]:
    hits: set[str] = set()
    columns = 0
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            cursor = conn.execute(f'SELECT * FROM "{table}"')  # names from sqlite_master
            names = [d[0] for d in cursor.description]
            columns += len(names)
            hits |= hits_in(table, names, cursor.fetchall())
    return hits, columns


async def scan_postgres(url: str) -> tuple[set[str], int]:
    hits: set[str] = set()
    columns = 0
    db = Database(url)
    try:
        async with db.read() as session:
            tables = (
                await session.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                )
            ).scalars()
            for table in list(tables):
                result = await session.execute(text(f'SELECT * FROM "{table}"'))  # catalogue
                names = list(result.keys())
                columns += len(names)
                hits |= hits_in(table, names, [tuple(r) for r in result])
    finally:
        await db.dispose()
    return hits, columns


async def file_a_case(user: SimUser) -> None:
    """The intake's happy path with every kind of personal data."""
    await walk_steps(
        user,
        [
            *NEIGHBOUR_INTAKE[:2],
            ("press", "劳动争议/欠薪", ["发生了什么"]),
            (
                "text",
                f"老板拖欠我三个月工资共一万二千元。他的电话是 {spellings(OTHER_PHONE)[2]}。",
                ["证据"],
            ),
        ],
    )
    await user.send_photo(PNG)
    await texts(user, 1)
    await walk_steps(
        user,
        [
            ("press", "下一步", ["申请事项"]),
            ("text", "支付拖欠的工资一万二千元", ["金额"]),
            ("text", "12000", ["哪里"]),
            ("text", ADDRESS, ["姓名"]),
            ("text", "张三", ["手机号"]),
            # The contact share: +86… in the raw update.
            ("press", "📱 分享我的手机号", ["手机号已保存", "身份证"]),
            ("text", ID, ["对方的姓名"]),
            ("text", "李四", ["对方的手机号"]),
        ],
    )
    await user.send_text(spellings(OTHER_PHONE)[1])
    summary = (await texts(user, 1))[0]
    assert ADDRESS in summary and PHONE in summary  # the summary echoes them: outbox payload
    await user.press("✅ 确认提交")
    created, _invite, _qr = await user.wait_for_messages(3)
    assert "登记成功" in (created.text or "")


async def browser_login(base: str, log: Path) -> None:
    """Phone + one-time code on /chat; the dev SMS gateway writes the code to the log."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(base + "/chat") as resp:
            assert resp.status == 200
            page = await resp.text()
        csrf = re.search(r'id="csrf" value="([^"]+)"', page)
        assert csrf is not None
        token = csrf.group(1)
        headers = {"X-CSRF-Token": token, "Origin": base}
        body = {"phone": spellings(WEB_PHONE)[1]}
        async with http.post(base + "/chat/otp/request", json=body, headers=headers) as resp:
            assert resp.status == 200, await resp.text()
        codes: list[str] = []
        for _ in range(50):
            logged = await asyncio.to_thread(log.read_text)
            codes = re.findall(r"login code for \S+: (\d{6})", logged)
            if codes:
                break
            await asyncio.sleep(0.1)
        body["code"] = codes[-1]
        async with http.post(base + "/chat/otp/verify", json=body, headers=headers) as resp:
            assert resp.status == 200, await resp.text()


async def workload(tmp_path: Path, database_url: str | None) -> tuple[Path, str]:
    port = free_port()
    data_dir = tmp_path / "var"
    log = tmp_path / "service.log"
    async with StandinBotAPI() as standin:
        env = {
            **service_env(standin, data_dir, database_url),
            "WEB_PORT": str(port),
            "LOG_LEVEL": "DEBUG",
            "PII_KEYS": Fernet.generate_key().decode(),
            "MEDIATION_WEBAPP_ALLOW_HTTP": "1",
            "SMS_GATEWAY": "log",
            "DEV_MODE": "1",  # the log gateway runs only in development (issue 21)
        }
        svc = ServiceProcess(env, log)
        try:
            svc.start()
            await wait_healthy(port, svc, timeout=120)  # a busy shared host starts slowly
            user = standin.user(7101, first_name="张三", phone="+86" + PHONE)
            await file_a_case(user)
            await browser_login(f"http://127.0.0.1:{port}", log)
            await asyncio.sleep(0.5)  # the outbox marks its rows sent
        finally:
            svc.stop()
    return data_dir / "mediation.db", log.read_text()


async def test_no_table_and_no_log_line_holds_personal_data_in_clear(
    tmp_path: Path, database_url: str | None
) -> None:
    path, log = await workload(tmp_path, database_url)
    hits, columns = await scan_postgres(database_url) if database_url else scan_sqlite(path)
    assert columns > 300  # every table of every feature was read
    assert hits == set()
    assert " DEBUG " in log and "browser login of user" in log  # verbose, and it was read
    leaked = [n.decode() for n in NEEDLES if n in log.encode()]
    assert leaked == []


def test_the_scan_finds_what_is_there(tmp_path: Path) -> None:
    """The scanner itself: each spelling is found in text, bytes and escaped JSON."""
    path = tmp_path / "probe.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (a TEXT, b BLOB, c JSON)")
        conn.execute("INSERT INTO t VALUES (?, ?, ?)", ("x 138-1234-5678 y", None, None))
        conn.execute("INSERT INTO t VALUES (?, ?, ?)", (None, ADDRESS.encode(), None))
        conn.execute("INSERT INTO t VALUES (?, ?, ?)", (None, None, json.dumps({"a": ADDRESS})))
    assert scan_sqlite(path)[0] == {"t.a", "t.b", "t.c"}
