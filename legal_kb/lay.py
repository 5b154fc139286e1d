"""Written lay questions, one or two per article: evidence for the dense ranking.

Why: e5 places "朋友借钱不还怎么办" far from 民法典 第六百七十五条 (a lay question and a statute
share few words and no style), but close to another lay question about the same thing. The
product ships ≈ 44,600 questions written in everyday words for the articles of the national
laws and the interpretations people ask about (``data/lay-questions.jsonl.xz``: the laws chosen
by subject, never from a question set; their writers never saw the STARD questions the search
is measured on). A person's question that is close to one of them is evidence for that
question's article, even when the article's own wording is far away.

The questions are encoded as questions (e5's ``query:`` side) when the dense index is built, and
cached like the passages. At search time one int8 scan (:mod:`legal_kb.dense_scan`) gives the
question's similarity to every written question, and each article gets the best of its own
(``-1`` where it has none): :meth:`LayEvidence.best_per_article`. The engine adds it to the
question's own dense score in the reranker's second dense view (``part`` features); measured in
docs/benchmarks.md, "Written lay questions as evidence".
"""

from __future__ import annotations

import json
import lzma
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from legal_kb.dense_scan import int8_scan, return_freed_memory
from legal_kb.names import normalise

if TYPE_CHECKING:
    from legal_kb.dense import Encoder, VectorCache
    from legal_kb.records import IndexDoc

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

LAY_FILE = Path(__file__).resolve().parent / "data" / "lay-questions.jsonl.xz"


def cache_name(model_id: str) -> str:
    """The vector cache's folder for the questions, beside the passages' (a cache of its own:
    loading the questions' few vectors never reads the passages' 62,000)."""
    return f"{model_id}.questions"


@dataclass(frozen=True)
class LayQuestion:
    law: str
    article_no: str
    text: str


def read(path: Path = LAY_FILE) -> list[LayQuestion]:
    """The shipped questions (none when the file is absent: the search works without)."""
    if not path.exists():
        return []
    out: list[LayQuestion] = []
    with lzma.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                out.append(LayQuestion(row["law"], row["article"], row["q"]))
    return out


def placed(
    docs: Sequence[IndexDoc], questions: Sequence[LayQuestion]
) -> tuple[list[str], IntArray]:
    """The questions whose article is in the index, with its position (sorted by position).

    An article renumbered or left out by a later import simply loses its questions."""
    wanted: dict[str, dict[str, list[str]]] = {}
    for q in questions:
        wanted.setdefault(normalise(q.law), {}).setdefault(q.article_no, []).append(q.text)
    names: dict[str, str] = {}  # each law's name normalised once, not once per article
    pairs: list[tuple[int, str]] = []
    for pos, d in enumerate(docs):
        law = names.get(d.law)
        if law is None:
            law = names[d.law] = normalise(d.law)
        articles = wanted.get(law)
        if articles is not None:
            pairs.extend((pos, text) for text in articles.get(d.article_no, ()))
    return [t for _, t in pairs], np.array([p for p, _ in pairs], dtype=np.int64)


class LayEvidence:
    """The questions' vectors as an int8 scan, and the article each belongs to."""

    def __init__(self, vectors: npt.NDArray[np.generic], positions: IntArray, n_docs: int) -> None:
        if len(vectors) != len(positions):
            raise ValueError("one position per written question")
        self.count = len(positions)
        self.n_docs = n_docs
        # Questions are sorted by article: each article's questions are one run.
        starts = (
            np.flatnonzero(np.r_[True, positions[1:] != positions[:-1]])
            if len(positions)
            else positions
        )
        self._starts = starts.astype(np.int64)
        self._articles = positions[self._starts] if len(positions) else positions
        self._scan: Callable[[FloatArray], FloatArray] | None = (
            int8_scan(np.asarray(vectors, dtype=np.float16)) if len(positions) else None
        )

    def best_per_article(self, vec: FloatArray) -> FloatArray:
        """Each article's best similarity to ``vec`` among its questions (``-1``: none)."""
        out = np.full(self.n_docs, -1.0, dtype=np.float32)
        if self._scan is not None:
            sims = self._scan(vec)
            out[self._articles] = np.maximum.reduceat(sims, self._starts)
        return out


def build(
    docs: Sequence[IndexDoc],
    encoder: Encoder,
    cache: VectorCache,
    *,
    questions: Sequence[LayQuestion] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> LayEvidence | None:
    """Encode (or take from ``cache``) the questions of the indexed articles; ``None`` when
    asked to stop first."""
    from legal_kb.dense import build_matrix

    texts, positions = placed(docs, read() if questions is None else questions)
    matrix: Any = (
        build_matrix(texts, encoder, cache, should_stop=should_stop, as_queries=True)
        if texts
        else np.zeros((0, encoder.dim), dtype=np.float16)
    )
    if matrix is None:
        return None
    del texts
    evidence = LayEvidence(matrix, positions, len(docs))
    del matrix
    return_freed_memory()
    return evidence
