"""Fit the reranker (``legal_kb/ranker.json``) on the tuning half of STARD dev (even ids).

Usage (from the project root, after ``benchmarks/kb/run.py`` or ``main.py kb index`` built the
indexes)::

    .venv/bin/python benchmarks/kb/train_ranker.py

A logistic regression over the candidate features of :mod:`legal_kb.rerank` (positives
weighted up to balance the ~1 relevant article among ~250 candidates, L2-regularised), fitted
by plain gradient descent on standardised features. Only even-id questions are used; the odd
half stays held out for ``run.py``. Deterministic: the same data gives the same weights.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from stard import DEV, is_tuning, map_questions  # noqa: E402

from legal_kb import query, rerank  # noqa: E402
from legal_kb.batch import open_engine  # noqa: E402


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var")
    parser.add_argument("--database-url", help="default: SQLite file under --data-dir")
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument("--out", type=Path, default=rerank.MODEL_FILE)
    parser.add_argument("--parts", action="store_true", help="also encode sub-questions")
    args = parser.parse_args()
    url = args.database_url or f"sqlite+aiosqlite:///{args.data_dir / 'kb-bench.db'}"
    engine = open_engine(url, args.data_dir, progress=lambda m: print(m, file=sys.stderr))
    if engine is None:
        print("empty knowledge base: run benchmarks/kb/run.py first", file=sys.stderr)
        return 1
    engine.params = replace(engine.params, encode_parts=args.parts)
    questions, _ = map_questions(engine, DEV)
    xs, ys = [], []
    for q in questions:
        if not is_tuning(q):
            continue
        # As the engine parses when the dense index is used: no lexicon expansion.
        parsed = query.parse(q.text, engine.params.sub_word_weight, expand=False)
        cand, feats, _ = engine.candidates(parsed)
        assert feats is not None, "the dense index must be ready"
        xs.append(feats)
        ys.append(np.array([int(c) in q.gold for c in cand], dtype=np.float64))
    model = fit(np.concatenate(xs).astype(np.float64), np.concatenate(ys), args.l2)
    args.out.write_text(json.dumps(model.to_json(), indent=1) + "\n", encoding="utf-8")
    for name, weight in zip(rerank.FEATURES, model.weights, strict=True):
        print(f"{name:>18} {weight:+.3f}")
    print(
        f"trained on {len(xs)} questions, {int(sum(y.sum() for y in ys))} positives -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
