"""A linear map on the question's vector, learned from written lay questions (issue 22 item 4).

The dense side ranks articles by the cosine of e5's question vector with e5's passage vectors.
e5 was never trained on lay Chinese legal questions: "朋友借钱不还" and 民法典 第六百七十五条 are
far apart for it. This study learns one matrix ``W`` (question vector → ``W q``, renormalised;
the passage vectors are untouched, so the shipped vectors stay valid) from **lay questions
written for the articles of the laws people ask about** (``legal_kb/data/lay-questions.jsonl.xz``: one
or two per article, chosen by law, not by any question set; their writers never saw STARD).
No dev question is used to fit ``W``: every dev figure this prints is held out.

Training: softmax over every searchable article (temperature ``--tau``), the written question's
article the target, ``W`` started at the identity and held near it by ``--l2``; Adam, full batch
per epoch in mini-batches. Deterministic (fixed seed).

Usage::

    nice -n 5 .venv/bin/python benchmarks/kb/query_adapter.py --data-dir var \
        --database-url sqlite+aiosqlite:///$PWD/var/mediation.db [--hybrid] [--out FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from stard import Question, add_kb_arguments, metrics, open_dev  # noqa: E402
from train_ranker import Sample, cross_validated, ranked_by, samples  # noqa: E402

from legal_kb.dense import Encoder  # noqa: E402
from legal_kb.engine import SearchEngine  # noqa: E402
from legal_kb.names import normalise  # noqa: E402

LAY_FILE = ROOT / "legal_kb" / "data" / "lay-questions.jsonl.xz"
F32 = npt.NDArray[np.float32]


def read_lay(path: Path, engine: SearchEngine) -> tuple[list[str], list[int], int]:
    """Written questions (the shipped file, or a folder of ``.jsonl`` drafts) and their
    article's position; the count of rows not found in the index."""
    from legal_kb import lay

    if path.is_file():
        rows = lay.read(path)
    else:
        rows = []
        for part in sorted(path.glob("*.jsonl")):
            for line in part.read_text(encoding="utf-8").splitlines():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    continue
                rows.append(lay.LayQuestion(row["law"], row["article"], str(row.get("q", ""))))
    by_key = {(normalise(d.law), d.article_no): i for i, d in enumerate(engine.docs)}
    texts: list[str] = []
    gold: list[int] = []
    missing = 0
    for q in rows:
        pos = by_key.get((normalise(q.law), q.article_no))
        if pos is None or not q.text.strip():
            missing += 1
            continue
        texts.append(q.text.strip())
        gold.append(pos)
    return texts, gold, missing


def encode(engine: SearchEngine, texts: Sequence[str], cache: Path) -> F32:
    """Question vectors, cached by the texts' hash (encoding thousands takes a minute)."""
    key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    path = cache / f"q-{key}.npy"
    if path.exists():
        loaded: F32 = np.load(path)
        return loaded
    dense = engine._dense
    assert dense is not None
    out = np.concatenate(
        [dense.encoder.encode_queries(list(texts[i : i + 64])) for i in range(0, len(texts), 64)]
    ).astype(np.float32)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, out)
    return out


def fit(
    q: F32,
    gold: npt.NDArray[np.int64],
    passages: F32,
    *,
    tau: float,
    l2: float,
    epochs: int,
    lr: float = 1e-4,
    batch: int = 256,
    seed: int = 0,
) -> F32:
    """``W`` minimising softmax loss of each question's article over all ``passages``."""
    dim = q.shape[1]
    w = np.eye(dim, dtype=np.float32)
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    rng = np.random.default_rng(seed)
    step = 0
    for _ in range(epochs):
        order = rng.permutation(len(q))
        for start in range(0, len(q), batch):
            idx = order[start : start + batch]
            qb = q[idx]
            mapped = qb @ w.T  # (b, dim)
            norm = np.linalg.norm(mapped, axis=1, keepdims=True)
            unit = mapped / norm
            logits = (unit @ passages.T) / tau
            logits -= logits.max(axis=1, keepdims=True)
            p = np.exp(logits)
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(len(idx)), gold[idx]] -= 1.0
            grad_unit = (p @ passages) / tau / len(idx)  # (b, dim)
            grad_mapped = (grad_unit - unit * (unit * grad_unit).sum(axis=1, keepdims=True)) / norm
            grad = grad_mapped.T @ qb + l2 * (w - np.eye(dim, dtype=np.float32))
            step += 1
            m = 0.9 * m + 0.1 * grad
            v = 0.999 * v + 0.001 * grad * grad
            mh = m / (1 - 0.9**step)
            vh = v / (1 - 0.999**step)
            w -= lr * mh / (np.sqrt(vh) + 1e-8)
    return w


