"""Helpers shared by the service benchmarks (process CPU and memory; the service process itself
is harness.process.serving_process)."""

from __future__ import annotations

import json
import os
import statistics
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def report(result: Mapping[str, Any], *failures: str) -> None:
    """``result`` printed as one line of JSON; the process exits 1 when any of the counts named
    in ``failures`` (wrong replies, errors …) is not zero, so a script can tell a failed run."""
    print(json.dumps(result, ensure_ascii=False))
    if any(result[key] for key in failures):
        sys.exit(1)


def summary(samples: list[float]) -> dict[str, float]:
    """Count, median, 95th percentile and maximum of ``samples`` (seconds), in ms."""
    ms = sorted(s * 1000 for s in samples)
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(ms[min(len(ms) - 1, int(0.95 * len(ms)))], 1),
        "max_ms": round(ms[-1], 1),
    }
