"""Fit the reranker (``legal_kb/ranker.json``) on STARD dev, and cross-validate it.

Usage (from the project root, after ``benchmarks/kb/run.py`` or ``main.py kb index`` built the
indexes)::

    .venv/bin/python benchmarks/kb/train_ranker.py

A logistic regression over the candidate features of :mod:`legal_kb.rerank` (positives
weighted up to balance the ~1 relevant article among ~250 candidates, L2-regularised), fitted
by plain gradient descent on standardised features. Deterministic: the same data gives the
same weights.

The shipped model is fitted on every mapped dev question (``--half all``, the default): 16
weights and 209 questions, and more questions generalise better than fewer. Its out-of-sample
quality is measured by ``run.py`` with :func:`cross_validated`: 5 folds by question id, each
fold ranked by a model fitted on the other four, so no question is ranked by a model that saw
it. ``--half even`` fits on the even ids only (the earlier protocol: odd ids held out).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from stard import DEV, Question, is_tuning, map_questions  # noqa: E402

from legal_kb import query, rerank  # noqa: E402
from legal_kb.batch import open_engine  # noqa: E402
from legal_kb.engine import SearchEngine  # noqa: E402

FOLDS = 5
Sample = tuple[Question, np.ndarray, np.ndarray, np.ndarray]  # question, candidates, X, y


def fit(
    x: np.ndarray, y: np.ndarray, l2: float, epochs: int = 3000, lr: float = 0.1
) -> rerank.LinearModel:
    mean = x.mean(axis=0)
    scale = x.std(axis=0) + 1e-6
    z = (x - mean) / scale
    w = np.zeros(x.shape[1])
    b = 0.0
    pos_weight = (len(y) - y.sum()) / max(y.sum(), 1.0)
    sample = np.where(y > 0, pos_weight, 1.0)
    for _ in range(epochs):
        p = 1.0 / (1.0 + np.exp(-(z @ w + b)))
        g = (p - y) * sample
        w -= lr * (z.T @ g / len(y) + l2 * w / len(y))
        b -= lr * g.mean()
    return rerank.LinearModel(
        mean.astype(np.float32), scale.astype(np.float32), w.astype(np.float32), float(b)
    )


def samples(engine: SearchEngine, questions: list[Question]) -> list[Sample]:
    """Candidates, features and labels of each question, parsed as the hybrid engine does."""
    out: list[Sample] = []
    for q in questions:
        # As the engine parses when the dense index is used: no lexicon expansion.
        parsed = query.parse(q.text, engine.params.sub_word_weight, expand=False)
        cand, feats, _ = engine.candidates(parsed, engine.region_mask)
        assert feats is not None, "the dense index must be ready"
        out.append((q, cand, feats, np.array([int(c) in q.gold for c in cand], dtype=np.float64)))
    return out


def fit_samples(data: list[Sample], l2: float = 1.0) -> rerank.LinearModel:
    return fit(
        np.concatenate([d[2] for d in data]).astype(np.float64),
        np.concatenate([d[3] for d in data]),
        l2,
    )


def cross_validated(
    data: list[Sample],
    folds: int = FOLDS,
    l2: float = 1.0,
    prior: Callable[[npt.NDArray[np.int64]], npt.NDArray[np.float32]] | None = None,
) -> dict[int, list[int]]:
    """Top 10 of each question, ranked by a model fitted on the other folds (fold = id mod k);
    ``prior`` (the engine's kind prior) is added to the scores as the search does."""
    ranked: dict[int, list[int]] = {}
    for k in range(folds):
        model = fit_samples([d for d in data if d[0].id % folds != k], l2)
        ranked.update(ranked_by(model, [d for d in data if d[0].id % folds == k], prior))
    return ranked


def ranked_by(
    model: rerank.LinearModel,
    data: list[Sample],
    prior: Callable[[npt.NDArray[np.int64]], npt.NDArray[np.float32]] | None = None,
) -> dict[int, list[int]]:
    """Top 10 of each question as ``model`` (plus the engine's kind ``prior``) ranks them."""
    ranked: dict[int, list[int]] = {}
    for q, cand, feats, _ in data:
        scores = model.score(feats)
        if prior is not None:
            scores = scores + prior(cand)
        order = np.argsort(-scores, kind="stable")
        ranked[q.id] = [int(c) for c in cand[order][:10]]
    return ranked


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var")
    parser.add_argument("--database-url", help="default: SQLite file under --data-dir")
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument("--out", type=Path, default=rerank.MODEL_FILE)
    parser.add_argument("--parts", action="store_true", help="also encode sub-questions")
    parser.add_argument("--half", choices=("all", "even"), default="all")
    parser.add_argument(
        "--region", action="append", default=[], help="search this region's local rules (重庆)"
    )
    args = parser.parse_args()
    url = args.database_url or f"sqlite+aiosqlite:///{args.data_dir / 'kb-bench.db'}"
    engine = open_engine(
        url, args.data_dir, progress=lambda m: print(m, file=sys.stderr), regions=args.region
    )
    if engine is None:
        print("empty knowledge base: run benchmarks/kb/run.py first", file=sys.stderr)
        return 1
    engine.params = replace(engine.params, encode_parts=args.parts)
    questions, _ = map_questions(engine, DEV)
    if args.half == "even":
        questions = [q for q in questions if is_tuning(q)]
    data = samples(engine, questions)
    model = fit_samples(data, args.l2)
    args.out.write_text(json.dumps(model.to_json(), indent=1) + "\n", encoding="utf-8")
    for name, weight in zip(rerank.FEATURES, model.weights, strict=True):
        print(f"{name:>18} {weight:+.3f}")
    print(
        f"trained on {len(data)} questions, {int(sum(d[3].sum() for d in data))} positives"
        f" -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
