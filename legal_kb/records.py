"""Plain records passed between the importers, the store, the index and the public API.

Why plain frozen dataclasses and not ORM objects: they cross thread boundaries (search runs in a
worker), go to JSON for the CLI, and must not lazy-load anything from a closed session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

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
class Article:
    """An article as stored, with its law's name and status: what search and lookup return."""

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
    effective_date: date | None = None
    #: The law version's status note ("已被《…》废止"), when there is one.
    note: str | None = None

    @property
    def in_force(self) -> bool:
        """Whether this is law that applies (现行有效, or in force and amended since: 已被修改)."""
        return self.status in IN_FORCE_STATUSES


def article_as_read(id: int, law: LawRecord, art: ArticleInput) -> Article:
    """An article as read (not yet stored) in the form lookup returns, for checks that run
    without a database: its law's name, kind, status, date and note, ``id`` as the caller
    numbers them."""
    return Article(
        id=id,
        law=law.name,
        law_kind=law.kind,
        article_no=art.article_no,
        number=art.number,
        suffix=art.suffix,
        chapter=art.chapter,
        section=art.section,
        text=art.text,
        status=law.status,
        effective_date=law.effective_date,
        note=law.note,
    )


@dataclass(frozen=True)
class CaseInput:
    """A typical case as imported."""

    key: str
    title: str
    dispute_type: str
    facts: str
    outcome: str
    citations: tuple[str, ...] = ()
    source: str | None = None
    line: int | None = None
    #: The court's reasoning (案例分析, 典型意义 …).
    analysis: str = ""
    #: Citations in the case that the knowledge base could not verify, with the reason.
    unverified: tuple[str, ...] = ()


@dataclass(frozen=True)
class Case:
    """A typical case as stored, with a similarity score when it comes from a search."""

    id: int
    key: str
    title: str
    dispute_type: str
    facts: str
    outcome: str
    citations: tuple[str, ...] = ()
    source: str | None = None
    score: float = 0.0
    analysis: str = ""
    unverified: tuple[str, ...] = ()


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
class Hit:
    """One search result.

    ``score``: higher is better, comparable only within one search (a reranker logit, or
    BM25 before the dense index is ready).
    ``highlights`` are ``(start, end)`` character spans of ``text`` that match the question;
    ``via`` says which retriever found it ("keyword", "dense", "both", or "citation" when the
    question itself cited the article).
    """

    id: int
    law: str
    law_short: str
    law_kind: str
    article_no: str
    number: int | None
    suffix: int
    chapter: str | None
    section: str | None
    text: str
    status: str
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

    @property
    def in_force(self) -> bool:
        return self.status in IN_FORCE_STATUSES