def dense_ranked(q: F32, w: F32 | None, passages: F32, k: int = 10) -> list[list[int]]:
    mapped = q if w is None else q @ w.T
    mapped = mapped / np.linalg.norm(mapped, axis=1, keepdims=True)
    sims = mapped @ passages.T
    top = np.argpartition(-sims, k, axis=1)[:, :k]
    out = []
    for row, cand in zip(sims, top, strict=True):
        out.append([int(c) for c in cand[np.argsort(-row[cand], kind="stable")]])
    return out


class Adapted:
    """The engine's encoder with ``W`` applied to question vectors (passages unchanged)."""

    def __init__(self, inner: Encoder, w: F32) -> None:
        self.inner = inner
        self.w = w
        self.model_id = inner.model_id
        self.dim = inner.dim
        self.weights_sha256 = inner.weights_sha256

    def encode_queries(self, texts: Sequence[str]) -> F32:
        mapped = self.inner.encode_queries(texts) @ self.w.T
        out: F32 = (mapped / np.linalg.norm(mapped, axis=1, keepdims=True)).astype(np.float32)
        return out

    def encode_passages(self, texts: Sequence[str]) -> F32:
        return self.inner.encode_passages(texts)


def as_part(engine: SearchEngine, w: F32, exact: F32) -> None:
    """Patch the engine so the adapted question's similarities fill the "part" score (the
    slot sub-questions use; off by default): the reranker then sees both views."""
    from legal_kb.engine import DenseScores

    dense = engine._dense
    assert dense is not None

    def scores(parsed, mask):  # type: ignore[no-untyped-def]
        q = dense.encoder.encode_queries([parsed.text[:200]])
        mapped = q @ w.T
        mapped /= np.linalg.norm(mapped, axis=1, keepdims=True)
        whole = (exact @ q[0]).astype(np.float32)
        part = (exact @ mapped[0]).astype(np.float32)
        return DenseScores(whole, part, np.concatenate([q, mapped]), dense.matrix)

    engine._dense_scores = scores  # type: ignore[method-assign]


def hybrid(
    engine: SearchEngine,
    questions: list[Question],
    w: F32 | None,
    mode: str = "replace",
    exact: F32 | None = None,
) -> str:
    """Hybrid rankings of dev with ``W``: the shipped reranker, and refitted per fold."""
    dense = engine._dense
    assert dense is not None
    inner = dense.encoder
    if w is not None and mode == "replace":
        dense.encoder = Adapted(inner, w)
    if w is not None and mode == "part":
        assert exact is not None
        as_part(engine, w, exact)
    engine.clear_query_cache()
    try:
        data = samples(engine, questions)
    finally:
        dense.encoder = inner
        engine.__dict__.pop("_dense_scores", None)
        engine.clear_query_cache()
    return both_rerankers(engine, data, questions)


def both_rerankers(engine: SearchEngine, data: list[Sample], questions: list[Question]) -> str:
    """Dev ranked by the shipped reranker and by one refitted per fold."""
    model = engine.model
    assert model is not None
    shipped = ranked_by(model, data, engine.prior)
    cv = cross_validated(data, prior=engine.prior)
    return (
        "shipped reranker: "
        + split_metrics([shipped[q.id] for q in questions], questions)
        + "\n      CV reranker: "
        + split_metrics([cv[q.id] for q in questions], questions)
    )


