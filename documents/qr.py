"""The verify QR code: segno's symbol, with its data mask chosen ~5x faster.

Why: every new document has its own verify URL, so its QR is made once per document, on the
path of the first render. segno picks the data mask the way ISO/IEC 18004 asks (apply each of
the 8 masks, score the penalties N1-N4, keep the lowest) in pure Python: ~6 ms of CPU for a
version-5 code, most of a document's HTML build. Here the same scores are computed with numpy
on all 8 masks at once and the symbol is finished with segno's own writers, so the result is
the symbol segno would have made (tests/documents compares both on hundreds of URLs).

Uses segno's matrix helpers (``segno.encoder``) to know which modules are data; if a segno
release changes them, :func:`qr_matrix` falls back to segno's own choice rather than guess.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import segno

__all__ = ["choose_mask", "qr_matrix"]

_N3_PATTERN = bytes((1, 0, 1, 1, 1, 0, 1))


def _encoder() -> Any:
    """segno's (untyped, not public) matrix module."""
    return importlib.import_module("segno.encoder")


@functools.lru_cache(maxsize=64)
def _layout(width: int) -> tuple[Any, Any, Any]:
    """(data-region mask, values outside it at evaluation time, the 8 mask patterns)."""
    encoder = _encoder()
    function = encoder.make_matrix(width, width)
    encoder.add_finder_patterns(function, width, width)
    encoder.add_alignment_patterns(function, width, width)
    function[-8][8] = 0x1  # the dark module is not data (as segno marks it)
    grid = np.array([list(row) for row in function], dtype=np.uint8)
    data_region = grid > 0x1
    outside = np.where(data_region, 0, grid).astype(np.uint8)
    outside[-8, 8] = 0  # reserved (0) while masks are scored; set with the format info later
    patterns = np.array(
        [
            [[1 if fn(i, j) else 0 for j in range(width)] for i in range(width)]
            for fn in encoder.get_data_mask_functions(False)
        ],
        dtype=np.uint8,
    )
    return data_region, outside, patterns


def _n3_line(seq: bytes, size: int) -> int:
    """segno's N3 count for one line, step for step (including where it resumes searching)."""
    count = 0
    idx = seq.find(_N3_PATTERN)
    while idx != -1:
        offset = idx + 7
        if (
            idx in (0, size - 7)
            or not any(seq[max(idx - 4, 0) : min(idx, size)])
            or not any(seq[max(offset, 0) : min(offset + 4, size)])
        ):
            count += 40
        else:
            offset = idx + 4
        idx = seq.find(_N3_PATTERN, offset)
    return count


def _scores(candidates: Any) -> list[int]:
    """Penalty N1 + N2 + N3 + N4 of each candidate matrix (shape: masks × width × width)."""
    masks, width, _ = candidates.shape
    lines = np.concatenate((candidates, candidates.transpose(0, 2, 1)), axis=1)
    # N1: runs of five or more along rows and columns.
    change = np.ones((masks, 2 * width, width + 1), dtype=bool)
    change[..., 1:width] = lines[..., 1:] != lines[..., :-1]
    n1 = []
    for mask in range(masks):
        starts = np.flatnonzero(change[mask].ravel())
        lengths = np.diff(starts)
        # A line's last run ends at slot `width`; the step from there to the next line's start
        # (length 1) is not a run.
        real = (starts[:-1] % (width + 1)) != width
        lengths = lengths[real]
        long_runs = lengths[lengths >= 5]
        n1.append(int(long_runs.sum()) - 2 * len(long_runs))
    # N2: 2×2 blocks of one colour, 3 each.
    block = (
        (candidates[:, 1:, 1:] == candidates[:, 1:, :-1])
        & (candidates[:, 1:, 1:] == candidates[:, :-1, 1:])
        & (candidates[:, 1:, 1:] == candidates[:, :-1, :-1])
    )
    n2 = (3 * block.sum(axis=(1, 2))).tolist()
    # N3: 1:1:3:1:1 finder-like patterns; numpy finds the lines that hold one at all.
    hit = np.ones((masks, 2 * width, width - 6), dtype=bool)
    for k, bit in enumerate(_N3_PATTERN):
        hit &= lines[..., k : width - 6 + k] == bit
    n3 = [0] * masks
    for mask, line in zip(*np.nonzero(hit.any(axis=2)), strict=True):
        n3[mask] += _n3_line(lines[mask, line].tobytes(), width)
    # N4: distance of the dark proportion from 50 %, in steps of 5 %.
    dark = candidates.sum(axis=(1, 2))
    n4 = [10 * int(abs(float(d) / (width**2) * 100 - 50) / 5) for d in dark.tolist()]
    return [a + b + c + d for a, b, c, d in zip(n1, n2, n3, n4, strict=True)]


def _candidates(matrix0: Sequence[bytes | bytearray]) -> Any:
    """The 8 masked matrices as segno scores them, from the final matrix with mask 0."""
    width = len(matrix0)
    data_region, outside, patterns = _layout(width)
    final = np.frombuffer(b"".join(matrix0), dtype=np.uint8).reshape(width, width)
    unmasked = final ^ (patterns[0] & data_region)
    return np.where(data_region, unmasked[None] ^ patterns, outside[None]).astype(np.uint8)


def choose_mask(matrix0: Sequence[bytes | bytearray]) -> int:
    """The mask segno would choose, from the final matrix of the same symbol with mask 0."""
    scores = _scores(_candidates(matrix0))
    return scores.index(min(scores))  # the first lowest, as segno keeps it


def qr_matrix(data: str) -> list[bytes]:
    """The module matrix of ``segno.make(data, error="m", micro=False)`` (1 = dark).

    segno encodes once with mask 0; the mask is scored here and the symbol finished with
    segno's own format- and version-information writers.
    """
    first = segno.make(data, error="m", micro=False, mask=0)
    try:
        candidates = _candidates(first.matrix)
        scores = _scores(candidates)
        mask = scores.index(min(scores))
        if mask == 0:
            return [bytes(row) for row in first.matrix]
        rows = [bytearray(row.tobytes()) for row in candidates[mask]]
        encoder = _encoder()
        level = encoder.consts.ERROR_MAPPING[first.error]  # segno may boost M to Q or H
        encoder.add_format_info(rows, first.version, level, mask)
        encoder.add_version_info(rows, first.version)
        return [bytes(row) for row in rows]
    except (AttributeError, KeyError, TypeError, ValueError, IndexError):  # segno changed
        return [bytes(row) for row in segno.make(data, error="m", micro=False).matrix]
