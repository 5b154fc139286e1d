"""Fixtures: a running stand-in and a real python-telegram-bot ``Bot`` pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import telegram
from telegram.request import HTTPXRequest

from standin import StandinBotAPI

TOKEN = "123456:TEST-token"


@pytest.fixture(autouse=True)
def _timedelta_durations(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to PTB's future ``timedelta`` durations (``RetryAfter.retry_after``)."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def server() -> AsyncIterator[StandinBotAPI]:
    """A fresh stand-in on a free port (fast webhook retries for the tests)."""
    async with StandinBotAPI(webhook_retry_delay=0.02) as running:
        yield running


def make_bot(server: StandinBotAPI, read_timeout: float = 5.0) -> telegram.Bot:
    """The real PTB client, configured exactly as the product configures it."""
    return telegram.Bot(
        TOKEN,
        base_url=server.bot_api_url,
        base_file_url=server.file_url,
        request=HTTPXRequest(read_timeout=read_timeout, connection_pool_size=16),
        get_updates_request=HTTPXRequest(read_timeout=read_timeout),
    )


@pytest.fixture
async def bot(server: StandinBotAPI) -> AsyncIterator[telegram.Bot]:
    """An initialised ``telegram.Bot`` (``getMe`` already done)."""
    async with make_bot(server) as client:
        yield client
