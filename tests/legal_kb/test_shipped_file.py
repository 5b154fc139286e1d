"""The passage vectors the package ships (``legal_kb/data/vectors-e5-small-q4.npz``) are the
ones a first start will use: made by the bundled e5 weights, for the shipped corpus.

Without this, a corpus re-packed (or an e5 package upgraded) without ``main.py kb
export-vectors`` would leave a file that is silently refused, or that covers only part of the
corpus, and the 15-minute first start (issue 22) would quietly become hours of encoding.
"""

from __future__ import annotations

from legal_kb.dense import E5Encoder, ShippedVectors
from legal_kb.importers import corpus


def test_the_shipped_vectors_fit_the_bundled_model_and_the_shipped_corpus() -> None:
    shipped = ShippedVectors.for_encoder(E5Encoder())
    assert shipped.path.is_file(), f"{shipped.path}: run `main.py kb export-vectors`"
    found = shipped.load()
    assert found is not None, "refused (another model's weights, damaged, or an old format)"
    assert found.corpus == corpus.import_version(corpus.ARCHIVE), (
        "exported for another corpus: run `main.py kb import` and `main.py kb export-vectors`"
    )
    # laws.db and the corpus hold ≈ 62 k articles, ≈ 61.6 k distinct passages (2026-12-07).
    assert len(found.keys) > 60_000
    assert found.vecs.shape == (len(found.keys), E5Encoder.dim)
