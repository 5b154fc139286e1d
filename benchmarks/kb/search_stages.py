"""Where a search's CPU goes: thread CPU time per stage over the 308 STARD dev questions.

Usage (from the project root, with the keyword and dense indexes built under ``--data-dir``)::

    nice -n 10 .venv/bin/python benchmarks/kb/search_stages.py --data-dir DIR \\
        --database-url sqlite+aiosqlite:///DIR/../mediation.db [--exact-query]

Why thread CPU time (``time.thread_time``) and not wall: the host is shared and loaded, and
wall time then measures the neighbours; a stage's CPU on the calling thread is what the search
itself costs (the encoder and the int8 scan run on that thread: one intra-op thread each).
Each stage is a wrapped function of the engine (parse, keyword scores, tokenizer, token
embeddings, the encoder's ONNX Runtime call, the int8 scan, the exact rescoring, top-k
selections, features, coverage, the reranker, hits and highlights); what is left is the engine's
own glue. Prints one JSON line: per-question total p50 / p95 and each stage's mean, in ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from legal_kb import query, rerank  # noqa: E402
from legal_kb.batch import open_engine  # noqa: E402
from legal_kb.dense import E5Encoder  # noqa: E402

DEV = ROOT.parent / "shared" / "eval" / "stard" / "dev.jsonl"


def _wrap(owner: Any, name: str, label: str, spent: dict[str, float]) -> None:
    """Replace ``owner.name`` by a wrapper adding its thread CPU time to ``spent[label]``."""
    inner: Callable[..., Any] = getattr(owner, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.thread_time()
        try:
            return inner(*args, **kwargs)
        finally:
            spent[label] = spent.get(label, 0.0) + time.thread_time() - start

    setattr(owner, name, timed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--region", action="append", default=["重庆"])
    parser.add_argument(
        "--exact-query", action="store_true", help="the exact 4-bit query graph (KB_QUERY_INT8=0)"
    )
    args = parser.parse_args(argv)
    encoder = E5Encoder(cache_dir=args.data_dir / "kb" / "models", query_int8=not args.exact_query)
    engine = open_engine(args.database_url, args.data_dir, encoder=encoder, regions=args.region)
    if engine is None or engine._dense is None:
        print("no dense index under --data-dir: build it first (main.py kb index)")
        return 1
    onnx_encoder = encoder._get()
    spent: dict[str, float] = {}
    stages: list[tuple[Any, str, str]] = [
        (query, "parse", "parse"),
        (engine.keyword, "scores", "keyword"),
        (onnx_encoder.model, "token_ids", "tokenizer"),
        (onnx_encoder.model, "embed", "token embeddings"),
        (type(onnx_encoder), "_window", "encoder (ONNX Runtime)"),
        (engine._dense.matrix, "scan", "dense int8 scan"),
        (engine._dense.matrix, "refine", "dense exact rescoring"),
        (rerank, "top_of", "top-k selections"),
        (rerank, "features", "features"),
        (rerank, "coverage", "coverage"),
        (engine, "_hit", "hits and highlights"),
        (engine, "cited", "citations"),
    ]
    if engine.model is not None:
        stages.append((type(engine.model), "score", "reranker"))
    for owner, name, label in stages:
        _wrap(owner, name, label, spent)
    questions = [json.loads(line)["question"] for line in DEV.read_text("utf-8").splitlines()]
    for text in ("热身问题：工资", "热身：离婚"):
        engine.search(text, 10)
    engine.clear_query_cache()
    spent.clear()
    totals: list[float] = []
    load_before = os.getloadavg()[0]
    for text in questions:
        start = time.thread_time()
        engine.search(text, 10)
        totals.append((time.thread_time() - start) * 1000)
    n = len(questions)
    # The encoder's wrapper includes the token embeddings it looks up: shown apart.
    spent["encoder (ONNX Runtime)"] -= spent.get("token embeddings", 0.0)
    per_stage = {k: round(v * 1000 / n, 2) for k, v in sorted(spent.items(), key=lambda x: -x[1])}
    per_stage["engine glue (the rest)"] = round(
        statistics.mean(totals) - sum(per_stage.values()), 2
    )
    totals.sort()
    print(
        json.dumps(
            {
                "encoder": "exact (4-bit) queries" if args.exact_query else "int8 queries",
                "questions": n,
                "thread_cpu_p50_ms": round(statistics.median(totals), 2),
                "thread_cpu_p95_ms": round(totals[int(0.95 * (n - 1))], 2),
                "thread_cpu_mean_ms": round(statistics.mean(totals), 2),
                "mean_ms_per_stage": per_stage,
                "loadavg_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            },
            ensure_ascii=False,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
