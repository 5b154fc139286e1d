"""Opt-in memory probe: what grows, sampled from inside the service process.

Why: RSS seen from outside cannot tell a leak in our Python objects from the C allocations
that tracemalloc never sees (SQLite's page caches, glibc's malloc arenas holding freed
memory). With ``MEMORY_PROBE_FILE`` set, ``main.py serve`` appends one JSON line every
``MEMORY_PROBE_EVERY`` seconds with, side by side:

- ``rss_mb`` / ``anon_mb``: the process's resident and anonymous memory (``/proc/self/status``);
- ``malloc``: glibc ``mallinfo2()`` — bytes in use, and bytes free but still held by the
  arenas (fragmentation: RSS that no live object accounts for);
- ``sqlite``: ``sqlite3_memory_used()`` and its high-water mark from the process's libsqlite3
  (page caches of every connection included);
- ``py``: objects tracked by the GC, allocated blocks, and the types whose counts changed most
  since the previous sample;
- ``gauges``: sizes of the service's own per-chat structures (registered by the caller);
- ``tracemalloc`` (only when ``MEMORY_PROBE_FRAMES`` > 0, which costs CPU and memory): traced
  total, and the call sites (tracebacks of that many frames) that grew most since the previous
  sample and since the first.

It is a diagnostic, off by default; stdlib only, so it can sit in ``core``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ctypes
import ctypes.util
import gc
import json
import logging
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from core.tasks import cancel_and_wait

log = logging.getLogger(__name__)

MB = 1024 * 1024


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def _load(name: str) -> Any:
    path = ctypes.util.find_library(name)
    if path is None:
        return None
    try:
        return ctypes.CDLL(path)
    except OSError:
        return None


_SQLITE = _load("sqlite3")
if _SQLITE is not None:
    _SQLITE.sqlite3_memory_used.restype = ctypes.c_int64
    _SQLITE.sqlite3_memory_highwater.restype = ctypes.c_int64
    _SQLITE.sqlite3_memory_highwater.argtypes = [ctypes.c_int]


def sqlite_memory_used() -> int | None:
    """Bytes SQLite holds in this process (all connections, page caches included), or None
    when the sqlite3 module does not use a shared libsqlite3 we can ask."""
    return int(_SQLITE.sqlite3_memory_used()) if _SQLITE is not None else None


def proc_status() -> dict[str, float]:
    """VmRSS, RssAnon, RssFile in MB (Linux; empty elsewhere)."""
    out: dict[str, float] = {}
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return out
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
            out[key] = int(rest.split()[0]) / 1024
    return out


class MemoryProbe:
    """Samples memory to a JSON-lines file; see the module docstring for the fields."""

    def __init__(
        self,
        path: Path,
        *,
        every: float = 60.0,
        frames: int = 0,
        gauges: Mapping[str, Callable[[], int]] | None = None,
        top: int = 12,
    ) -> None:
        self.path = path
        self.every = every
        self.frames = frames
        self.gauges: dict[str, Callable[[], int]] = dict(gauges or {})
        self.top = top
        self._task: asyncio.Task[None] | None = None
        self._t0 = time.monotonic()
        self._types: collections.Counter[str] = collections.Counter()
        self._first: tracemalloc.Snapshot | None = None
        self._prev: tracemalloc.Snapshot | None = None
        self._libc = _load("c")
        self._sqlite = _SQLITE
        if self._libc is not None and hasattr(self._libc, "mallinfo2"):
            self._libc.mallinfo2.restype = _MallInfo2
        else:
            self._libc = None

    async def start(self) -> None:
        if self.frames > 0 and not tracemalloc.is_tracing():
            tracemalloc.start(self.frames)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._task = asyncio.create_task(self._loop(), name="memory-probe")
        log.warning("memory probe writing to %s every %.0f s", self.path, self.every)

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait(task)
        self._write(self.sample())

    async def _loop(self) -> None:
        while True:
            try:
                self._write(self.sample())
            except Exception:  # a diagnostic must never take the service down
                log.exception("memory probe sample failed")
            await asyncio.sleep(self.every)

    def _write(self, record: dict[str, Any]) -> None:
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")

    def sample(self) -> dict[str, Any]:
        status = proc_status()
        record: dict[str, Any] = {
            "t": round(time.monotonic() - self._t0, 1),
            "rss_mb": round(status.get("VmRSS", 0.0), 1),
            "anon_mb": round(status.get("RssAnon", 0.0), 1),
            "file_mb": round(status.get("RssFile", 0.0), 1),
            "threads": threading.active_count(),
        }
        if self._libc is not None:
            info = self._libc.mallinfo2()
            record["malloc"] = {
                "arena_mb": round(info.arena / MB, 1),
                "mmap_mb": round(info.hblkhd / MB, 1),
                "in_use_mb": round(info.uordblks / MB, 1),
                "free_held_mb": round(info.fordblks / MB, 1),
            }
        if self._sqlite is not None:
            record["sqlite"] = {
                "used_mb": round(self._sqlite.sqlite3_memory_used() / MB, 2),
                "highwater_mb": round(self._sqlite.sqlite3_memory_highwater(0) / MB, 2),
            }
        record["py"] = self._python_objects()
        gauges: dict[str, int | str] = {}
        for name, fn in self.gauges.items():
            try:
                gauges[name] = fn()
            except Exception as exc:
                gauges[name] = f"error: {exc!r}"[:80]
        record["gauges"] = gauges
        with contextlib.suppress(RuntimeError):
            record["tasks"] = len(asyncio.all_tasks())
        if tracemalloc.is_tracing():
            record["tracemalloc"] = self._tracemalloc()
        return record

    def _python_objects(self) -> dict[str, Any]:
        counts = collections.Counter(type(o).__qualname__ for o in gc.get_objects())
        grown = counts.copy()
        grown.subtract(self._types)
        self._types = counts
        return {
            "gc_objects": sum(counts.values()),
            "allocated_blocks": sys.getallocatedblocks(),
            "top_types": counts.most_common(self.top),
            "grown_types": [(k, v) for k, v in grown.most_common(self.top) if v > 0],
        }

    def _tracemalloc(self) -> dict[str, Any]:
        snap = tracemalloc.take_snapshot().filter_traces(
            (
                tracemalloc.Filter(False, tracemalloc.__file__),
                tracemalloc.Filter(False, __file__),
                tracemalloc.Filter(False, "<frozen importlib._bootstrap>"),
            )
        )
        current, peak = tracemalloc.get_traced_memory()
        out: dict[str, Any] = {
            "traced_mb": round(current / MB, 2),
            "peak_mb": round(peak / MB, 2),
        }
        if self._first is None:
            self._first = snap
        else:
            out["since_first"] = self._diff(snap, self._first)
        if self._prev is not None:
            out["since_prev"] = self._diff(snap, self._prev)
        self._prev = snap
        return out

    def _diff(self, new: tracemalloc.Snapshot, old: tracemalloc.Snapshot) -> list[Any]:
        rows = []
        for stat in new.compare_to(old, "traceback")[: self.top]:
            where = [f"{f.filename.rsplit('/', 2)[-1]}:{f.lineno}" for f in stat.traceback]
            rows.append([round(stat.size_diff / 1024, 1), stat.count_diff, where[-6:]])
        return rows
