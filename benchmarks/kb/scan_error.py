"""The int8 dense scan's error on real e5 vectors (a sample: the full index takes ≈ 47 min).

Usage::

    nice -n 19 .venv/bin/python benchmarks/kb/scan_error.py --data-dir DIR \\
        --database-url sqlite+aiosqlite:///DIR/mediation.db --sample 1000

Encodes every n-th article of the index (``--sample`` of them, across all kinds) with the
shipped e5 encoder, and the 308 STARD dev questions; prints the scan's absolute error against
the exact product (max, 99.9th percentile) and the score gap between rank 100 and rank
``REFINE`` (ranks of the whole index, read off the evenly spread sample) — the margin the exact
rescoring of the scan's best ``REFINE`` has (:mod:`legal_kb.dense_scan`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks.kb.stard import DEV  # noqa: E402
from legal_kb.batch import open_engine  # noqa: E402
from legal_kb.dense import E5Encoder  # noqa: E402
from legal_kb.dense_scan import REFINE, DenseMatrix  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--sample", type=int, default=1000)
    args = parser.parse_args(argv)
    engine = open_engine(args.database_url, args.data_dir, dense=False)
    if engine is None:
        print("the knowledge base is empty")
        return 1
    passages = engine.passages()
    step = max(1, len(passages) // args.sample)
    picked = passages[::step][: args.sample]
    encoder = E5Encoder()
    vectors = encoder.encode_passages(picked).astype(np.float16)
    questions = [json.loads(line)["question"] for line in DEV.read_text("utf-8").splitlines()]
    queries = encoder.encode_queries(questions)
    dense = DenseMatrix(vectors)
    exact_matrix = vectors.astype(np.float32)
    errors, gaps = [], []
    # Rank 100 and rank REFINE of the whole index fall at these ranks of an evenly spread sample.
    r100 = max(1, round(100 * len(picked) / len(passages)))
    r300 = max(r100 + 1, round(REFINE * len(picked) / len(passages)))
    for vec in queries:
        exact = exact_matrix @ vec
        errors.append(np.abs(dense.scan(vec) - exact))
        ordered = np.sort(exact)[::-1]
        gaps.append(float(ordered[r100 - 1] - ordered[r300 - 1]))
    err = np.concatenate(errors)
    print(
        json.dumps(
            {
                "passages": len(picked),
                "of": len(passages),
                "questions": len(questions),
                "refine": REFINE,
                "scan_abs_error_max": round(float(err.max()), 5),
                "scan_abs_error_p999": round(float(np.quantile(err, 0.999)), 5),
                "score_gap_rank100_rank_refine_min": round(min(gaps), 5),
                "score_gap_rank100_rank_refine_median": round(float(np.median(gaps)), 5),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
