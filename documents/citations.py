"""Statute references, the statute source and citation checking.

Statute text is never typed into this package: templates name articles by reference
(:class:`LawRef`) and, where a document quotes an article, its text comes from a
:class:`StatuteSource` (the ``legal_kb`` package in the service, a laws.db reader in tests).
Before a PDF is produced the rendered text goes through a :class:`CitationChecker`, so a
document never prints a citation nobody could verify.

:class:`StatuteCitationChecker` is the checker used when the caller has no better one: it finds
``《法名》第X条`` patterns and asks the statute source for each article.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

__all__ = [
    "CitationChecker",
    "CitationProblem",
    "FoundCitation",
    "LawRef",
    "StatuteCitationChecker",
    "StatuteSource",
    "article_no_from_int",
    "find_citations",
    "format_refs",
]


@runtime_checkable
class StatuteSource(Protocol):
    """Supplies the current text of one article, or ``None`` when the base does not hold it."""

    def article_text(self, law: str, article_no: str) -> str | None:
        """``law`` is the full name (中华人民共和国人民调解法); ``article_no`` e.g. 第二十九条."""
        ...


@dataclass(frozen=True, slots=True)
class CitationProblem:
    """One citation in a document's text that could not be verified."""

    law: str
    article_no: str
    reason: str

    def __str__(self) -> str:
        return f"《{self.law}》{self.article_no}: {self.reason}"


@runtime_checkable
class CitationChecker(Protocol):
    """Checks the final text of a document; an empty list means every citation is verified."""

    def check(self, text: str) -> list[CitationProblem]:
        """Return one problem per citation that cannot be verified."""
        ...


@dataclass(frozen=True, slots=True)
class LawRef:
    """A reference to one article of a law, as the knowledge base names it.

    ``in_base`` is False for sources the statute base does not hold (e.g. the Supreme People's
    Court's 司法确认 rules, 法释〔2011〕5号): such a reference documents where a rule comes from
    but must not be printed in machine-checked text. ``note`` says where it was read.
    """

    law: str
    article_no: str
    in_base: bool = True
    note: str = ""
    #: A context key that must be truthy for the article to apply (and be printed): e.g.
    #: 劳动争议调解仲裁法 第十四条、第十六条 only for an agreement reached by a 调解组织.
    when: str = ""

    def __str__(self) -> str:
        return f"《{self.law}》{self.article_no}"


@dataclass(frozen=True, slots=True)
class FoundCitation:
    """A citation found in text: law name as written, article number normalised to 第X条."""

    law: str
    article_no: str


_CN_NUM = "零一二三四五六七八九十百千〇两"
# Law-like names only: 《人民调解协议书》第二条 refers to a clause of our own agreement.
_LAW_SUFFIXES = ("法", "法典", "条例", "规定", "规则", "解释", "办法", "决定", "细则", "意见")
_ARTICLE = rf"第\s*([{_CN_NUM}]+|\d+)\s*条(?:之[{_CN_NUM}]+)?"
_CITATION_RE = re.compile(
    rf"《([^《》\n]{{2,80}})》\s*((?:{_ARTICLE}(?:第[{_CN_NUM}\d]+[款项])*\s*[、，,和及与至]?\s*)+)"
)
_ARTICLE_RE = re.compile(_ARTICLE)
_DIGITS = "零一二三四五六七八九"


def article_no_from_int(number: int) -> str:
    """205 → 第二百零五条, 10 → 第十条, 110 → 第一百一十条 (the spelling used by laws.db)."""
    if not 0 < number < 10000:
        raise ValueError(f"article number out of range: {number}")
    parts: list[str] = []
    units = ((1000, "千"), (100, "百"), (10, "十"), (1, ""))
    zero = False
    for unit, name in units:
        digit = number // unit % 10
        if digit == 0:
            zero = bool(parts)
            continue
        if zero:
            parts.append("零")
            zero = False
        parts.append(_DIGITS[digit] + name)
    text = "".join(parts)
    if text.startswith("一十"):
        text = text[1:]
    return f"第{text}条"


def _normalise_article(raw: str) -> str:
    return article_no_from_int(int(raw)) if raw.isdigit() else f"第{raw}条"


def find_citations(text: str) -> Iterator[FoundCitation]:
    """Yield every ``《law》第X条`` citation in ``text`` (lists like 第二十八条、第二十九条 too)."""
    compact = text.replace("\n", "")
    for match in _CITATION_RE.finditer(compact):
        law = match.group(1).strip()
        if not law.endswith(_LAW_SUFFIXES):
            continue
        for article in _ARTICLE_RE.finditer(match.group(2)):
            yield FoundCitation(law, _normalise_article(article.group(1)))


def format_refs(refs: Iterable[LawRef]) -> str:
    """``《A》第一条、第二条；《B》第三条``: one law name per group, in first-seen order."""
    grouped: dict[str, list[str]] = {}
    for ref in refs:
        articles = grouped.setdefault(ref.law, [])
        if ref.article_no not in articles:
            articles.append(ref.article_no)
    return "；".join(f"《{law}》{'、'.join(articles)}" for law, articles in grouped.items())


class StatuteCitationChecker:
    """Verify each found citation by asking a :class:`StatuteSource` for its text."""

    def __init__(self, source: StatuteSource) -> None:
        self._source = source

    def check(self, text: str) -> list[CitationProblem]:
        problems: list[CitationProblem] = []
        seen: set[FoundCitation] = set()
        for citation in find_citations(text):
            if citation in seen:
                continue
            seen.add(citation)
            if self._source.article_text(citation.law, citation.article_no) is None:
                problems.append(
                    CitationProblem(citation.law, citation.article_no, "not in the statute base")
                )
        return problems
