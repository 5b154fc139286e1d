"""Background tasks that end when their owner stops.

Why one helper: every loop the service runs (the document jobs, the timers, the memory probe)
stops the same way, and a stop that forgets to await the cancelled task leaves it running into
the next test or the closed database; cancelling and awaiting in one place keeps that right.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any


async def cancel_and_wait(task: asyncio.Task[Any] | None) -> None:
    """Cancel ``task`` (if any) and wait until it has ended; its cancellation is not an error."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
