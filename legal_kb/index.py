"""The derived search index directory: ``DATA_DIR/kb/index/<content version>/``.

Why a directory per content version: the database is the record of truth and the index is a
cache of it. A new import gives a new version; the old directory keeps serving until the new
one is complete (written under a temporary name, then renamed), so a crash mid-build never
leaves a half index that looks valid, and a restart with an unchanged KB loads in well under a
second instead of re-segmenting 24 k articles.

Contents: ``docs.json`` (the indexed articles' fields and text), ``keyword.npz`` (BM25 postings
for the body and the context field). Dense vectors live in the shared content-addressed cache
(:mod:`legal_kb.dense`), not here, because they survive content versions.
"""

from __future__ import annotations

import fcntl
import json
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import fields
from pathlib import Path

from legal_kb import keyword, segment
from legal_kb.names import short_title
from legal_kb.records import IndexDoc

DOCS_FILE = "docs.json"
KEYWORD_FILE = "keyword.npz"
_HEADING_NO_RE = re.compile(r"^第\S+?[编章节]\s*")


def context_text(doc: IndexDoc) -> str:
    """The words that say where an article sits: law short title, chapter and section titles."""
    parts = [short_title(doc.law)]
    for heading in (doc.chapter, doc.section):
        if heading:
            parts.append(_HEADING_NO_RE.sub("", heading))
    return " ".join(parts)


def index_dir(root: Path, version: str) -> Path:
    return root / "index" / version


def is_built(root: Path, version: str) -> bool:
    directory = index_dir(root, version)
    return (directory / DOCS_FILE).is_file() and (directory / KEYWORD_FILE).is_file()


def build(
    root: Path,
    version: str,
    docs: Sequence[IndexDoc],
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Segment and index ``docs``; returns the finished directory. Older versions are removed.

    Replicas sharing DATA_DIR may start together: a file lock lets one build while the others
    wait, then find the index built.
    """
    final = index_dir(root, version)
    final.parent.mkdir(parents=True, exist_ok=True)
    with (final.parent / ".build.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if is_built(root, version):
            return final
        return _build(final, docs, progress)


def _build(final: Path, docs: Sequence[IndexDoc], progress: Callable[[str], None] | None) -> Path:
    tmp = final.with_name(final.name + ".building")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    if progress is not None:
        progress(f"segmenting {len(docs)} articles")
    segment.add_words(short_title(d.law) for d in docs)
    body = [segment.tokens(d.text) for d in docs]
    ctx = [segment.tokens(context_text(d)) for d in docs]
    keyword.build(tmp / KEYWORD_FILE, {"body": body, "ctx": ctx}, progress)
    columns = [f.name for f in fields(IndexDoc)]
    with (tmp / DOCS_FILE).open("w", encoding="utf-8") as fh:
        json.dump(
            {"columns": columns, "rows": [[getattr(d, c) for c in columns] for d in docs]},
            fh,
            ensure_ascii=False,
        )
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    for other in final.parent.iterdir():
        if other != final and other.is_dir():
            shutil.rmtree(other, ignore_errors=True)
    if progress is not None:
        progress("keyword index ready")
    return final


def load_docs(directory: Path) -> list[IndexDoc]:
    """The indexed articles, in index order."""
    with (directory / DOCS_FILE).open(encoding="utf-8") as fh:
        data = json.load(fh)
    columns = data["columns"]
    return [IndexDoc(**dict(zip(columns, row, strict=True))) for row in data["rows"]]
