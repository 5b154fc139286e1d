"""The whole service with its web server, against the stand-in Bot API, for agreement tests.

The shared :mod:`harness` brings it up (as for the browser chat's tests): the session's render pool and seal key are handed to
the feature before start-up, and the aiohttp app (Mini App, verify page) listens on a free
port given as WEB_PORT, with Mini App buttons allowed over http (the stand-in opens nothing).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp

from app.runtime import Runtime
from core.clock import Clock
from documents.pool import RenderPool
from documents.seal import Sealer
from harness import TOKEN
from harness.steps import wait_file, wait_text
from standin import StandinBotAPI
from standin.models import SentMessage
from tests.webchat.harness import chat_service

__all__ = [
    "TOKEN",
    "agreement_service",
    "police_units_file",
    "sign_info",
    "sign_link",
    "wait_file",
    "wait_text",
]


@asynccontextmanager
async def agreement_service(
    standin: StandinBotAPI,
    data_dir: Path,
    pool: RenderPool,
    sealer: Sealer,
    database_url: str | None = None,
    *,
    clock: Clock | None = None,
    **extra: str,
) -> AsyncIterator[tuple[Runtime, str]]:
    """Yields the runtime and the web server's base URL (the browser chat's service, whose
    one-time codes these tests do not read); ``extra`` are environment settings."""
    async with chat_service(
        standin,
        data_dir,
        database_url=database_url,
        pool=pool,
        sealer=sealer,
        clock=clock,
        env=extra,
    ) as (runtime, base_url, _gateway):
        yield runtime, base_url


def sign_link(message: SentMessage) -> tuple[str, str, str]:
    """The Mini App button's (url, doc id, version hash)."""
    url = next(target for _text, target in message.buttons if "/webapp/sign" in target)
    query = parse_qs(urlsplit(url).query)
    return url, query["d"][0], query["v"][0]


async def sign_info(
    http: aiohttp.ClientSession, base: str, doc_id: str, sha: str, init_data: str
) -> tuple[int, str]:
    """What the signing page's info call answers for version ``sha`` of document ``doc_id`` to
    the holder of the Telegram ``init_data``: its status and body."""
    async with http.get(
        f"{base}/webapp/sign/info",
        params={"d": doc_id, "v": sha},
        headers={"X-Telegram-Init-Data": init_data},
    ) as response:
        return response.status, await response.text()


def verify_link(text: str) -> str:
    found = re.search(r"https?://\S+/verify/\S+", text)
    assert found, text
    return found.group(0)


def police_units_file(directory: Path, station: str, address: str, *, committee: bool) -> str:
    """A units file (its path, for UNITS_FILE) of a 派出所 named ``station``, the default unit,
    and the street's 人民调解委员会; with ``committee`` the station issues its 人民调解协议书
    through that committee, without it the station names none (issue 18, item 6)."""
    issuer = 'committee = "committee"\n' if committee else ""
    path = directory / "units.toml"
    path.write_text(
        f"""
[[unit]]
code = "station"
name = "{station}"
level = "station"
kind = "police"
{issuer}address = "{address}"
case_prefix = "示调"
court = "示范区人民法院"
default = true

[[unit]]
code = "committee"
name = "示范街道人民调解委员会"
level = "street"
address = "示范街道1号"
case_prefix = "示街调"
court = "示范区人民法院"
""",
        encoding="utf-8",
    )
    return str(path)
