"""Importing statute documents (.txt, .md, .docx, .html) with their metadata.

The metadata (name, kind, issuing body, dates, status) comes from a TOML file: ``--meta
law.toml``, or a sidecar next to the document with the same stem (``解释一.docx`` +
``解释一.toml``); command-line values override both. Why a sidecar rather than guessing from
the text: the title line of a document does not say its status or effective date, and a wrong
status would make the citation check lie.

Example ``law.toml``::

    name = "最高人民法院关于审理民间借贷案件适用法律若干问题的规定"
    kind = "司法解释"            # 司法解释, 行政法规, 地方性法规, 部门规章, 法律 …
    issuing_body = "最高人民法院"
    publish_date = 2020-12-29
    effective_date = 2021-01-01
    status = "现行有效"          # 现行有效, 已被修改, 已废止, 历史版本, 尚未生效
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Mapping
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from legal_kb.importers import ImportFormatError
from legal_kb.importers.structure import Line, split_articles
from legal_kb.models import (
    STATUS_AMENDED,
    STATUS_HISTORICAL,
    STATUS_IN_FORCE,
    STATUS_NOT_YET,
    STATUS_REPEALED,
)
from legal_kb.records import ArticleInput, LawRecord

SUFFIXES = (".txt", ".md", ".docx", ".html", ".htm")
KINDS = frozenset(
    {
        "宪法",
        "法律",
        "立法解释",
        "司法解释",
        "行政法规",
        "地方性法规",
        "部门规章",
        "监察法规",
        "其他",
    }
)
STATUSES = frozenset(
    {STATUS_IN_FORCE, STATUS_AMENDED, STATUS_REPEALED, STATUS_HISTORICAL, STATUS_NOT_YET}
)
_META_FIELDS = frozenset(
    {
        "key",
        "name",
        "kind",
        "issuing_body",
        "publish_date",
        "effective_date",
        "version_date",
        "status",
    }
)
_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "pre"}
)


class _HtmlLines(HTMLParser):
    """Text of an HTML document as lines, each with the source line where it starts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[Line] = []
        self._buf: list[str] = []
        self._start = 1
        self._skip = 0

    def _break(self) -> None:
        text = "".join(self._buf).strip()
        if text:
            self.lines.append((self._start, text))
        self._buf = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head"):
            self._skip += 1
        if tag in _BLOCK_TAGS:
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self._skip = max(0, self._skip - 1)
        if tag in _BLOCK_TAGS:
            self._break()

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if not "".join(self._buf).strip():
            self._start = self.getpos()[0]
        # A newline inside a text node is only layout; Chinese text has no spaces to keep.
        self._buf.append("".join(part.strip() for part in data.split("\n")))

    def finish(self) -> list[Line]:
        """Close the parser and return the lines."""
        self.close()
        self._break()
        return self.lines


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFormatError(path, None, "not UTF-8 or GB18030 text")


def read_lines(path: Path) -> list[Line]:
    """The document's text as ``(line number, text)``; for .docx the number is the paragraph's."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ImportFormatError(
            path, None, f"unsupported file type {suffix!r} (use {', '.join(SUFFIXES)})"
        )
    if not path.is_file():
        raise ImportFormatError(path, None, "file not found")
    if suffix == ".docx":
        try:
            import docx
        except ImportError as exc:  # pragma: no cover - python-docx is a dependency
            raise ImportFormatError(path, None, "python-docx is needed for .docx") from exc
        try:
            document = docx.Document(str(path))
        except Exception as exc:
            raise ImportFormatError(path, None, f"not a readable .docx file: {exc}") from exc
        return [(i, p.text) for i, p in enumerate(document.paragraphs, start=1)]
    text = _read_text(path)
    if suffix in (".html", ".htm"):
        parser = _HtmlLines()
        parser.feed(text)
        return parser.finish()
    lines = text.splitlines()
    if suffix == ".md":
        return [(i, _strip_markdown(line)) for i, line in enumerate(lines, start=1)]
    return list(enumerate(lines, start=1))


def _strip_markdown(line: str) -> str:
    s = line.strip().lstrip("#>").strip()
    for mark in ("**", "__"):
        s = s.replace(mark, "")
    if s.startswith(("- ", "* ", "+ ")):
        s = s[2:]
    return s


def _as_date(value: Any, path: Path, field_name: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ImportFormatError(
            path, None, f"{field_name}: not a date (YYYY-MM-DD): {value!r}"
        ) from exc


def load_meta(path: Path) -> dict[str, Any]:
    """Read a metadata TOML file; unknown keys are an error (a typo must not pass silently)."""
    try:
        data = tomllib.loads(_read_text(path))
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        raise ImportFormatError(path, line, f"invalid TOML: {exc}") from exc
    unknown = set(data) - _META_FIELDS
    if unknown:
        raise ImportFormatError(path, None, f"unknown metadata keys: {', '.join(sorted(unknown))}")
    return data


def law_record(path: Path, meta: Mapping[str, Any], meta_path: Path | None) -> LawRecord:
    """Validated law metadata for the document at ``path``."""
    where = meta_path or path
    name = str(meta.get("name") or "").strip()
    if not name:
        raise ImportFormatError(
            where, None, "metadata lacks 'name' (give --meta, a sidecar .toml or --name)"
        )
    kind = str(meta.get("kind") or "").strip()
    if kind not in KINDS:
        raise ImportFormatError(
            where, None, f"kind must be one of {', '.join(sorted(KINDS))}, not {kind!r}"
        )
    status = str(meta.get("status") or STATUS_IN_FORCE)
    if status not in STATUSES:
        raise ImportFormatError(
            where, None, f"status must be one of {', '.join(sorted(STATUSES))}, not {status!r}"
        )
    version = _as_date(meta.get("version_date"), where, "version_date")
    published = _as_date(meta.get("publish_date"), where, "publish_date")
    effective = _as_date(meta.get("effective_date"), where, "effective_date")
    stamp = version or published or effective
    default_key = "doc:" + hashlib.sha1(f"{name}|{stamp}".encode()).hexdigest()[:16]
    return LawRecord(
        key=str(meta.get("key") or default_key),
        name=name,
        kind=kind,
        status=status,
        source=path.name,
        issuing_body=str(meta["issuing_body"]) if meta.get("issuing_body") else None,
        department=None,
        publish_date=published,
        effective_date=effective,
        version_date=version or published,
    )


def read_document(
    path: Path, meta_path: Path | None = None, overrides: Mapping[str, Any] | None = None
) -> tuple[LawRecord, list[ArticleInput]]:
    """One document: its metadata (meta file or sidecar, then overrides) and its articles."""
    meta: dict[str, Any] = {}
    sidecar = path.with_suffix(".toml")
    chosen = meta_path or (sidecar if sidecar.is_file() else None)
    if chosen is not None:
        meta.update(load_meta(chosen))
    meta.update({k: v for k, v in (overrides or {}).items() if v is not None})
    law = law_record(path, meta, chosen)
    articles = split_articles(read_lines(path), path)
    return law, articles
