"""Opening a search engine synchronously, for the CLI and benchmarks (one load per process).

Why not the async service: a batch run wants every index built *before* the first question
(so that timings and results are those of the finished system), with progress on stderr, and
then plain synchronous calls. The database is read once through a short-lived event loop.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from legal_kb import index, lay, store
from legal_kb.dense import E5Encoder, Encoder, ShippedVectors, VectorCache, build_matrix
from legal_kb.engine import RankParams, SearchEngine
from legal_kb.records import IndexDoc
from storage.db import Database

Progress = Callable[[str], None]


async def _version_and_docs(
    database_url: str, need_docs: bool
) -> tuple[str | None, list[IndexDoc]]:
    db = Database(database_url)
    try:
        async with db.read() as session:
            version = await store.get_content_version(session)
            docs = await store.index_docs(session) if need_docs and version else []
        return version, docs
    finally:
        await db.dispose()


def open_engine(
    database_url: str,
    data_dir: Path,
    *,
    dense: bool = True,
    encoder: Encoder | None = None,
    progress: Progress | None = None,
    params: RankParams | None = None,
    regions: Sequence[str] = (),
    lay_questions: bool = True,
) -> SearchEngine | None:
    """The engine for the KB's current content, building missing indexes first.

    ``None`` when nothing has been imported. With ``dense``, the dense index is built (or
    loaded from the vector cache) and attached before returning, with the written lay
    questions' evidence unless ``lay_questions`` is off (a benchmark's comparison).
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    say = progress or (lambda _message: None)
    root = data_dir / "kb"
    version, _ = asyncio.run(_version_and_docs(database_url, need_docs=False))
    if version is None:
        return None
    if not index.is_built(root, version):
        _, docs = asyncio.run(_version_and_docs(database_url, need_docs=True))
        index.build(root, version, docs, say)
    engine = SearchEngine(index.index_dir(root, version), params or RankParams())
    engine.set_regions(regions)
    if dense:
        enc = encoder or E5Encoder(cache_dir=root / "models")

        def report(done: int, total: int) -> None:
            if total:
                say(f"dense index: {done}/{total} articles encoded")

        cache = VectorCache(root / "dense" / enc.model_id, ShippedVectors.for_encoder(enc))
        matrix = build_matrix(engine.passages(), enc, cache, progress=report)
        if matrix is not None:
            questions = VectorCache(root / "dense" / lay.cache_name(enc.model_id))
            evidence = lay.build(engine.docs, enc, questions) if lay_questions else None
            engine.attach_dense(enc, matrix, lay=evidence)
    return engine
