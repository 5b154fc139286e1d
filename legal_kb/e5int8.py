"""The int8 query graph of :mod:`legal_kb.e5onnx`: int8 weights, outlier channels kept in float.

Why: the e5 forward pass is two thirds of a search's CPU, and ONNX Runtime's ``MatMulNBits``
(4-bit weights, activations quantized per block of 32) runs at ≈ 10 ms per question where its
u8 × s8 integer GEMM (``DynamicQuantizeMatMul``) needs ≈ 4 ms. That operator quantizes each
activation tensor with one scale, though, and e5's activations have a few channels far larger
than the rest: with one scale the question vectors move to cosine ≈ 0.995 of the exact ones and
STARD recall drops. Here, as in LLM.int8(), each product's :data:`OUTLIERS` largest input
channels are taken out before quantizing (``Mul`` by a 0/1 mask) and multiplied in float
(``Gather`` → ``MatMul`` with those weight rows): cosine ≥ 0.9995 at ≈ 5 ms
(docs/benchmarks.md, "Search latency (issue 22, 2026-12-07)").

Which channels: the largest activation maxima over :data:`CALIBRATION`, questions written for
this (not from any evaluation set), measured on the exact graph when the int8 graph is built
(in the child process :func:`legal_kb.e5onnx.graph_file` starts). Two calibration sets (these
and 300 corpus articles) chose partly different channels and gave the same cosine and recall:
what matters is the one or two huge channels, which every text shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from legal_kb.dense_scan import WEIGHT_MAX
from legal_kb.e5model import E5ModelFile, dequantize

#: Input channels of each matrix product kept in float (16 measured no better than 4).
OUTLIERS = 4

#: Calibration questions: everyday disputes, as users put them (written here, not from STARD).
CALIBRATION = (
    "劳动合同解除后经济补偿怎么计算？",
    "邻居装修把我家墙弄裂了，可以要求赔偿吗",
    "离婚后孩子的抚养费由谁承担",
    "借钱不还，借条过了三年还能起诉吗",
    "How do I get my unpaid wages back?",
    "交通事故对方全责，保险公司不赔怎么办",
    "房东不退押金",
    "公司拖欠工资三个月",
)


def int8_split(
    model: E5ModelFile, names: Sequence[str], rows: int, cols: int, channels: npt.NDArray[np.int64]
) -> tuple[Any, Any, Any]:
    """The matrices (stacked along the output rows) as 7-bit codes ``(K, N)`` with one scale
    per output column, the ``channels`` rows zeroed, and those rows in float ``(len, N)``.

    7-bit, not 8: as in :mod:`legal_kb.dense_scan`, hosts without VNNI saturate u8 × s8 pairs.
    """
    w = np.concatenate([dequantize(model.q4_blocks(n, rows, cols), rows, cols) for n in names])
    kept = np.ascontiguousarray(w[:, channels].T)
    w[:, channels] = 0.0
    scale = np.abs(w).max(axis=1) / WEIGHT_MAX
    scale[scale == 0] = 1.0
    codes = np.clip(np.rint(w / scale[:, None]), -WEIGHT_MAX, WEIGHT_MAX).astype(np.int8)
    return np.ascontiguousarray(codes.T), scale.astype(np.float32), kept


def outlier_channels(model: E5ModelFile, probe_graph: bytes) -> dict[str, npt.NDArray[np.int64]]:
    """Each product's input name → its :data:`OUTLIERS` largest channels over the calibration
    questions, run on ``probe_graph`` (the exact graph with every product's input as an output)."""
    import onnxruntime as ort

    from legal_kb.e5onnx import QUERY_PREFIX

    session = ort.InferenceSession(probe_graph, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()][1:]  # the first is the pooled vector
    peak: dict[str, npt.NDArray[np.float32]] = {}
    for text in CALIBRATION:
        ids = model.token_ids(QUERY_PREFIX + text)
        emb = model.embed([model.bos, *ids, model.eos])[None]
        for name, value in zip(names, session.run(None, {"emb": emb})[1:], strict=True):
            top = np.abs(value[0]).max(axis=0)
            peak[name] = np.maximum(peak[name], top) if name in peak else top
    return {
        name: np.sort(np.argsort(-top)[:OUTLIERS]).astype(np.int64) for name, top in peak.items()
    }


def build_query_graph(model: E5ModelFile) -> bytes:
    """The int8 query graph, its outlier channels measured on the exact graph first."""
    from legal_kb.e5onnx import build_graph

    channels = outlier_channels(model, build_graph(model, probe=True))
    return build_graph(model, outliers=channels)
