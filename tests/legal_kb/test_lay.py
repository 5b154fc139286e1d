"""Written lay questions as dense evidence (legal_kb.lay): the shipped file, placing questions
on the index, the evidence per article, the engine's second dense view, and the cache."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from legal_kb import lay, query
from legal_kb.dense import VectorCache, build_matrix
from legal_kb.engine import SearchEngine, with_lay
from tests.legal_kb.test_search import BigramEncoder


def test_the_shipped_questions_are_lay_words_for_real_articles() -> None:
    questions = lay.read()
    assert len(questions) > 20_000
    # An article is 第…条, or 全文 for an interpretation of one paragraph.
    assert all(q.law and q.article_no and q.text.strip() for q in questions)
    assert all(q.article_no.startswith("第") or q.article_no == "全文" for q in questions)
    # Written as people ask, not as citations: no article numbers in the questions.
    numbered = [
        q.text for q in questions if re.search(r"第[一二三四五六七八九十百千零〇\d]+条", q.text)
    ]
    assert len(numbered) < len(questions) // 200, numbered[:5]
    laws = {q.law for q in questions}
    assert {"中华人民共和国民法典", "中华人民共和国劳动法", "中华人民共和国刑法"} <= laws


def test_questions_are_placed_on_their_articles(subset_engine: SearchEngine) -> None:
    questions = [
        lay.LayQuestion("中华人民共和国劳动法", "第五十条", "老板三个月没给钱了"),
        lay.LayQuestion("中华人民共和国劳动法", "第五十条", "工资一直拖着不发咋办"),
        lay.LayQuestion("中华人民共和国劳动法", "第九百九十九条", "没有这一条"),
        lay.LayQuestion("不存在的法", "第一条", "也没有这部法"),
    ]
    texts, positions = lay.placed(subset_engine.docs, questions)
    [pos] = {int(p) for p in positions}
    assert len(texts) == 2 and subset_engine.docs[pos].article_no == "第五十条"
    assert list(positions) == sorted(positions)


def test_evidence_is_each_articles_best_question() -> None:
    vectors = np.array([[1, 0, 0], [0, 1, 0], [0.6, 0.8, 0], [0, 0, 1]], dtype=np.float16)
    evidence = lay.LayEvidence(vectors, np.array([1, 1, 3, 4]), n_docs=6)
    best = evidence.best_per_article(np.array([0.6, 0.8, 0.0], dtype=np.float32))
    assert evidence.count == 4
    assert best[[0, 2, 5]].tolist() == [-1.0, -1.0, -1.0]  # articles without questions
    assert best[1] == pytest.approx(0.8, abs=0.02)  # the better of its two questions
    assert best[3] == pytest.approx(1.0, abs=0.02) and best[4] == pytest.approx(0.0, abs=0.02)
    with pytest.raises(ValueError, match="position"):
        lay.LayEvidence(vectors, np.array([1, 2]), n_docs=6)
    empty = lay.LayEvidence(np.zeros((0, 3), np.float16), np.zeros(0, np.int64), n_docs=2)
    assert empty.best_per_article(np.ones(3, np.float32)).tolist() == [-1.0, -1.0]


def test_only_a_question_closer_than_the_article_moves_it() -> None:
    whole = np.array([0.8, 0.8, 0.5], dtype=np.float32)
    out = with_lay(whole, np.array([-1.0, 0.9, 0.9], dtype=np.float32), 0.5)
    assert out.tolist() == pytest.approx([1.2, 1.25, 0.95])


class CountingEncoder(BigramEncoder):
    def __init__(self) -> None:
        self.queries = 0

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.queries += len(texts)
        return super().encode_queries(texts)


def test_the_engine_reads_the_evidence_and_the_cache_keeps_it(
    subset_engine: SearchEngine, tmp_path: Path
) -> None:
    encoder = CountingEncoder()
    cache = VectorCache(tmp_path / "vectors")
    matrix = build_matrix(subset_engine.passages(), encoder, cache)
    assert matrix is not None
    # A question nobody would match to the article's own words, written for it.
    written = [lay.LayQuestion("中华人民共和国劳动法", "第五十条", "东家欠我三个月血汗钱")]
    evidence = lay.build(subset_engine.docs, encoder, cache, questions=written)
    assert evidence is not None and evidence.count == 1 and encoder.queries == 1
    # Cached as questions: built again, nothing is encoded.
    assert lay.build(subset_engine.docs, encoder, cache, questions=written) is not None
    assert encoder.queries == 1
    target = next(
        i
        for i, d in enumerate(subset_engine.docs)
        if d.law == "中华人民共和国劳动法" and d.article_no == "第五十条"
    )
    params = subset_engine.params
    subset_engine.attach_dense(encoder, matrix, lay=evidence)
    try:
        parsed = query.parse("东家欠我三个月血汗钱", params.sub_word_weight, expand=False)
        scores = subset_engine._dense_scores(parsed, None)
        assert scores is not None and scores.lay is not None
        assert scores.lay[target] == pytest.approx(1.0, abs=0.02)

        # The written question lifts its article in the second view, not in the first.
        def rank(values: np.ndarray) -> int:
            return int((values > values[target]).sum())

        assert rank(scores.part) < rank(scores.whole)
        assert scores.part[target] == pytest.approx(
            scores.whole[target] + 0.5 * scores.lay[target], abs=1e-5
        )
        # Without the evidence (weight 0) the second view is the question's own score.
        subset_engine.params = replace(params, lay_weight=0.0)
        plain = subset_engine._dense_scores(parsed, None)
        assert plain is not None and plain.part is plain.whole and plain.lay is None
        subset_engine.params = params
        hits = subset_engine.search("东家欠我三个月血汗钱", 10)
        assert len({h.id for h in hits}) == len(hits) == 10
    finally:
        subset_engine.params = params
        subset_engine.detach_dense()
    other = SearchEngine(subset_engine.directory)
    bigger = lay.LayEvidence(np.zeros((0, 64), np.float16), np.zeros(0, np.int64), n_docs=3)
    with pytest.raises(ValueError, match="another index"):
        other.attach_dense(encoder, matrix, lay=bigger)


def test_the_shipped_questions_are_package_data() -> None:
    import fnmatch
    import tomllib

    root = Path(__file__).resolve().parents[2]
    config = tomllib.loads((root / "pyproject.toml").read_text("utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["legal_kb"]
    name = str(lay.LAY_FILE.relative_to(root / "legal_kb"))
    assert any(fnmatch.fnmatch(name, pattern) for pattern in patterns), name
