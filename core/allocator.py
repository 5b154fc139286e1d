"""The process's memory allocator policy: large blocks mapped on their own, freed memory kept.

Why: glibc's malloc serves blocks of 128 KB and more with ``mmap`` at first, but raises that
threshold to the size of the first such block freed (its dynamic threshold, up to 32 MB). After
the knowledge base's start (float16 matrices of tens of MB, built and freed) every later
multi-megabyte array — a search's feature matrix, the written questions' similarities — comes
from the heap instead, and the heap stays fragmented around the few that live on: RSS no live
object accounts for. Fixing the threshold at 1 MiB keeps those blocks apart (each returned to
the system when freed), and a 32 MiB trim threshold keeps the heap's top from being returned and
faulted in again on every search (the cost a lower threshold alone had: +4 ms a search).
Measured with ``benchmarks/kb/search_cost.py`` (docs/benchmarks.md, "Rounds 4 and 5 of written
questions"): search RSS 395–401 → 388–390 MB, peak 408–411 → 390 MB, latency unchanged.

An operator's own ``MALLOC_MMAP_THRESHOLD_`` / ``MALLOC_TRIM_THRESHOLD_`` (glibc's environment
tunables) win: nothing is changed then. A no-op off glibc. Standard library only.
"""

from __future__ import annotations

import ctypes
import os

#: glibc's mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 1 << 20
TRIM_THRESHOLD = 32 << 20


def keep_large_blocks_apart() -> bool:
    """Apply the policy above once, early in the process; ``True`` when it was applied."""
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or "MALLOC_TRIM_THRESHOLD_" in os.environ:
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
