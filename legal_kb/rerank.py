"""Reranking the hybrid candidates with a small linear model over general features.

Why: reciprocal-rank fusion only sees ranks, and the dense retriever alone holds far more of
the right articles in its top 100 than in its top 5. What separates them are signals that
rank fusion throws away, all general and cheap (≈250 candidates, numpy):

- how far each score is from the best one (a clear dense winner vs a flat list);
- the article's context: how strongly its *law* and its *chapter* as a whole match (several
  good candidates from one chapter say the question is about that chapter), the neighbouring
  articles, whether the question names the law;
- keyword coverage: the share of the question's (IDF-weighted) terms found in the text;
- a prior for large, general laws (log of the law's number of articles — corpus structure).

The weights are a logistic regression fitted by ``benchmarks/kb/train_ranker.py`` on the STARD
dev questions and stored in ``ranker.json``; ``benchmarks/kb/run.py`` reports its quality by
5-fold cross-validation (each question ranked by weights fitted without it). No feature looks
at a particular question, law or article.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

MODEL_FILE = Path(__file__).with_name("ranker.json")
#: Candidates taken from each ranking (keyword, dense whole question, dense best part).
DEPTH = 100
_RRF_K = 60.0

FEATURES = (
    "kw_rrf",
    "dense_rrf",
    "part_rrf",
    "kw_norm",
    "cos_gap",
    "part_cos_gap",
    "coverage",
    "law_named",
    "law_size",
    "law_cos_gap",
    "law_count",
    "chapter_cos_gap",
    "chapter_count",
    "neighbour_cos_gap",
    "law_kw_max",
    "length",
)


@dataclass(frozen=True)
class LinearModel:
    """``score = ((x - mean) / scale) · weights + bias``."""

    mean: FloatArray
    scale: FloatArray
    weights: FloatArray
    bias: float

    def score(self, features: FloatArray) -> FloatArray:
        z = (features - self.mean) / self.scale
        out: FloatArray = (z @ self.weights + self.bias).astype(np.float32)
        return out

    def to_json(self) -> dict[str, object]:
        return {
            "features": list(FEATURES),
            "mean": [float(x) for x in self.mean],
            "scale": [float(x) for x in self.scale],
            "weights": [float(x) for x in self.weights],
            "bias": self.bias,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> LinearModel:
        if data.get("features") != list(FEATURES):
            raise ValueError("ranker.json was trained on other features: retrain it")

        def arr(key: str) -> FloatArray:
            values = data[key]
            assert isinstance(values, list)
            return np.array(values, dtype=np.float32)

        bias = data["bias"]
        assert isinstance(bias, (int, float))
        return cls(arr("mean"), arr("scale"), arr("weights"), float(bias))


def load_model(path: Path = MODEL_FILE) -> LinearModel | None:
    """The shipped model, or ``None`` when there is none (then rank fusion is used)."""
    if not path.is_file():
        return None
    return LinearModel.from_json(json.loads(path.read_text(encoding="utf-8")))


def _ranks(scores: FloatArray, top: IntArray) -> FloatArray:
    """1-based rank of each article within ``top`` (``inf`` outside)."""
    ranks = np.full(len(scores), np.inf, dtype=np.float32)
    ranks[top] = np.arange(1, len(top) + 1, dtype=np.float32)
    return ranks


def top_of(scores: FloatArray, depth: int, mask: npt.NDArray[np.bool_] | None) -> IntArray:
    """Indices of the ``depth`` best positive scores (allowed by ``mask``), best first."""
    if mask is not None:
        scores = np.where(mask, scores, -np.inf).astype(np.float32)
    n = min(depth, len(scores))
    if n == 0:
        return np.array([], dtype=np.int64)
    top = np.argpartition(-scores, n - 1)[:n]
    top = top[np.argsort(-scores[top], kind="stable")]
    keep: IntArray = top[np.isfinite(scores[top])].astype(np.int64)
    return keep


@dataclass
class Context:
    """Per-index arrays the features need (built once per loaded index)."""

    law_of_doc: IntArray
    chapter_of_doc: IntArray
    law_size_prior: FloatArray
    prev_same_law: npt.NDArray[np.bool_]
    next_same_law: npt.NDArray[np.bool_]
    length: FloatArray


def _group_max(groups: IntArray, values: FloatArray) -> FloatArray:
    order = np.argsort(groups, kind="stable")
    g = groups[order]
    starts = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    maxima = np.maximum.reduceat(values[order], starts)
    out = np.empty_like(values)
    out[order] = np.repeat(maxima, np.diff(np.r_[starts, len(g)]))
    return out


def _group_count(groups: IntArray) -> FloatArray:
    _, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    return np.log1p(counts[inverse]).astype(np.float32)


def features(
    ctx: Context,
    cand: IntArray,
    kw: FloatArray,
    kw_top: IntArray,
    dense: FloatArray,
    dense_top: IntArray,
    part: FloatArray,
    part_top: IntArray,
    coverage: FloatArray,
    law_named: FloatArray,
) -> FloatArray:
    """The feature matrix (``len(cand)`` × ``len(FEATURES)``)."""
    kw_max = float(kw[kw_top[0]]) if len(kw_top) and kw[kw_top[0]] > 0 else 1.0
    cos = dense[cand]
    best = float(dense[dense_top[0]])
    part_best = float(part[part_top[0]])
    kw_norm = kw[cand] / kw_max
    laws = ctx.law_of_doc[cand]
    chapters = ctx.chapter_of_doc[cand]
    left = np.where(ctx.prev_same_law[cand], dense[np.maximum(cand - 1, 0)], -1.0)
    right = np.where(ctx.next_same_law[cand], dense[np.minimum(cand + 1, len(dense) - 1)], -1.0)
    cols = [
        1.0 / (_RRF_K + _ranks(kw, kw_top)[cand]),
        1.0 / (_RRF_K + _ranks(dense, dense_top)[cand]),
        1.0 / (_RRF_K + _ranks(part, part_top)[cand]),
        kw_norm,
        cos - best,
        part[cand] - part_best,
        coverage,
        law_named,
        ctx.law_size_prior[cand],
        _group_max(laws, cos) - best,
        _group_count(laws),
        _group_max(chapters, cos) - best,
        _group_count(chapters),
        np.maximum(left, right) - best,
        _group_max(laws, kw_norm.astype(np.float32)),
        ctx.length[cand],
    ]
    return np.stack([np.asarray(c, dtype=np.float32) for c in cols], axis=1)


def coverage(texts: Sequence[str], idf: dict[str, float]) -> FloatArray:
    """IDF-weighted share of the question's terms present in each text."""
    total = sum(idf.values()) or 1.0
    return np.array(
        [sum(w for term, w in idf.items() if term in text) / total for text in texts],
        dtype=np.float32,
    )


def size_prior(law_size: FloatArray) -> FloatArray:
    """log(1 + articles in the law), scaled to [0, 1]."""
    top = math.log1p(float(law_size.max())) if len(law_size) else 1.0
    return (np.log1p(law_size) / (top or 1.0)).astype(np.float32)
