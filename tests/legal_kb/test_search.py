"""Search on a subset of laws.db: lay questions, filters, highlights, citations, dense fusion.

The dense retriever is exercised with a tiny deterministic encoder (hashed character bigrams)
injected through the :class:`legal_kb.dense.Encoder` interface: tests never load the model.
"""

from __future__ import annotations

import itertools
import logging
import zlib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from legal_kb import rerank
from legal_kb.dense import VectorCache, build_matrix
from legal_kb.engine import SearchEngine, SearchFilters


def _cites(engine: SearchEngine, question: str, top: int = 5, **filters: object) -> list[str]:
    return [h.citation for h in engine.search(question, top, SearchFilters(**filters))]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("老板拖欠工资三个月怎么办", "《劳动法》第五十条"),
        ("离婚后孩子归谁抚养", "《民法典》第一千零八十四条"),
        ("试用期最长可以约定多久", "《劳动合同法》第十九条"),
    ],
)
def test_lay_questions(subset_engine: SearchEngine, question: str, expected: str) -> None:
    assert expected in _cites(subset_engine, question, 3)


def test_hit_fields_and_highlights(subset_engine: SearchEngine) -> None:
    [hit] = subset_engine.search("拖欠劳动者工资", 1)
    assert hit.law == "中华人民共和国劳动法" and hit.law_short == "劳动法"
    assert hit.article_no == "第五十条" and hit.number == 50 and hit.suffix == 0
    assert hit.chapter == "第五章 工资" and hit.status == "现行有效" and hit.in_force
    marked = {hit.text[s:e] for s, e in hit.highlights}
    assert all(any(word in m for m in marked) for word in ("拖欠", "劳动者", "工资"))
    assert hit.via == "keyword"


def test_citation_in_question_comes_first(subset_engine: SearchEngine) -> None:
    hits = subset_engine.search("民法典第1084条是怎么规定的", 3)
    assert hits[0].citation == "《民法典》第一千零八十四条" and hits[0].via == "citation"


def test_filters(subset_engine: SearchEngine) -> None:
    only = _cites(subset_engine, "拖欠工资", 5, laws=("劳动合同法",))
    assert only and all(c.startswith("《劳动合同法》") for c in only)
    family = subset_engine.search("孩子抚养费", 5, SearchFilters(dispute_type="marriage_family"))
    assert family and all(
        h.law_short == "民法典" and 1040 <= (h.number or 0) <= 1163 for h in family
    )
    assert subset_engine.search("拖欠工资", 5, SearchFilters(laws=("不存在的法",))) == []


class BigramEncoder:
    """Deterministic stand-in for the e5 model: hashed character bigrams, L2-normalised."""

    model_id = "test-bigram"
    dim = 64
    weights_sha256 = "0" * 64  # no weights: a fixed stand-in for the model file's hash

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for a, b in itertools.pairwise(text):
                out[row, zlib.crc32((a + b).encode()) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        normalised: np.ndarray = out / np.maximum(norms, 1e-6)
        return normalised

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)


def test_dense_fusion_and_cache(subset_engine: SearchEngine, tmp_path: Path) -> None:
    encoder = BigramEncoder()
    cache = VectorCache(tmp_path / "vectors")
    progress: list[tuple[int, int]] = []
    matrix = build_matrix(
        subset_engine.passages(), encoder, cache, progress=lambda d, t: progress.append((d, t))
    )
    assert matrix is not None and progress[-1][0] == progress[-1][1] > 0
    # A second build finds every vector in the cache and encodes nothing.
    again: list[tuple[int, int]] = []
    assert (
        build_matrix(
            subset_engine.passages(), encoder, cache, progress=lambda d, t: again.append((d, t))
        )
        is not None
    )
    assert again == [(0, 0)]
    with pytest.raises(ValueError, match="shape"):
        subset_engine.attach_dense(encoder, matrix[:10])
    subset_engine.attach_dense(encoder, matrix)
    params = subset_engine.params
    try:
        # The shipped reranker is fitted to e5's similarities, not to this toy encoder's, so
        # ranking quality is checked with plain rank fusion; the reranker path must still run.
        subset_engine.params = replace(params, use_reranker=False)
        hits = subset_engine.search("老板拖欠工资三个月怎么办", 10)
        assert "《劳动法》第五十条" in [h.citation for h in hits[:3]]
        assert {h.via for h in hits} <= {"both", "dense"} and "both" in {h.via for h in hits}
        subset_engine.params = params
        reranked = subset_engine.search("老板拖欠工资三个月怎么办", 10)
        assert len(reranked) == 10 and len({h.id for h in reranked}) == 10
        assert {h.id for h in reranked} <= {
            h.id for h in subset_engine.search("老板拖欠工资三个月怎么办", 400)
        }
    finally:
        subset_engine.params = params
        subset_engine.detach_dense()


