"""Long polling that stores updates before confirming them to Telegram.

PTB's own ``Updater`` moves the offset forward as soon as updates are in memory, so a crash
could lose them. Here each batch is committed to the inbox first; only the *next* getUpdates
call, carrying ``offset = last + 1``, confirms them to Telegram.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Bot
from telegram.error import InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.warnings import PTBUserWarning

from bot.limits import retry_seconds

log = logging.getLogger(__name__)

# We call getUpdates through do_api_request on purpose: the raw JSON is what goes into the
# inbox, and one malformed update must not make PTB reject the whole batch.
warnings.filterwarnings("ignore", message=".*Bot.getUpdates.*", category=PTBUserWarning)


async def poll_updates(
    bot: Bot,
    accept: Callable[[dict[str, Any]], Awaitable[bool]],
    *,
    poll_seconds: int = 25,
    stop: asyncio.Event,
    paused: Callable[[], bool] = lambda: False,
) -> None:
    """Fetch, store and confirm updates until ``stop``; while ``paused()`` (the backlog is
    full) fetch nothing: the updates stay with Telegram, unconfirmed, until there is room."""
    offset: int | None = None
    backoff = 0.5
    while not stop.is_set():
        if paused():
            await asyncio.sleep(0.1)
            continue
        try:
            kwargs: dict[str, Any] = {"timeout": poll_seconds, "allowed_updates": []}
            if offset is not None:
                kwargs["offset"] = offset
            batch = await bot.do_api_request(
                "getUpdates", api_kwargs=kwargs, read_timeout=poll_seconds + 10
            )
            backoff = 0.5
        except InvalidToken:
            log.error("Telegram refused the bot token; polling stopped")
            raise
        except RetryAfter as exc:
            await asyncio.sleep(retry_seconds(exc.retry_after))
            continue
        except (TimedOut, NetworkError) as exc:
            log.warning("getUpdates failed (%s); retrying in %.1fs", exc, backoff)
            await asyncio.sleep(backoff)
            backoff = min(30.0, backoff * 2)
            continue
        try:
            for raw in sorted(batch or [], key=lambda u: u.get("update_id", 0)):
                if not isinstance(raw, dict) or not isinstance(raw.get("update_id"), int):
                    continue
                await accept(raw)
                offset = max(offset or 0, raw["update_id"] + 1)
        except Exception:
            # The inbox could not store an update (database locked or unreachable). The
            # offset stops before it, so Telegram hands it out again; the poller must not
            # die here, or the bot would go deaf until restarted.
            log.exception("could not store updates; fetching them again in %.1fs", backoff)
            await asyncio.sleep(backoff)
            backoff = min(30.0, backoff * 2)
