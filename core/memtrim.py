"""Give memory freed after a burst back to the operating system (glibc ``malloc_trim``).

Why: the memory probe (core/memprobe.py) showed that the service's RSS after warm-up follows
its busiest moment, not its live data. A backlog (a host starved of CPU, a flood of updates)
raises the number of updates handled at once; when it drains, Python frees the objects
(tracemalloc's total falls back) but glibc keeps the freed chunks in its arenas, so RSS stays
at the high-water mark and every deeper backlog raises it a step — which a soak reads as a
slope. ``malloc_trim(0)`` returns free pages from every arena (including the middle of a
heap) to the kernel; it takes well under a millisecond when there is little to give back.

A no-op where the C library has no ``malloc_trim`` (musl, macOS).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

#: Seconds between two trims: often enough that a burst's memory is returned within a minute.
TRIM_EVERY = 30.0


def _malloc_trim() -> Callable[[int], int] | None:
    path = ctypes.util.find_library("c")
    if path is None:
        return None
    try:
        fn = ctypes.CDLL(path).malloc_trim
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_size_t]
    fn.restype = ctypes.c_int
    return fn


_TRIM = _malloc_trim()


def trim() -> bool:
    """Return free heap memory to the OS now; False when nothing could be (or no glibc)."""
    return bool(_TRIM(0)) if _TRIM is not None else False


class MallocTrimmer:
    """Calls :func:`trim` every ``every`` seconds, off the event loop (ctypes drops the GIL)."""

    def __init__(self, every: float = TRIM_EVERY) -> None:
        self.every = every
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if _TRIM is not None:
            self._task = asyncio.create_task(self._loop(), name="malloc-trim")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            try:
                await asyncio.to_thread(trim)
            except Exception:  # never let housekeeping take the service down
                log.exception("malloc_trim failed")