def test_stopped_build_returns_none(subset_engine: SearchEngine, tmp_path: Path) -> None:
    cache = VectorCache(tmp_path / "vectors")
    assert (
        build_matrix(subset_engine.passages(), BigramEncoder(), cache, should_stop=lambda: True)
        is None
    )


def test_ranker_model_file() -> None:
    model = rerank.load_model()
    assert model is not None and model.weights.shape == (len(rerank.FEATURES),)
    data = model.to_json()
    assert rerank.LinearModel.from_json(data).bias == model.bias
    with pytest.raises(ValueError, match="retrain"):
        rerank.LinearModel.from_json({**data, "features": ["other"]})


def test_group_max() -> None:
    groups = np.array([2, 0, 2, 1, 0], dtype=np.int64)
    values = np.array([0.1, 0.5, 0.3, 0.2, 0.4], dtype=np.float32)
    assert rerank._group_max(groups, values).tolist() == pytest.approx([0.3, 0.5, 0.3, 0.2, 0.5])


def test_query_parts_and_terms() -> None:
    from legal_kb import query

    parsed = query.parse("民间借贷是什么？/民间借贷的适用范围是什么？")
    assert parsed.parts == ("民间借贷是什么", "民间借贷的适用范围是什么")
    assert query.split_parts("离婚后孩子归谁抚养") == []
    terms = query.weighted_terms("用人单位拖欠工资怎么办")
    assert terms["用人单位"] == 1.0 and terms["单位"] == 0.5 and "怎么办" not in terms


def test_everyday_words_reach_the_statutes_words() -> None:
    from legal_kb import lexicon, query

    terms = query.weighted_terms("房东不退押金怎么办")
    assert terms["出租人"] == lexicon.EXPANSION_WEIGHT and terms["房东"] == 1.0
    assert "出租人" not in query.weighted_terms("房东不退押金怎么办", expand=False)
    # a legal word the person already used is not added again at a lower weight
    assert "用人单位" not in lexicon.expansions("老板是用人单位吗")
    assert all(lay and legal for lay, legal in lexicon.LAY_TO_LEGAL.items())


def test_lexicon_in_keyword_only_search(subset_engine: SearchEngine) -> None:
    """家暴 is 家庭暴力 in the law: found only with the lexicon, which keyword-only mode uses."""
    question = "老公家暴怎么办"
    assert "《民法典》第一千零四十二条" in _cites(subset_engine, question, 3)
    plain = replace(subset_engine.params, expand_terms=False)
    try:
        subset_engine.params = plain
        assert "《民法典》第一千零四十二条" not in _cites(subset_engine, question, 3)
    finally:
        subset_engine.params = replace(plain, expand_terms=True)


def built_here(
    engine: SearchEngine, tmp_path: Path
) -> tuple[BigramEncoder, list[str], VectorCache, np.ndarray]:
    """The subset's passages encoded on this machine (the bigram test encoder) into a cache
    under ``tmp_path``/built: what an export starts from, and what the tests compare with.
    Returns the encoder, the passages, the cache and their matrix."""
    encoder = BigramEncoder()
    passages = engine.passages()
    built = VectorCache(tmp_path / "built" / encoder.model_id)
    reference = build_matrix(passages, encoder, built)
    assert reference is not None
    return encoder, passages, built, reference


def first_start(
    passages: list[str], encoder: BigramEncoder, tmp_path: Path, shipped: Path
) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """A first start with the vectors file ``shipped``, into an empty cache under
    ``tmp_path``/fresh: the matrix built and the progress it reported (done, total)."""
    from legal_kb.dense import ShippedVectors

    progress: list[tuple[int, int]] = []
    fresh = VectorCache(tmp_path / "fresh" / encoder.model_id, ShippedVectors(shipped, encoder))
    matrix = build_matrix(passages, encoder, fresh, progress=lambda d, t: progress.append((d, t)))
    assert matrix is not None
    return matrix, progress


