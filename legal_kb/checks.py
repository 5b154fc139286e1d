"""Verdicts on citations: does the cited article exist, and is it law in force today?

Why a separate, pure module: every part of the service that shows or prints legal text relies
on this verdict, so its rules are kept in one place and tested without a database. The data it
needs (the article's stored versions, and which laws other laws repealed) is fetched by the
caller through :mod:`legal_kb.store`.

Repeals are learned from the KB itself: a clause such as 民法典第一千二百六十条 "…《中华人民共和国
合同法》…同时废止" tells that 合同法 was repealed when the Civil Code took effect, so a citation of
合同法 is reported as repealed (with the repealing article) rather than as unknown.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from legal_kb.citations import Citation
from legal_kb.models import (
    STATUS_AMENDED,
    STATUS_HISTORICAL,
    STATUS_REPEALED,
    STATUS_UNVERIFIED,
)
from legal_kb.names import normalise, short_title
from legal_kb.numerals import int_to_cn
from legal_kb.records import Article

#: Problems a citation can have (``None`` when it is good law).
UNKNOWN_LAW = "unknown_law"
NO_SUCH_ARTICLE = "no_such_article"
NO_SUCH_PARAGRAPH = "no_such_paragraph"
REPEALED = "repealed"
HISTORICAL = "historical"
NOT_YET_EFFECTIVE = "not_yet_effective"

_REPEAL_RE = re.compile(r"((?:《[^《》]{2,60}》、?)+)[^。；]{0,30}?同时废止")
_TITLE_RE = re.compile(r"《([^《》]{2,60})》")


@dataclass(frozen=True)
class Repeal:
    """Law ``repealed`` (as named in the text) was repealed by ``by`` (law, article_no)."""

    repealed: str
    by_law: str
    by_article_no: str
    effective: date | None


@dataclass(frozen=True)
class CitationCheck:
    """The verdict on one citation.

    ``exists``: the law and article are in the KB (in some version). ``in_force``: the version
    that applies today is in force (现行有效 or 已被修改) and already effective. ``article`` is
    the current text when there is one. ``problem`` is one of the module's constants or
    ``None``; ``message`` explains it in Chinese, for people.
    """

    citation: Citation
    exists: bool
    in_force: bool
    status: str | None
    problem: str | None
    message: str
    article: Article | None = None
    repeal: Repeal | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def find_repeals(articles: Sequence[Article]) -> dict[str, Repeal]:
    """Laws named as repealed ("…同时废止") in ``articles``, by normalised name."""
    found: dict[str, Repeal] = {}
    for art in articles:
        for match in _REPEAL_RE.finditer(art.text):
            for title in _TITLE_RE.findall(match.group(1)):
                found.setdefault(
                    normalise(title),
                    Repeal(title, art.law, art.article_no, art.effective_date),
                )
    return found


def _is_document(law: str | None) -> bool:
    """Whether ``law`` names an interpretation or regulation rather than a 法."""
    return law is not None and not normalise(law).endswith(("法", "法典"))


def _doc(article: Article) -> str:
    return "文件" if article.law_kind not in ("法律", "宪法") else "法律"


def _why(article: Article) -> str:
    return f"（{article.note}）" if article.note else ""


def _paragraphs(text: str) -> int:
    return len([p for p in text.split("\n") if p.strip()])


def check(
    citation: Citation,
    versions: Sequence[Article],
    repeals: dict[str, Repeal],
    today: date,
) -> CitationCheck:
    """The verdict for ``citation`` given the stored versions of the cited article."""
    shown = citation.short
    if citation.law is None:
        return _unknown_law(citation, repeals)
    if not versions:
        return CitationCheck(
            citation,
            exists=False,
            in_force=False,
            status=None,
            problem=NO_SUCH_ARTICLE,
            message=f"{shown}：该{'文件' if _is_document(citation.law) else '法'}没有{citation.article_no}。",
        )
    current = versions[0]
    if current.status == STATUS_REPEALED:
        return CitationCheck(
            citation,
            True,
            False,
            current.status,
            REPEALED,
            f"{shown}：该条所在{_doc(current)}已废止{_why(current)}。",
            current,
        )
    if current.status == STATUS_HISTORICAL:
        return CitationCheck(
            citation,
            True,
            False,
            current.status,
            HISTORICAL,
            f"{shown}：只见于已被新版本取代的历史文本{_why(current)}，现行版本没有此条。",
            current,
        )
    if current.effective_date is not None and current.effective_date > today:
        return _not_yet_effective(citation, versions, current.effective_date, today)
    if citation.paragraph is not None and citation.paragraph > _paragraphs(current.text):
        return CitationCheck(
            citation,
            True,
            True,
            current.status,
            NO_SUCH_PARAGRAPH,
            f"{shown}没有第{int_to_cn(citation.paragraph)}款。",
            current,
        )
    if current.status == STATUS_UNVERIFIED:
        # Not known repealed; the note says why the base doubts it (statuses.py, rule 5).
        why = f"（{current.note}。）" if current.note else ""
        return CitationCheck(
            citation, True, True, current.status, None, f"{shown}：效力待核实。{why}", current
        )
    note = ""
    if current.status == STATUS_AMENDED:
        # The corpus's note names the amending decision (修改后的文本未收录).
        note = f"（{current.note}。）" if current.note else "（该法其后有修改，请核对最新文本。）"
    return CitationCheck(
        citation, True, True, current.status, None, f"{shown}：现行有效。{note}", current
    )


def _unknown_law(citation: Citation, repeals: dict[str, Repeal]) -> CitationCheck:
    """A law name the base does not hold: a law it knows was repealed (and by what), or none."""
    shown = citation.short
    repeal = repeals.get(normalise(citation.law_written))
    if repeal is not None:
        when = f"{repeal.effective.isoformat()}起" if repeal.effective else ""
        return CitationCheck(
            citation,
            exists=False,
            in_force=False,
            status=STATUS_REPEALED,
            problem=REPEALED,
            message=(
                f"{shown}：《{short_title(repeal.repealed)}》已废止（{when}依"
                f"《{short_title(repeal.by_law)}》{repeal.by_article_no}）。"
            ),
            repeal=repeal,
        )
    return CitationCheck(
        citation,
        exists=False,
        in_force=False,
        status=None,
        problem=UNKNOWN_LAW,
        message=f"{shown}：知识库中没有名为《{citation.law_written}》的法律文件。",
    )


def _not_yet_effective(
    citation: Citation, versions: Sequence[Article], starts: date, today: date
) -> CitationCheck:
    """The newest text takes effect on ``starts``, after ``today``: the version before it still
    applies (in force, the change announced), or, with none, the article is not in force yet."""
    shown, current = citation.short, versions[0]
    earlier = next(
        (
            v
            for v in versions[1:]
            if v.status == STATUS_HISTORICAL
            and (v.effective_date is None or v.effective_date <= today)
        ),
        None,
    )
    if earlier is not None:
        return CitationCheck(
            citation,
            True,
            True,
            earlier.status,
            None,
            f"{shown}：现行有效；修订后的文本自{starts.isoformat()}起施行。",
            earlier,
        )
    return CitationCheck(
        citation,
        True,
        False,
        current.status,
        NOT_YET_EFFECTIVE,
        f"{shown}：现行文本自{starts.isoformat()}起施行，尚未生效。",
        current,
    )
