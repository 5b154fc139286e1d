"""Plain records passed between the importers, the store, the index and the public API.

Why plain frozen dataclasses and not ORM objects: they cross thread boundaries (search runs in a
worker), go to JSON for the CLI, and must not lazy-load anything from a closed session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from legal_kb.models import IN_FORCE_STATUSES

#: Kinds cited without a label: national law, which people take to be "the law".
NATIONAL_KINDS = frozenset({"宪法", "法律", "立法解释"})


def kind_label(kind: str, status: str) -> str:
    """ "（司法解释，现行有效）" after the citation of anything but national law, so that a
    resident sees what kind of rule is quoted and that it applies; for national law only a
    status other than 现行有效 ("（已被修改）": the text quoted may differ from the law now),
    since people take a bare law's name to be the law in force."""
    if kind in NATIONAL_KINDS:
        return "" if status == "现行有效" else f"（{status}）"
    return f"（{kind}，{status}）"


@dataclass(frozen=True)
class LawRecord:
    """A law version's metadata, as imported."""

    key: str
    name: str
    kind: str
    status: str
    source: str
    issuing_body: str | None = None
    department: str | None = None
    publish_date: date | None = None
    effective_date: date | None = None
    version_date: date | None = None
    #: The region whose local rules these are (地方性法规: "重庆"); ``None`` for national law.
    region: str | None = None
    #: Why the status is what it is, for people: "已被2022-04-10的版本取代", "已被《…》废止".
    note: str | None = None


@dataclass(frozen=True)
class ArticleInput:
    """An article as an importer produces it (the law it belongs to is given alongside)."""

    article_no: str
    number: int | None
    suffix: int
    text: str
    chapter: str | None = None
    section: str | None = None
    #: Source line, for error messages.
    line: int | None = None


@dataclass(frozen=True)
class StoredArticle:
    """An article as stored, with its law's name and status: what a lookup and a search hit
    both say of it."""

    id: int
    law: str
    law_kind: str
    article_no: str
    number: int | None
    suffix: int
    chapter: str | None
    section: str | None
    text: str
    status: str

    @property
    def in_force(self) -> bool:
        """Whether this is law that applies (现行有效, or in force and amended since: 已被修改)."""
        return self.status in IN_FORCE_STATUSES


class ArticlePlace(Protocol):
    """An article's number and place in its law, and its text: as imported or as stored."""

    @property
    def article_no(self) -> str: ...
    @property
    def number(self) -> int | None: ...
    @property
    def suffix(self) -> int: ...
    @property
    def chapter(self) -> str | None: ...
    @property
    def section(self) -> str | None: ...
    @property
    def text(self) -> str: ...


@dataclass(frozen=True)
class Article(StoredArticle):
    """What search and lookup return: a stored article and when its law version took effect."""

    effective_date: date | None = None
    #: The law version's status note ("已被《…》废止"), when there is one.
    note: str | None = None

    @classmethod
    def of(
        cls,
        art: ArticlePlace,
        *,
        id: int,
        law: str,
        law_kind: str,
        status: str,
        effective_date: date | None,
        note: str | None = None,
    ) -> Article:
        """``art`` in the law version named, as the knowledge base returns it."""
        place = (art.article_no, art.number, art.suffix, art.chapter, art.section, art.text)
        return cls(id, law, law_kind, *place, status, effective_date, note)


@dataclass(frozen=True)
class CaseText:
    """What a typical case says, as imported and as stored."""

    key: str
    title: str
    dispute_type: str
    facts: str
    outcome: str
    citations: tuple[str, ...] = ()
    source: str | None = None
    #: The court's reasoning (案例分析, 典型意义 …).
    analysis: str = ""
    #: Citations in the case that the knowledge base could not verify, with the reason.
    unverified: tuple[str, ...] = ()


@dataclass(frozen=True)
class CaseInput(CaseText):
    """A typical case as imported."""

    #: Source line, for error messages.
    line: int | None = None


@dataclass(frozen=True)
class Case(CaseText):
    """A typical case as stored, with a similarity score when it comes from a search."""

    id: int = field(kw_only=True)
    score: float = 0.0


@dataclass(frozen=True, slots=True)
class IndexDoc:
    """What the search index knows about one article (everything but free-text body)."""

    id: int
    law: str
    law_kind: str
    department: str | None
    article_no: str
    number: int | None
    suffix: int
    chapter: str | None
    section: str | None
    status: str
    text: str = field(repr=False, default="")
    region: str | None = None


@dataclass(frozen=True)
class Hit(StoredArticle):
    """One search result.

    ``score``: higher is better, comparable only within one search (a reranker logit, or
    BM25 before the dense index is ready).
    ``highlights`` are ``(start, end)`` character spans of ``text`` that match the question;
    ``via`` says which retriever found it ("keyword", "dense", "both", or "citation" when the
    question itself cited the article).
    """

    law_short: str
    score: float
    highlights: tuple[tuple[int, int], ...] = ()
    via: str = "keyword"

    @property
    def citation(self) -> str:
        """《民法典》第一千零八十四条."""
        return f"《{self.law_short}》{self.article_no}"

    @property
    def labelled_citation(self) -> str:
        """The citation with the kind and status of anything but national law:
        《民间借贷规定》第二十五条（司法解释，现行有效）."""
        return self.citation + kind_label(self.law_kind, self.status)