def hybrid_lookup(
    engine: SearchEngine,
    questions: list[Question],
    lookup: dict[str, F32],
    mode: str,
    exact: F32,
) -> str:
    """Hybrid rankings with precomputed question vectors: in place of e5's ("replace") or
    beside them in the "part" slot."""
    from legal_kb.engine import DenseScores

    dense = engine._dense
    assert dense is not None

    def scores(parsed, mask):  # type: ignore[no-untyped-def]
        q = dense.encoder.encode_queries([parsed.text[:200]])[0]
        t = lookup[parsed.text[:200]]
        first = t if mode == "replace" else q
        whole = (exact @ first).astype(np.float32)
        if mode == "replace":
            return DenseScores(whole, whole, first[None], dense.matrix)
        part = (exact @ t).astype(np.float32)
        return DenseScores(whole, part, np.stack([q, t]), dense.matrix)

    engine._dense_scores = scores  # type: ignore[method-assign]
    engine.clear_query_cache()
    try:
        data = samples(engine, questions)
    finally:
        engine.__dict__.pop("_dense_scores", None)
    return both_rerankers(engine, data, questions)


def lay_reranker(
    engine: SearchEngine,
    questions: list[Question],
    lay: list[Question],
    w: F32,
    exact: F32,
) -> str:
    """Rerankers fitted with written questions of articles ``W`` never saw: on them alone
    (dev wholly held out), and with them beside dev's other folds (5-fold on dev)."""
    from train_ranker import FOLDS, fit_samples

    as_part(engine, w, exact)
    engine.clear_query_cache()
    try:
        dev = samples(engine, questions)
        extra = samples(engine, lay)
    finally:
        engine.__dict__.pop("_dense_scores", None)
        engine.clear_query_cache()

    only = ranked_by(fit_samples(extra), dev, engine.prior)
    both: dict[int, list[int]] = {}
    for k in range(FOLDS):
        model = fit_samples(extra + [d for d in dev if d[0].id % FOLDS != k])
        both.update(ranked_by(model, [d for d in dev if d[0].id % FOLDS == k], engine.prior))
    cv = cross_validated(dev, prior=engine.prior)
    return (
        f"dev CV only: {split_metrics([cv[q.id] for q in questions], questions)}\n"
        f"      lay only ({len(lay)}): {split_metrics([only[q.id] for q in questions], questions)}\n"
        f"      lay + dev CV: {split_metrics([both[q.id] for q in questions], questions)}"
    )


