"""Random methods, paths, queries, bodies, headers and cookies against every web route.

The whole service runs (features started, stand-in Bot API, real SQLite database with staff
accounts and cases); the aiohttp app is served by aiohttp's test server and every route of it
— enumerated from the router, sub-apps included, so a new route is covered without touching
this file — receives ``FUZZ_PER_ROUTE`` requests from an anonymous client and as many from a
signed-in administrator (who also holds a valid CSRF token, so the requests reach the
handlers). No response may be a 5xx, carry a traceback, or be one of aiohttp's bare English
error texts (every error must be a page or JSON in the person's language), and every request
must be answered: one that is not fails the test after ``NO_ANSWER`` seconds, named (before,
aiohttp's client waited 300 s and the test timed out without saying which request hung; the
one that did was an innocent request sent on a connection that a refused ``Upgrade`` had left
unusable, tests/security/test_web_hangs.py).
"""

from __future__ import annotations

import asyncio
import os
import re
from collections import Counter
from http.cookies import CookieError
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientError
from aiohttp.test_utils import TestClient, TestServer

from core.clock import FakeClock
from harness.accounts import add_account
from standin import StandinBotAPI
from tests.console.conftest import PASSWORD, World, add_case, login
from tests.e2e.harness import running_service
from tests.security.web_fuzz import Generator, Route, all_routes

pytestmark = pytest.mark.slow

SEED = int(os.environ.get("FUZZ_SEED", "20261127"))
PER_ROUTE = int(os.environ.get("FUZZ_PER_ROUTE", "100"))
BARE = re.compile(r"^\d{3}: [A-Za-z ]+$")
#: Routes whose callers are programs, not people: a short English text is the right answer.
MACHINE_ROUTES = ("/telegram/webhook", "/healthz")
#: Sign-out would end the administrator's session and turn the rest into anonymous requests.
SKIP_SIGNED_IN = ("/staff/logout",)
#: Every answer here takes milliseconds; a request without one in a minute never gets one.
NO_ANSWER = 60


async def fire(
    client: TestClient[Any, Any],
    gen: Generator,
    route: Route,
    csrf: str | None,
    stats: Counter[str],
    problems: list[str],
) -> None:
    method = (
        route.method
        if gen.r.random() < 0.6
        else gen.r.choice(("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"))
    )
    path = gen.path(route)
    query = gen.query()
    body, content_type = gen.body(csrf) if method not in ("GET", "HEAD") else (b"", "")
    headers = gen.headers()
    if content_type:
        headers["Content-Type"] = content_type
    url = path + ("?" + query if query else "")
    try:
        async with (
            asyncio.timeout(NO_ANSWER),
            client.request(
                method,
                url,
                data=body or None,
                headers=headers,
                cookies=gen.cookies() or None,
                allow_redirects=False,
            ) as response,
        ):
            text = await response.text(errors="replace")
            status = response.status
            kind = response.headers.get("Content-Type", "")
    except TimeoutError:
        problems.append(f"{method} {url[:120]!r}: no answer within {NO_ANSWER} s")
        return
    except (
        ClientError,
        ValueError,
        UnicodeError,
        CookieError,
    ) as exc:  # refused by the client library
        stats["not sent: " + type(exc).__name__] += 1
        return
    stats[str(status)] += 1
    where = f"{method} {url[:120]!r} -> {status}"
    if status >= 500:
        problems.append(f"{where}: {text[:300]}")
    if "Traceback" in text or 'File "/' in text:
        problems.append(f"{where}: traceback in body")
    if (
        status >= 400
        and kind.startswith("text/plain")
        and BARE.match(text.strip())
        and not path.startswith(MACHINE_ROUTES)
        and not (status == 400 and len(url) > 8000)  # refused by the HTTP parser itself
    ):
        problems.append(f"{where}: bare error text {text.strip()!r}")


async def test_every_route_survives_hostile_requests(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, database_url: str | None
) -> None:
    from web.app import create_app

    stats: Counter[str] = Counter()
    problems: list[str] = []
    async with StandinBotAPI() as standin:
        async with running_service(
            standin,
            tmp_path / "var",
            database_url,
            clock=FakeClock(),
            MEDIATION_WEBAPP_ALLOW_HTTP="1",
        ) as runtime:
            world = World(runtime, runtime.clock)  # type: ignore[arg-type]
            await add_account(runtime, "fuzz_admin", "admin", name="管理员", password=PASSWORD)
            for i in range(3):
                await add_case(world, runtime.units.default.code, 9000 + i)
            app = create_app(runtime)
            routes = all_routes(app)
            assert len(routes) >= 20 and any(r.template.startswith("/staff") for r in routes)
            gen = Generator(SEED)
            async with (
                TestClient(TestServer(app)) as anonymous,
                TestClient(TestServer(create_app(runtime))) as admin,
            ):
                csrf = await login(admin, "fuzz_admin")
                for route in routes:
                    for _ in range(PER_ROUTE):
                        await fire(anonymous, gen, route, None, stats, problems)
                    if route.template.startswith(SKIP_SIGNED_IN):
                        continue
                    for _ in range(PER_ROUTE):
                        await fire(admin, gen, route, csrf, stats, problems)
                    # Still signed in (a request must not have broken the session).
                    check = await admin.get("/staff/account", allow_redirects=False)
                    assert check.status == 200, route
    total = sum(stats.values())
    print(f"\n{len(routes)} routes, {total} requests, statuses: {dict(sorted(stats.items()))}")
    crashes = sorted(
        {
            f"{r.getMessage()}: {(r.exc_text or '').splitlines()[-1:]}"
            for r in caplog.records
            if r.levelname == "ERROR" and r.name == "web.security"
        }
    )
    assert not problems, "\n".join(crashes[:30] + problems[:20])
    assert total >= len(routes) * PER_ROUTE
