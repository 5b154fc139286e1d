"""A first start from nothing, timed step by step: import, keyword index, dense index.

Usage (one core, as the issue's target says; the children inherit the CPU affinity)::

    taskset -c 0 nice -n 10 .venv/bin/python benchmarks/kb/first_start.py [--keep DIR] \\
        [--dense-timeout 900]

Makes a fresh data directory and SQLite database, then runs what an operator (or the service's
first start) runs, each as its own ``main.py`` process: ``db upgrade``, ``kb import`` (laws.db
and the shipped corpus), ``kb index --no-dense`` (the keyword index: keyword search works from
here) and ``kb index`` (the dense index: the shipped vectors, ``legal_kb/data/vectors-*.npz``,
plus encoding whatever they do not cover). Prints one JSON object: seconds per step from the
start, each step's peak RSS, the shipped-vectors log lines, and the dense step's encoding
progress (when ``--dense-timeout`` stops it first, the last progress line and the rate).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PROGRESS = re.compile(r"dense index: (\d+)/(\d+) articles encoded")


def _step(args: list[str], env: dict[str, str], timeout: float | None) -> dict[str, Any]:
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(
        [sys.executable, "main.py", *args],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    lines: list[tuple[float, str]] = []
    assert proc.stderr is not None
    timed_out = False
    for line in proc.stderr:
        lines.append((time.perf_counter() - start, line.rstrip()))
        if timeout is not None and time.perf_counter() - start > timeout:
            proc.kill()
            timed_out = True
            break
    code = proc.wait()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    progress = [(t, PROGRESS.search(m)) for t, m in lines if PROGRESS.search(m)]
    out: dict[str, Any] = {
        "command": " ".join(args),
        "seconds": round(time.perf_counter() - start, 1),
        "cpu_seconds": round(
            after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1
        ),
        # ru_maxrss of children is the largest of any child so far, in KiB.
        "max_rss_mb_so_far": round(after.ru_maxrss / 1024),
        "exit": code,
        "timed_out": timed_out,
        "log": [f"{t:7.1f}s {m}" for t, m in lines if "shipped" in m or "ready" in m][-8:],
    }
    if progress:
        (t0, m0), (t1, m1) = progress[0], progress[-1]
        assert m0 is not None and m1 is not None
        done, total = int(m1.group(1)), int(m1.group(2))
        out["encoded"] = f"{done}/{total} at {t1:.0f}s"
        if t1 > t0 and done > int(m0.group(1)):
            out["passages_per_s"] = round((done - int(m0.group(1))) / (t1 - t0), 1)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="use (and keep) this empty directory")
    parser.add_argument("--dense-timeout", type=float, default=None, help="stop the dense step")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="kb-first-start-"))
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        DATA_DIR=str(work / "data"),
        DATABASE_URL=f"sqlite+aiosqlite:///{work / 'mediation.db'}",
        PYTHONUNBUFFERED="1",
    )
    report: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpus": sorted(os.sched_getaffinity(0)),
        "load_before": [round(x, 2) for x in os.getloadavg()],
        "steps": [],
    }
    begin = time.perf_counter()
    for step, timeout in (
        (["db", "upgrade"], None),
        (["kb", "import"], None),
        (["kb", "index", "--no-dense"], None),
        (["kb", "index"], args.dense_timeout),
    ):
        result = _step(step, env, timeout)
        result["done_at_s"] = round(time.perf_counter() - begin, 1)
        report["steps"].append(result)
        print(json.dumps(result, ensure_ascii=False), file=sys.stderr, flush=True)
        if result["exit"] != 0 and not result["timed_out"]:
            break
    report["load_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
