"""The dense product over every article: an int8 scan, then exact scores where they matter.

Why: with the corpus the base holds ~62,000 passages; one float32 matrix-vector product
reads 96 MB per question and was a third of a search's CPU time (≈ 8–11 ms, memory-bound).
Here the scan runs on int8 vectors (7-bit codes, one scale per passage) through ONNX Runtime's
``DynamicQuantizeMatMul`` (MLAS integer GEMM: a quarter of the bytes, ≈ 2 ms), and every
score the ranking actually uses — the best ``REFINE`` of the scan, the candidates and their
neighbours — is recomputed exactly from the float16 vectors the index is built from. The
dense top 100 is then the exact one unless one of its articles falls outside the scan's best
``REFINE`` (on real e5 vectors the 7-bit scan errs by ≤ 0.0031 and rank 100 and rank 1,000 are
≥ 0.0052 apart). Two reranker features (the best similarity in the candidate's law and chapter)
read every row, so a row outside the refined best counts with its scan score there, and the
written questions' evidence is a scan too: measured on the 308 STARD dev questions, 305 top 10s
in the same order as with every score exact, 293 with identical scores (docs/benchmarks.md). Memory for 62,000 passages: the float16 vectors (48 MB) and the scan's
int8 weights in ONNX Runtime (≈ 33 MB) instead of a float32 matrix (96 MB).
"""

from __future__ import annotations

import ctypes
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

#: Scan results rescored exactly: ten times the depth the ranking takes from the dense list (real
#: e5 scores are close together: rank 100 and rank 300 can be 0.0006 apart, under the scan's
#: error; measured with `benchmarks/kb/scan_error.py`, see docs/benchmarks.md).
REFINE = 1000
_BLOCK = 4096
#: Weights use 7 bits (±63), not 8: the operator quantizes the question to uint8, and on x86
#: CPUs without VNNI (AVX2 only: the AMD EPYC hosts here) MLAS multiplies u8 × s8 pairs with
#: ``vpmaddubsw``, whose int16 sums saturate above 32,767 (2 × 255 × 127 does; 2 × 255 × 63
#: does not). With 8-bit weights a scan score erred by 0.067 on such a host and by ≤ 0.003
#: on a VNNI one; ONNX Runtime's own quantizer offers ``reduce_range`` for the same reason.
WEIGHT_MAX = 63.0


class DenseMatrix:
    """Passage vectors (rows in index order) for the question-passage similarity."""

    def __init__(self, matrix: npt.NDArray[np.generic], refine: int = REFINE) -> None:
        self.exact: npt.NDArray[np.float16] = np.ascontiguousarray(matrix, dtype=np.float16)
        #: How many of the scan's best scores are recomputed exactly (all rows: no scan error).
        self.refine_depth = refine
        self.rows, self.dim = self.exact.shape
        self._session = _scan_session(self.exact) if self.rows else None
        return_freed_memory()

    def scan(self, vec: FloatArray) -> FloatArray:
        """Approximate similarity of every passage to ``vec`` (int8, |error| ≲ 0.003)."""
        if self._session is None:
            return np.zeros(0, dtype=np.float32)
        query = np.asarray(vec, dtype=np.float32).reshape(1, self.dim)
        out = self._session.run(None, {"q": query})[0]
        scores: FloatArray = np.ascontiguousarray(out[0], dtype=np.float32)
        return scores

    def refine(self, vec: FloatArray, scores: FloatArray, rows: IntArray) -> None:
        """Replace ``scores[rows]`` by the exact similarities (in place)."""
        if len(rows):
            exact = self.exact[rows].astype(np.float32) @ np.asarray(vec, dtype=np.float32)
            scores[rows] = exact

    def similarities(self, vec: FloatArray, mask: npt.NDArray[np.bool_] | None) -> FloatArray:
        """Scores of every passage: the scan's, exact for its best ``refine_depth`` (allowed by
        ``mask``)."""
        scores = self.scan(vec)
        if len(scores):
            pool = scores if mask is None else np.where(mask, scores, -np.inf)
            n = min(self.refine_depth, len(pool))
            best = np.argpartition(-pool, n - 1)[:n]
            self.refine(vec, scores, best.astype(np.int64))
        return scores


def int8_scan(matrix: npt.NDArray[np.float16]) -> Callable[[FloatArray], FloatArray]:
    """``vec ↦`` approximate similarity of every row of ``matrix`` to ``vec``, keeping only the
    int8 scan (no float16 copy: for evidence where the scan's error does not matter)."""
    dim = matrix.shape[1]
    session = _scan_session(matrix)
    return_freed_memory()

    def scan(vec: FloatArray) -> FloatArray:
        query = np.asarray(vec, dtype=np.float32).reshape(1, dim)
        out: FloatArray = np.ascontiguousarray(session.run(None, {"q": query})[0][0])
        return out

    return scan


def _scan_session(matrix: npt.NDArray[np.float16]) -> Any:
    """An ONNX Runtime session computing ``q · Bᵀ`` with B as int8 and one scale per row."""
    import onnxruntime as ort

    from legal_kb import onnx_wire as wire

    rows, dim = matrix.shape
    # Quantized in blocks of rows, straight into the transposed layout the operator takes:
    # no float32 copy of the whole matrix (96 MB at 62,000 rows) at any time.
    scale = np.empty(rows, dtype=np.float32)
    quantized_t = np.empty((dim, rows), dtype=np.int8)
    for start in range(0, rows, _BLOCK):
        block = matrix[start : start + _BLOCK].astype(np.float32)
        top = np.abs(block).max(axis=1) / WEIGHT_MAX
        top[top == 0] = 1.0
        scale[start : start + _BLOCK] = top
        codes = np.clip(np.rint(block / top[:, None]), -WEIGHT_MAX, WEIGHT_MAX)
        quantized_t[:, start : start + _BLOCK] = codes.T
    # Written without the ``onnx`` package (its modules would stay in the search process:
    # ≈ 13 MB of RSS; legal_kb.onnx_wire).
    model = wire.model(
        [wire.node("DynamicQuantizeMatMul", ["q", "b", "scale", "zero"], ["y"], "com.microsoft")],
        "dense_scan",
        [wire.value_info("q", wire.FLOAT, [1, dim])],
        [wire.value_info("y", wire.FLOAT, [1, rows])],
        [
            wire.tensor("b", quantized_t),
            wire.tensor("scale", scale),
            wire.tensor("zero", np.zeros(rows, dtype=np.int8)),
        ],
        [("", 17), ("com.microsoft", 1)],
    )
    del quantized_t
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    # Loaded from a file, not from bytes: a session made from bytes keeps them referenced for
    # its lifetime (onnxruntime's Python wrapper), another copy of the int8 matrix.
    with tempfile.TemporaryDirectory(prefix="kb-dense-scan-") as tmp:
        path = Path(tmp) / "scan.onnx"
        with path.open("wb") as fh:
            fh.writelines(model)
        del model
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def return_freed_memory() -> None:
    """Give the build's transient copies (the int8 matrix, the graph, ORT's loading buffers)
    back to the system: glibc keeps freed heap memory of that size in the process, where it
    counts as the search's RSS for good. Measured building 62,308 rows alone: 125 MB over the
    float16 vectors without this, 33 MB with it. No-op off glibc."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    trim = getattr(libc, "malloc_trim", None)
    if trim is not None:
        trim(0)
