"""Fixtures of the browser-chat tests: the render pool and seal key of the agreement tests,
and one headless Chromium (Debian's, driven by Playwright) per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.agreements.conftest import render_pool, seal, statutes
from tests.conftest import backend_url

__all__ = ["render_pool", "seal", "statutes"]

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    if not Path(CHROMIUM).exists():  # noqa: ASYNC240
        pytest.skip("Debian's chromium is not installed")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest) -> str | None:
    """The database a whole-service test runs on, once each: None (the service's own SQLite
    file under DATA_DIR) or an emptied PostgreSQL. (The voice tests import it too.)"""
    return await backend_url(request.param)
