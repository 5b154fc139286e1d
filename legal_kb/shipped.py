"""Precomputed passage vectors shipped with the package: int8 codes around the corpus mean.

Why: on a first start over the whole corpus (~62,000 passages) the encoder would run for
≈ 47 CPU-minutes (twice that on one core); the target is the dense index within 15 minutes on
one core, so the vectors ship with the product. As float16 they are 48 MB, too heavy for the
repository. e5's passage vectors share one large common direction (their mean has norm ≈ 0.93),
so each is stored as the corpus mean plus its residual, and only the residual is quantized:
int8 with one scale per vector. That is a quarter of float32 (≈ 24 MB before compression,
≈ 22 MB in the file, whose members are LZMA-compressed; numpy reads them), and its
dot-product error (std ≈ 0.00014) is half that of quantizing the vectors themselves and below
the gap between the two e5 runtimes (cosine ≥ 0.9999). Ranking quality with these vectors
against the float16 cache: docs/benchmarks.md.

What is checked on load; each refusal is logged, and the passages are then encoded as if
there were no file:

- the file's own SHA-256 over its arrays (a damaged, truncated or edited file);
- the model: its id and the SHA-256 of the weights file the vectors were made with;
- every vector's key is the content address of (model id, passage text)
  (:func:`legal_kb.dense.cache_key`), so a vector is only ever used for the very passage it was
  computed from. A file exported for another corpus version is therefore not thrown away: the
  passages whose text did not change keep their vectors, the others are encoded, and the log
  names both corpus versions and how many passages the file covers.
"""

from __future__ import annotations

import hashlib
import json
import logging
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

#: Version of the file's layout (1 was float16 vectors and hex keys, never shipped).
FORMAT = 2
#: Code width: residuals are rounded to ``±(2**(BITS-1) - 1)`` steps of the vector's scale.
BITS = 8
_KEY_BYTES = 20  # a SHA-1 digest (:func:`legal_kb.dense.cache_key`)
_BLOCK = 4096

F16Matrix = npt.NDArray[np.float16]


@dataclass(frozen=True)
class Vectors:
    """Vectors read from a shipped file, with what the file says it was made from."""

    keys: list[str]
    vecs: F16Matrix
    corpus: str


def _digest(arrays: dict[str, npt.NDArray[Any]]) -> str:
    digest = hashlib.sha256()
    for name in sorted(arrays):
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(arrays[name]).tobytes())
    return digest.hexdigest()


def quantize(
    vecs: npt.NDArray[np.generic], bits: int = BITS
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int8], npt.NDArray[np.float32]]:
    """``(mean, codes, scale)`` with ``vecs ≈ mean + codes * scale[:, None]``; codes are
    stored transposed, ``(dim, rows)``: one dimension's codes together compress better."""
    top = 2 ** (bits - 1) - 1
    rows, dim = vecs.shape
    mean = vecs.astype(np.float32).mean(axis=0) if rows else np.zeros(dim, dtype=np.float32)
    scale = np.empty(rows, dtype=np.float32)
    codes_t = np.empty((dim, rows), dtype=np.int8)
    for start in range(0, rows, _BLOCK):
        residual = vecs[start : start + _BLOCK].astype(np.float32) - mean
        step = np.abs(residual).max(axis=1) / top
        step[step == 0] = 1.0
        scale[start : start + _BLOCK] = step
        codes_t[:, start : start + _BLOCK] = np.clip(np.rint(residual / step[:, None]), -top, top).T
    return mean, codes_t, scale


def dequantize(
    mean: npt.NDArray[np.float32], codes_t: npt.NDArray[np.int8], scale: npt.NDArray[np.float32]
) -> F16Matrix:
    """The float16 vectors back, in blocks (no float32 copy of the whole matrix)."""
    dim, rows = codes_t.shape
    out = np.empty((rows, dim), dtype=np.float16)
    for start in range(0, rows, _BLOCK):
        block = codes_t[:, start : start + _BLOCK].T.astype(np.float32)
        out[start : start + _BLOCK] = block * scale[start : start + _BLOCK, None] + mean
    return out


def write(
    out: Path,
    keys: Sequence[str],
    vecs: npt.NDArray[np.generic],
    *,
    model_id: str,
    model_sha256: str,
    corpus: str,
    bits: int = BITS,
) -> None:
    """Write ``vecs`` (rows keyed by ``keys``, hex SHA-1 content addresses) atomically."""
    dim = vecs.shape[1] if vecs.ndim == 2 else 0
    key_bytes = b"".join(bytes.fromhex(k) for k in keys)
    arrays: dict[str, npt.NDArray[Any]] = {
        "keys": np.frombuffer(key_bytes, dtype=np.uint8).reshape(len(keys), _KEY_BYTES),
    }
    arrays["mean"], arrays["codes"], arrays["scale"] = quantize(
        np.asarray(vecs).reshape(len(keys), dim), bits
    )
    manifest = {
        "format": FORMAT,
        "model_id": model_id,
        "model_sha256": model_sha256,
        "corpus": corpus,
        "count": len(keys),
        "dim": dim,
        "bits": bits,
        "sha256": _digest(arrays),
    }
    arrays["manifest"] = np.array(json.dumps(manifest, ensure_ascii=False))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    # LZMA members: numpy's loader reads any member zipfile can; its own writer only deflates.
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_LZMA) as archive:
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w") as fh:
                np.lib.format.write_array(fh, array, allow_pickle=False)
    tmp.replace(out)


def read(path: Path, model_id: str, model_sha256: Callable[[], str]) -> Vectors | None:
    """The vectors in ``path`` when they are intact and made by this very model, else ``None``
    (logged). ``model_sha256`` is called only when there is a file to check."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            manifest = json.loads(str(data["manifest"]))
            if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
                log.warning("shipped vectors %s refused: not format %d", path, FORMAT)
                return None
            arrays = {name: np.asarray(data[name]) for name in ("keys", "mean", "codes", "scale")}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        log.warning("shipped vectors %s refused: unreadable (%s); passages are encoded", path, exc)
        return None
    rows = len(arrays["keys"])
    shapes_ok = arrays["codes"].shape[1:] == (rows,) and arrays["scale"].shape == (rows,)
    if manifest.get("sha256") != _digest(arrays) or not shapes_ok:
        log.warning("shipped vectors %s refused: checksum mismatch (damaged file)", path)
        return None
    weights = model_sha256()
    if manifest.get("model_id") != model_id or manifest.get("model_sha256") != weights:
        log.warning(
            "shipped vectors %s refused: made by model %s (weights %.12s), this is %s (%.12s); "
            "passages are encoded",
            path,
            manifest.get("model_id"),
            manifest.get("model_sha256"),
            model_id,
            weights,
        )
        return None
    keys = [row.tobytes().hex() for row in arrays["keys"]]
    vecs = dequantize(arrays["mean"], arrays["codes"], arrays["scale"])
    return Vectors(keys, vecs, str(manifest.get("corpus", "")))
