"""Statute retrieval benchmark on STARD dev: our search vs china-law-mcp's, in the same run.

Usage (from the project root)::

    .venv/bin/python benchmarks/kb/run.py                 # full system + ablations + anchor
    .venv/bin/python benchmarks/kb/run.py --no-anchor --json out.json

What it does:

1. Makes sure the KB (a SQLite file under ``--data-dir``, default ``var/``) holds laws.db, and
   opens the engine the way ``main.py kb search`` does (keyword index, then dense from the
   vector cache ``var/kb/dense``; the first build takes ~20 minutes on two cores).
2. Maps each question's relevant articles (law name + article number) onto the indexed
   articles; the text is checked, and where the law was renumbered since (e.g. 商标法) the
   article of the current version with the same text (similarity ≥ 0.6) is used. Questions
   with any relevant article outside the base (judicial interpretations, regulations) are left
   out; the report says how many remain.
3. Runs every question through our search and through ``china_law_mcp.retrieval.search``
   (top 10 each), and reports Recall@1/5/10, MRR@10 and p50/p95 latency, for the even ids, the
   odd ids and all. The shipped reranker was fitted on these questions (``train_ranker.py``),
   so our search's own figures are in-sample; the **5-fold cross-validated** row is the
   out-of-sample estimate: each question ranked by a reranker fitted on the other four folds
   (citations named in the question still come first, as in the search).

The dev file is read in place (``../shared/eval/stard/dev.jsonl``); it is never copied.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from stard import DEV, Question, is_tuning, map_questions, metrics  # noqa: E402
from train_ranker import cross_validated, samples  # noqa: E402

from core.config import Settings  # noqa: E402
from legal_kb import rerank, store  # noqa: E402
from legal_kb.batch import open_engine  # noqa: E402
from legal_kb.dense import E5Encoder  # noqa: E402
from legal_kb.engine import SearchEngine  # noqa: E402
from legal_kb.importers import corpus  # noqa: E402
from legal_kb.imports import ensure_kb  # noqa: E402
from legal_kb.names import normalise  # noqa: E402
from storage.db import Database  # noqa: E402

#: The benchmark searches as a unit in 重庆 would: its local rules are among the candidates.
REGIONS = ("重庆",)


def _rss_mb() -> tuple[float, float]:
    """(current, peak) resident memory of this process in MB."""
    fields = dict(
        line.split(":", 1)
        for line in Path("/proc/self/status").read_text().splitlines()
        if ":" in line
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def run_system(
    name: str,
    search: Callable[[str], list[int]],
    questions: Sequence[Question],
    reset: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    for text in ("热身问题：工资", "热身：离婚"):  # warm-up (lazy imports), not dev questions
        search(text)
    reset()
    ranked: list[list[int]] = []
    latencies: list[float] = []
    for q in questions:
        start = time.perf_counter()
        ranked.append(search(q.text))
        latencies.append((time.perf_counter() - start) * 1000)
    latencies.sort()
    result = scored(name, ranked, questions)
    result["p50_ms"] = statistics.median(latencies)
    result["p95_ms"] = latencies[int(0.95 * (len(latencies) - 1))]
    return result


SPLITS: dict[str, Callable[[Question], bool]] = {
    "national-law questions": lambda q: q.national,
    "questions citing an interpretation": lambda q: q.interpretation,
    "even ids": is_tuning,
    "odd ids": lambda q: not is_tuning(q),
    "all": lambda q: True,
}


def scored(name: str, ranked: Sequence[list[int]], questions: Sequence[Question]) -> dict[str, Any]:
    """Metrics of ``ranked`` (one top-10 per question) on each split; no latency."""
    result: dict[str, Any] = {"system": name, "p50_ms": None, "p95_ms": None}
    for split, keep in SPLITS.items():
        idx = [i for i, q in enumerate(questions) if keep(q)]
        result[split] = metrics([ranked[i] for i in idx], [questions[i] for i in idx])
    return result


def cross_validated_system(engine: SearchEngine, questions: Sequence[Question]) -> dict[str, Any]:
    """Our ranking, each question reranked by a model that never saw it (5 folds by id)."""
    cv = cross_validated(samples(engine, list(questions)), prior=engine.prior)
    ranked: list[list[int]] = []
    for q in questions:
        cited = engine.cited(q.text)
        ranked.append((cited + [i for i in cv[q.id] if i not in cited])[:10])
    return scored("ours (hybrid), 5-fold cross-validated", ranked, questions)


def _anchor(engine: SearchEngine) -> tuple[Callable[[str], list[int]], float]:
    """china-law-mcp's search, its hits mapped onto our positions; and its memory cost in MB."""
    before = _rss_mb()[0]
    from china_law_mcp import retrieval

    retrieval.load()
    pos = {(normalise(d.law), d.article_no): i for i, d in enumerate(engine.docs)}

    def search(text: str) -> list[int]:
        hits = retrieval.search(text, top_k=10)
        return [pos.get((normalise(h["law_name"]), h["article_no"]), -1) for h in hits]

    return search, _rss_mb()[0] - before


