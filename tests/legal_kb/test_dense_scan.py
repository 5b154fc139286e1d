"""The int8 dense scan (issue 22, latency): scores the ranking reads are exact, the dense top
100 is the exact one, and a search ranks as with every score computed exactly but for near
ties.

Vectors: the hashed-bigram stand-in encoder of ``test_search`` over the subset's real
articles (the e5 vectors take minutes to compute; the scan's arithmetic does not depend on
which model made the vectors).
"""

from __future__ import annotations

import numpy as np
import pytest

from legal_kb import rerank
from legal_kb.dense_scan import REFINE, DenseMatrix
from legal_kb.engine import SearchEngine
from tests.legal_kb.test_search import BigramEncoder

QUESTIONS = (
    "老板拖欠工资三个月怎么办",
    "楼上漏水把我家天花板泡坏了谁赔",
    "离婚时房子怎么分",
    "被车撞了对方不赔钱",
    "买到假货商家不退款",
    "邻居装修噪音太大晚上睡不着",
)


@pytest.fixture(scope="module")
def vectors(subset_engine: SearchEngine) -> np.ndarray:
    encoder = BigramEncoder()
    matrix: np.ndarray = encoder.encode_passages(subset_engine.passages()).astype(np.float16)
    return matrix


def test_scan_is_close_and_the_refined_scores_are_exact(vectors: np.ndarray) -> None:
    dense = DenseMatrix(vectors)
    exact_matrix = vectors.astype(np.float32)
    for question in QUESTIONS:
        vec = BigramEncoder().encode_queries([question])[0]
        exact = exact_matrix @ vec
        scan = dense.scan(vec)
        # 7-bit weights and a uint8 question: ≈ 0.01 at most on these sparse stand-in vectors;
        # saturating int16 sums (8-bit weights on an AVX2-only host) gave 0.067.
        assert np.abs(scan - exact).max() < 0.02
        scores = dense.similarities(vec, None)
        refined = np.argsort(-scan, kind="stable")[:REFINE]
        np.testing.assert_allclose(scores[refined], exact[refined], rtol=0, atol=1e-6)
        # The exact top 100 is among them, with a margin (the scan errs by < 0.01).
        best = np.argsort(-exact, kind="stable")[: rerank.DEPTH]
        np.testing.assert_allclose(scores[best], exact[best], rtol=0, atol=1e-6)
        # The dense list the ranking takes (top 100) is the exact one (articles of equal
        # score may trade places: the bigram vectors have many exact ties).
        top = rerank.top_of(scores, rerank.DEPTH, None)
        reference = rerank.top_of(exact.astype(np.float32), rerank.DEPTH, None)
        np.testing.assert_allclose(scores[top], exact[reference], rtol=0, atol=1e-6)
        differ = [i for i, (a, b) in enumerate(zip(top, reference, strict=True)) if a != b]
        assert all(abs(exact[top[i]] - exact[reference[i]]) < 1e-6 for i in differ)


def test_search_ranks_as_with_every_score_exact(
    subset_engine: SearchEngine, vectors: np.ndarray
) -> None:
    """The scan changes a ranking only among near ties. Exact identity is not promised: the
    law's and chapter's best similarity (two reranker features) are read from every row, and
    the rows outside the scan's refined best keep their scan score (measured on STARD dev with
    e5: 305 of 308 top 10s in the same order, docs/benchmarks.md)."""
    encoder = BigramEncoder()
    subset_engine.attach_dense(encoder, vectors)
    try:
        scanned = {q: subset_engine.search(q, 10) for q in QUESTIONS}
        # Every row exact: the whole matrix refined, so the scan's error cannot matter.
        subset_engine.attach_dense(encoder, vectors, refine=len(vectors))
        subset_engine.clear_query_cache()
        for question, hits in scanned.items():
            exact_hits = subset_engine.search(question, 10)
            assert len(hits) == len(exact_hits)
            # Rank by rank the scores agree (a swap of two near-tied articles keeps them so)…
            for got, want in zip(hits, exact_hits, strict=True):
                assert abs(got.score - want.score) < 0.05, (question, got, want)
            # …and at most one article crosses the tenth place.
            assert len({h.id for h in hits} & {h.id for h in exact_hits}) >= len(hits) - 1
    finally:
        subset_engine.detach_dense()
