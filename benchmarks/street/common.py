"""What the street's latency benchmarks share: the whole service in this process on one of the
street tests' units files, with the knowledge base off (not what they time)."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

from harness import RunningService, running_service
from standin import StandinBotAPI

UNITS_DIR = Path(__file__).resolve().parents[2] / "tests" / "street"


@asynccontextmanager
async def street_service(
    units: str,
    database_url: str | None,
    *,
    web_app: bool = False,
    env: Mapping[str, str] | None = None,
) -> AsyncIterator[tuple[StandinBotAPI, RunningService]]:
    """The stand-in Bot API and the service on it, in a temporary data directory, with
    ``tests/street/<units>`` as its units file; ``env`` over the settings."""
    with tempfile.TemporaryDirectory() as tmp:
        async with StandinBotAPI() as standin:
            async with running_service(
                Path(tmp) / "var",
                standin=standin,
                database_url=database_url,
                web_app=web_app,
                env={"UNITS_FILE": str(UNITS_DIR / units), "KB_ENABLED": "0", **(env or {})},
                kb_ready=False,
            ) as service:
                yield standin, service