def test_shipped_vectors_spare_the_encoding(subset_engine: SearchEngine, tmp_path: Path) -> None:
    """Vectors exported once (``kb export-vectors``) are used on a first start: only passages
    they do not cover are encoded, and the stored int8 codes come back within their error."""
    from legal_kb.dense import export_vectors

    encoder, passages, built, reference = built_here(subset_engine, tmp_path)
    shipped = tmp_path / "vectors-test-bigram.npz"
    half = passages[: len(passages) // 2]
    count = export_vectors(half, encoder, built, shipped, corpus="test")
    assert count == len(set(half))
    with np.load(shipped) as data:  # one int8 code per number, one scale per vector
        assert data["codes"].dtype == np.int8 and data["codes"].shape == (encoder.dim, count)
        assert data["scale"].shape == (count,) and data["keys"].shape == (count, 20)

    matrix, progress = first_start(passages, encoder, tmp_path, shipped)
    assert matrix.shape == reference.shape
    encoded = progress[-1][1]
    assert encoded == len(set(passages) - set(half))
    in_file = set(half)
    covered = [row for row, p in enumerate(passages) if p in in_file]
    rest = [row for row, p in enumerate(passages) if p not in in_file]
    assert np.array_equal(matrix[rest], reference[rest])  # encoded here
    error = np.abs(matrix[covered].astype(np.float32) - reference[covered].astype(np.float32))
    assert 0 < error.max() < 0.01  # quantized (not the float16 values), within a step
    assert not np.array_equal(matrix[covered], reference[covered])


def _refused(
    path: Path, encoder: BigramEncoder, caplog: pytest.LogCaptureFixture, reason: str
) -> None:
    from legal_kb.dense import ShippedVectors

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="legal_kb.shipped"):
        assert ShippedVectors(path, encoder).load() is None
    assert any("refused" in r.getMessage() and reason in r.getMessage() for r in caplog.records), (
        caplog.text
    )


def test_shipped_vectors_of_another_model_or_damaged_are_refused(
    subset_engine: SearchEngine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A file made by other weights (same model id), for another model, damaged or cut short
    is refused with a log line saying why, and the first start encodes every passage instead."""
    from legal_kb.dense import export_vectors

    encoder, passages, built, reference = built_here(subset_engine, tmp_path)
    good = tmp_path / "good.npz"
    export_vectors(passages, encoder, built, good, corpus="test")

    retrained = BigramEncoder()
    retrained.weights_sha256 = "1" * 64
    _refused(good, retrained, caplog, "made by model test-bigram (weights 000000000000)")
    renamed = BigramEncoder()
    renamed.model_id = "another-model"
    _refused(good, renamed, caplog, "this is another-model")

    damaged = tmp_path / "damaged.npz"
    with np.load(good) as data:
        members = {name: np.array(data[name]) for name in data.files}
    members["codes"][0, 0] ^= 1  # one code, one bit
    np.savez(damaged, **members)  # type: ignore[arg-type]
    _refused(damaged, encoder, caplog, "checksum mismatch")
    older = tmp_path / "float16.npz"  # the layout before int8 codes (never shipped)
    np.savez(
        older,
        keys=np.array(["0" * 40]),
        vecs=np.zeros((1, 64), np.float16),
        manifest=np.array("{}"),
    )
    _refused(older, encoder, caplog, "not format 2")
    cut = tmp_path / "cut.npz"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    _refused(cut, encoder, caplog, "unreadable")

    matrix, progress = first_start(passages, encoder, tmp_path, damaged)
    assert np.array_equal(matrix, reference)
    assert progress[-1] == (len(set(passages)), len(set(passages)))


def test_shipped_vectors_of_another_corpus_serve_unchanged_passages(
    subset_engine: SearchEngine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Exported for another corpus version: the log names both versions; vectors are keyed by
    passage text, so the passages that did not change use them and only the rest is encoded."""
    from legal_kb.dense import export_vectors

    encoder, passages, built, _reference = built_here(subset_engine, tmp_path)
    older = tmp_path / "older.npz"
    changed = [p + "（已修改）" if row % 3 == 0 else p for row, p in enumerate(passages)]
    assert build_matrix(changed, encoder, built) is not None
    export_vectors(changed, encoder, built, older, corpus="r1-an-older-corpus")

    with caplog.at_level(logging.WARNING, logger="legal_kb.dense"):
        _matrix, progress = first_start(passages, encoder, tmp_path, older)
    assert "exported for corpus r1-an-older-corpus" in caplog.text
    assert progress[-1][1] == len(set(passages) - set(changed))


def test_shipped_files_are_package_data() -> None:
    """The corpus archive and the vectors file (once exported there) go into the package."""
    import fnmatch
    import tomllib

    from legal_kb.dense import E5Encoder, shipped_vectors_path

    root = Path(__file__).resolve().parents[2]
    config = tomllib.loads((root / "pyproject.toml").read_text("utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["legal_kb"]
    vectors = shipped_vectors_path(E5Encoder.model_id).relative_to(root / "legal_kb")
    for name in ("data/legal-corpus.tar.xz", str(vectors)):
        assert any(fnmatch.fnmatch(name, pattern) for pattern in patterns), name
