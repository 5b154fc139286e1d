"""Splitting a statute's text into articles along its 编/章/节/第X条 structure.

Why strict: a document whose numbering jumps backwards or repeats is almost always a
conversion error (a page lost, a table of contents read as text) and importing it would put
wrong text behind a correct-looking citation. Such files are refused with the line to look at.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from legal_kb.importers import ImportFormatError
from legal_kb.numerals import NUMBER_CHARS, cn_to_int, format_article_no
from legal_kb.records import ArticleInput

_NUM = f"[{NUMBER_CHARS}]+"
_ARTICLE_RE = re.compile(rf"^第\s*({_NUM})\s*条(?:\s*之\s*({_NUM}))?([\s　:：]*)(.*)$")
_CHAPTER_RE = re.compile(rf"^第\s*{_NUM}\s*章(?:[\s　]+.*|$)")
_SECTION_RE = re.compile(rf"^第\s*{_NUM}\s*节(?:[\s　]+.*|$)")
_PART_RE = re.compile(rf"^第\s*{_NUM}\s*(?:分)?编(?:[\s　]+.*|$)")
_TOC_RE = re.compile(r"^目\s*录$")

Line = tuple[int, str]


def _heading(text: str) -> str:
    """第一章　总则 → 第一章 总则 (one plain space, as laws.db writes headings)."""
    return re.sub(r"[\s　]+", " ", text).strip()


def _is_next(last: tuple[int, int] | None, key: tuple[int, int]) -> bool:
    """Whether ``key`` is the article expected right after ``last``."""
    if last is None:
        return key == (1, 0)
    return key in ((last[0] + 1, 0), (last[0], last[1] + 1))


@dataclass
class _Open:
    """The article being read: its header and the paragraphs seen so far."""

    no: str
    number: int
    suffix: int
    chapter: str | None
    section: str | None
    line: int
    paragraphs: list[str] = field(default_factory=list)

    def close(self, path: Path) -> ArticleInput:
        text = "\n".join(self.paragraphs).strip()
        if not text:
            raise ImportFormatError(path, self.line, f"{self.no} has no text")
        return ArticleInput(
            article_no=self.no,
            number=self.number,
            suffix=self.suffix,
            text=text,
            chapter=self.chapter,
            section=self.section,
            line=self.line,
        )


def split_articles(lines: Sequence[Line], path: Path) -> list[ArticleInput]:
    """Articles of a document given as ``(line number, text)``; raises on a malformed file."""
    articles: list[ArticleInput] = []
    chapter: str | None = None
    section: str | None = None
    current: _Open | None = None
    last_key: tuple[int, int] | None = None

    for lineno, raw in lines:
        text = raw.replace("\u3000", " ").strip()
        if not text or _TOC_RE.match(text) or _PART_RE.match(text):
            continue
        if _CHAPTER_RE.match(text) or _SECTION_RE.match(text):
            if current is not None:
                articles.append(current.close(path))
                current = None
            if _CHAPTER_RE.match(text):
                chapter, section = _heading(text), None
            else:
                section = _heading(text)
            continue
        match = _ARTICLE_RE.match(text)
        if match is None:
            # Text before the first article (title, preamble) is not part of any article.
            if current is not None:
                current.paragraphs.append(text)
            continue
        number = cn_to_int(match.group(1))
        suffix = cn_to_int(match.group(2)) if match.group(2) else 0
        if number is None or suffix is None or number == 0:
            raise ImportFormatError(
                path, lineno, f"cannot read the article number in {text[:20]!r}"
            )
        key = (number, suffix)
        if not match.group(3) and match.group(4) and not _is_next(last_key, key):
            # "第五条规定的…" at the start of a paragraph: a reference, not a new article.
            if current is not None:
                current.paragraphs.append(text)
            continue
        if last_key is not None and key <= last_key:
            raise ImportFormatError(
                path,
                lineno,
                f"{format_article_no(number, suffix)} comes after "
                f"{format_article_no(*last_key)}: numbering must increase",
            )
        if current is not None:
            articles.append(current.close(path))
        last_key = key
        current = _Open(format_article_no(number, suffix), number, suffix, chapter, section, lineno)
        if match.group(4).strip():
            current.paragraphs.append(match.group(4).strip())
    if current is not None:
        articles.append(current.close(path))
    if not articles:
        raise ImportFormatError(path, None, "no article (第X条) found")
    return articles