def keyword_ready_seconds(settings: Settings) -> float:
    """Seconds from a fresh interpreter to the first keyword search on the cached index."""
    code = (
        "import time; t = time.perf_counter()\n"
        "from legal_kb.batch import open_engine\n"
        f"e = open_engine({settings.database_url!r}, __import__('pathlib').Path({str(settings.data_dir)!r}), dense=False, regions={REGIONS!r})\n"
        "e.search('老板拖欠工资三个月怎么办')\n"
        "print(time.perf_counter() - t)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return float(out.stdout.strip().splitlines()[-1])


def _table(results: Sequence[dict[str, Any]], split: str) -> str:
    lines = [
        f"| system ({split}) | n | R@1 | R@5 | R@10 | MRR@10 | p50 ms | p95 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        m = r[split]
        p50 = "—" if r["p50_ms"] is None else f"{r['p50_ms']:.1f}"
        p95 = "—" if r["p95_ms"] is None else f"{r['p95_ms']:.1f}"
        lines.append(
            f"| {r['system']} | {m['n']} | {m['R@1']:.3f} | {m['R@5']:.3f} | {m['R@10']:.3f} "
            f"| {m['MRR@10']:.3f} | {p50} | {p95} |"
        )
    return "\n".join(lines)


def attach_dense_for_kinds(engine: SearchEngine, data_dir: Path, kinds: Sequence[str]) -> None:
    """Search only ``kinds``: dense vectors for their articles (from the cache, encoding what is
    missing), zeros for the others, which are masked out of every ranking."""
    import numpy as np

    from legal_kb.dense import VectorCache, build_matrix

    engine.set_regions(REGIONS, kinds=kinds)
    keep = [i for i, d in enumerate(engine.docs) if d.law_kind in kinds]
    encoder = E5Encoder(cache_dir=data_dir / "kb" / "models")
    passages = engine.passages()
    cache = VectorCache(data_dir / "kb" / "dense" / encoder.model_id)
    part = build_matrix([passages[i] for i in keep], encoder, cache)
    assert part is not None
    matrix = np.zeros((len(engine.docs), encoder.dim), dtype=np.float16)
    matrix[keep] = part
    engine.attach_dense(encoder, matrix)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var")
    parser.add_argument("--database-url", help="default: SQLite file under --data-dir")
    parser.add_argument("--dev", type=Path, default=DEV)
    parser.add_argument("--no-anchor", action="store_true")
    parser.add_argument("--no-ablations", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--parts", action="store_true", help="also encode sub-questions")
    parser.add_argument(
        "--corpus",
        action="store_true",
        help="with the shipped corpus (interpretations, regulations, 重庆 local rules) loaded; "
        "own database file kb-bench-corpus.db",
    )
    parser.add_argument("--keyword-only", action="store_true", help="no dense index (KB_DENSE=0)")
    parser.add_argument(
        "--kind-prior", type=float, default=None, help="override RankParams.kind_prior"
    )
    parser.add_argument(
        "--kind-prior-keyword", type=float, default=None, help="override kind_prior_keyword"
    )
    parser.add_argument(
        "--only-kinds",
        help="search only these kinds (e.g. 法律,宪法,立法解释,司法解释); dense vectors are "
        "needed only for them (an ablation while the rest is not encoded)",
    )
    parser.add_argument(
        "--prior",
        action="append",
        default=[],
        metavar="KIND=VALUE",
        help="override one kind's prior (e.g. 司法解释=0); see legal_kb.engine.KIND_PRIOR",
    )
    parser.add_argument(
        "--exact-query",
        action="store_true",
        help="questions on the exact 4-bit graph (KB_QUERY_INT8=0)",
    )
    parser.add_argument(
        "--lay-weight",
        type=float,
        default=None,
        help="override RankParams.lay_weight (0: without the written lay questions)",
    )
    parser.add_argument("--ranker", type=Path, help="another ranker.json (e.g. the one before)")
    args = parser.parse_args(argv)
    db_name = "kb-bench-corpus.db" if args.corpus else "kb-bench.db"
    url = args.database_url or f"sqlite+aiosqlite:///{args.data_dir / db_name}"
    settings = Settings(data_dir=args.data_dir, database_url=url)
    timings: dict[str, float] = {}

    async def prepare() -> None:
        db = Database(url)
        try:
            await store.create_tables(db)
            start = time.perf_counter()
            await ensure_kb(
                db,
                settings,
                lambda m: print(m, file=sys.stderr),
                corpus_source=corpus.ARCHIVE if args.corpus else None,
            )
            timings["import_s"] = time.perf_counter() - start
        finally:
            await db.dispose()

    asyncio.run(prepare())
    start = time.perf_counter()
    probe = open_engine(url, args.data_dir, dense=False, regions=REGIONS)  # builds if missing
    timings["keyword_index_s"] = time.perf_counter() - start
    assert probe is not None
    del probe
    ready_s = keyword_ready_seconds(settings)
    start = time.perf_counter()
    engine = open_engine(
        url,
        args.data_dir,
        dense=not args.keyword_only and not args.only_kinds,
        encoder=E5Encoder(
            cache_dir=args.data_dir / "kb" / "models", query_int8=not args.exact_query
        ),
        progress=lambda m: print(m, file=sys.stderr),
        regions=REGIONS,
    )
    assert engine is not None
    if args.only_kinds:
        attach_dense_for_kinds(engine, args.data_dir, args.only_kinds.split(","))
    timings["dense_s"] = time.perf_counter() - start
    engine.params = replace(engine.params, encode_parts=args.parts)
    if args.lay_weight is not None:
        engine.params = replace(engine.params, lay_weight=args.lay_weight)
    if args.ranker is not None:
        engine.model = rerank.load_model(args.ranker)
    if args.kind_prior is not None:
        engine.params = replace(engine.params, kind_prior=args.kind_prior)
    if args.kind_prior_keyword is not None:
        engine.params = replace(engine.params, kind_prior_keyword=args.kind_prior_keyword)
    for item in args.prior:
        kind, value = item.split("=", 1)
        for i, doc in enumerate(engine.docs):
            if doc.law_kind == kind:
                engine.kind_prior[i] = float(value)
    questions, stats = map_questions(engine, args.dev)
    print(
        f"{stats['mapped']} of {stats['questions']} questions have all relevant articles in the "
        f"base ({stats['renumbered']} relevant articles matched by text in a renumbered law)",
        file=sys.stderr,
    )
    pos = {d.id: i for i, d in enumerate(engine.docs)}

    def ours(text: str) -> list[int]:
        return [pos[h.id] for h in engine.search(text, 10)]

    reset = engine.clear_query_cache
    label = "ours (keyword only)" if not engine.dense_ready else "ours (hybrid)"
    results = [run_system(label, ours, questions, reset)]
    rss_now, rss_peak = _rss_mb()
    if engine.model is not None and engine.dense_ready:
        results.append(cross_validated_system(engine, questions))
    if not args.no_ablations:
        full = engine.params
        if engine.dense_ready:
            engine.params = replace(full, use_dense=False)
            results.append(run_system("ours, keyword only", ours, questions, reset))
            engine.params = replace(full, use_reranker=False)
            results.append(
                run_system("ours, keyword + dense by rank fusion", ours, questions, reset)
            )
        if args.corpus:
            engine.params = replace(full, kind_prior=0.0, kind_prior_keyword=0.0)
            results.append(run_system("ours, no kind prior", ours, questions, reset))
        engine.params = full
    anchor_mb = None
    if not args.no_anchor:
        anchor, anchor_mb = _anchor(engine)
        results.append(run_system("china-law-mcp retrieval.search", anchor, questions))
    report = {
        "date": time.strftime("%Y-%m-%d"),
        "questions": stats,
        "keyword_ready_s": ready_s,
        "corpus": args.corpus,
        "articles_indexed": len(engine.docs),
        "first_start": timings,
        "rss_mb_after_our_search": rss_now,
        "peak_rss_mb_before_anchor": rss_peak,
        "anchor_extra_mb": anchor_mb,
        "params": engine.params.__dict__,
        "results": results,
    }
    for split in SPLITS:
        if results and results[0][split]["n"]:
            print(_table(results, split) + "\n")
    print(
        f"keyword search ready {ready_s:.2f} s after start; RSS {rss_now:.0f} MB "
        f"(peak {rss_peak:.0f} MB) with the hybrid engine loaded"
        + (f"; china-law-mcp adds {anchor_mb:.0f} MB" if anchor_mb is not None else "")
    )
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
