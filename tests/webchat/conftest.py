"""Fixtures of the browser-chat tests: one headless Chromium (Debian's, driven by Playwright)
per test (the render pool and seal key are tests/conftest.py's)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@asynccontextmanager
async def chromium(extra_args: Sequence[str] = ()) -> AsyncIterator[Any]:
    """Debian's headless Chromium driven by Playwright, with :data:`ARGS` and ``extra_args``
    (the voice tests add a fake microphone); the test is skipped where it is not installed."""
    if not Path(CHROMIUM).exists():  # noqa: ASYNC240
        pytest.skip("Debian's chromium is not installed")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, *extra_args])
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async with chromium() as launched:
        yield launched