def split_metrics(ranked: Sequence[list[int]], questions: Sequence[Question]) -> str:
    nat = [i for i, qq in enumerate(questions) if qq.national]
    itp = [i for i, qq in enumerate(questions) if qq.interpretation]
    a = metrics([ranked[i] for i in nat], [questions[i] for i in nat])
    b = metrics([ranked[i] for i in itp], [questions[i] for i in itp])
    return (
        f"national R@1/5/10/MRR {a['R@1']:.3f}/{a['R@5']:.3f}/{a['R@10']:.3f}/{a['MRR@10']:.3f}"
        f"  interp R@5/MRR {b['R@5']:.3f}/{b['MRR@10']:.3f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_kb_arguments(parser)
    parser.add_argument("--lay", type=Path, default=LAY_FILE)
    parser.add_argument("--tau", type=float, action="append")
    parser.add_argument("--l2", type=float, action="append")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--lrs", type=float, action="append")
    parser.add_argument("--epoch-list", type=int, action="append")
    parser.add_argument("--hybrid", action="store_true", help="also rank dev with the reranker")
    parser.add_argument("--mode", choices=("replace", "part"), default="replace")
    parser.add_argument("--dump", type=Path, help="write the data finetune_query.py reads")
    parser.add_argument("--rerank-lay", type=int, default=0, help="fit rerankers on N written")
    parser.add_argument("--dev-vectors", type=Path, help="rank dev with these question vectors")
    parser.add_argument("--cache", type=Path, default=ROOT / "var" / "adapter-cache")
    parser.add_argument("--out", type=Path, help="write the chosen W here (.npy)")
    args = parser.parse_args()
    opened = open_dev(args, dense=True)
    if opened is None:
        return 1
    engine, questions = opened
    dense = engine._dense
    assert dense is not None
    mask = engine.region_mask
    rows = np.arange(len(engine.docs)) if mask is None else np.flatnonzero(mask)
    passages = dense.matrix.exact[rows].astype(np.float32)
    back = {int(r): i for i, r in enumerate(rows)}
    texts, gold_pos, missing = read_lay(args.lay, engine)
    print(f"{len(texts)} written questions ({missing} rows not mapped); {len(questions)} dev")
    t0 = time.perf_counter()
    lay_q = encode(engine, texts, args.cache)
    dev_q = encode(engine, [q.text for q in questions], args.cache)
    print(f"encoded in {time.perf_counter() - t0:.0f} s")
    gold = np.array([back[g] for g in gold_pos], dtype=np.int64)
    # Settings are chosen on written questions of articles held out of the fit (one article
    # in five, by a hash of its position), never on dev.
    held = np.array([hashlib.sha256(str(g).encode()).digest()[0] % 5 == 0 for g in gold_pos])
    fit_q, fit_gold = lay_q[~held], gold[~held]
    val_q, val_gold = lay_q[held], gold[held]

    def val_r5(w: F32 | None) -> float:
        hits = dense_ranked(val_q, w, passages)
        return float(np.mean([val_gold[i] in h[:5] for i, h in enumerate(hits)]))

    def ranked_positions(w: F32 | None) -> list[list[int]]:
        return [[int(rows[c]) for c in hits] for hits in dense_ranked(dev_q, w, passages)]

    def ranked_positions_of(vecs: F32) -> list[list[int]]:
        return [[int(rows[c]) for c in hits] for hits in dense_ranked(vecs, None, passages)]

    print(
        "identity        ",
        split_metrics(ranked_positions(None), questions),
        f" lay R@5 (held-out articles) {val_r5(None):.3f}, {len(val_q)} of {len(lay_q)}",
    )
    if args.dump is not None:
        from legal_kb.e5model import bundled_model_path

        dev_gold = [sorted(back[g] for g in q.gold if g in back) for q in questions]
        np.savez(
            args.dump,
            passages=passages.astype(np.float16),
            lay_texts=json.dumps(texts, ensure_ascii=False),
            dev_texts=json.dumps([q.text for q in questions], ensure_ascii=False),
            gold=gold,
            held=held,
            dev_gold=json.dumps(dev_gold),
            dev_national=np.array([q.national for q in questions]),
            dev_vectors=dev_q,
            model_path=str(bundled_model_path()),
        )
        print(f"wrote {args.dump}")
        return 0
    if args.dev_vectors is not None:
        tuned = np.load(args.dev_vectors).astype(np.float32)
        print("tuned dense     ", split_metrics(ranked_positions_of(tuned), questions))
        lookup = {q.text[:200]: tuned[i] for i, q in enumerate(questions)}
        exact = dense.matrix.exact.astype(np.float32)
        print("identity hybrid ", hybrid(engine, questions, None))
        for mode in ("replace", "part"):
            print(f"tuned {mode:8}", hybrid_lookup(engine, questions, lookup, mode, exact))
        return 0
    if args.hybrid:
        print("identity hybrid ", hybrid(engine, questions, None))
    for tau in args.tau or [0.02]:
        for lr in args.lrs or [args.lr]:
            for epochs in args.epoch_list or [args.epochs]:
                args.lr, args.epochs = lr, epochs
                for l2 in args.l2 or [0.0]:
                    t0 = time.perf_counter()
                    w = fit(
                        fit_q, fit_gold, passages, tau=tau, l2=l2, epochs=args.epochs, lr=args.lr
                    )
                    lay_r5 = val_r5(w)
                    print(
                        f"tau {tau} lr {lr} ep {epochs} l2 {l2}: ",
                        split_metrics(ranked_positions(w), questions),
                        f" lay R@5 (held-out articles) {lay_r5:.3f}  {time.perf_counter() - t0:.0f} s",
                    )
                    if args.hybrid:
                        exact = (
                            dense.matrix.exact.astype(np.float32) if args.mode == "part" else None
                        )
                        print("  hybrid        ", hybrid(engine, questions, w, args.mode, exact))
                    if args.out is not None:
                        np.save(args.out, w)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
