"""The 24-hour legal assistant: an answer from the knowledge base at once, with real citations.

Why only the KB: an answer about the law is only as good as its citations, so every article
shown comes out of :class:`~legal_kb.service.KnowledgeBase` search and passes its citation check
(exists, in force today); the statute text shown is the KB's. What is said in plain words
around it — the usual evidence and routes for the dispute type — is reviewed catalog text that
cites nothing. The optional LLM (``features.lawyers.llm``) may rephrase afterwards, under the
same check. The answer is labelled as legal information, not advice.
"""

from __future__ import annotations

import logging
import re
import time
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from legal_kb.checks import CitationCheck
from legal_kb.disputes import DISPUTE_TYPES, HINT_FIELDS
from legal_kb.engine import SearchFilters
from legal_kb.records import Case as KbCase
from legal_kb.records import Hit, kind_label
from legal_kb.service import KnowledgeBase
from mediation.disputes import OTHER_ROUTES, DisputeType
from mediation.replies import Button, Msg, Reply

log = logging.getLogger(__name__)

#: Articles and typical cases shown per answer.
TOP_ARTICLES = 3
TOP_CASES = 2
EXCERPT_CHARS = 160
ARTICLE_CHARS = 1200
_SENTENCE_RE = re.compile(r"[^。；;！？!?\n]*[。；;！？!?\n]?")


@dataclass(frozen=True)
class ArticleRef:
    """An article as shown: verified citation, the KB's text and the part that answers."""

    citation: str
    law: str
    number: int | None
    suffix: int
    chapter: str | None
    excerpt: str
    text: str
    #: The knowledge base's status (现行有效, or 已被修改: the card says which).
    status: str = "现行有效"


@dataclass(frozen=True)
class CaseRef:
    title: str
    outcome: str
    citations: tuple[str, ...]


@dataclass(frozen=True)
class Answer:
    question: str
    dispute_type: str | None
    articles: tuple[ArticleRef, ...]
    cases: tuple[CaseRef, ...]
    latency_ms: int

    @property
    def citations(self) -> list[str]:
        return [a.citation for a in self.articles]

    def grounding(self) -> set[tuple[str, int | None, int]]:
        """(law, number, suffix) of the articles shown: what an LLM may cite."""
        return {(a.law, a.number, a.suffix) for a in self.articles}


def _sentences(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _SENTENCE_RE.finditer(text) if m.group(0).strip()]


def excerpt(text: str, highlights: Sequence[tuple[int, int]] = ()) -> str:
    """The sentence of an article that matches the question best (else its first sentence)."""
    spans = _sentences(text)
    if not spans:
        return ""

    def overlap(span: tuple[int, int]) -> int:
        return sum(max(0, min(span[1], e) - max(span[0], s)) for s, e in highlights)

    index = max(range(len(spans)), key=lambda i: (overlap(spans[i]), -i))
    part = text[spans[index][0] : spans[index][1]].strip()
    if part.startswith("（") and index > 0:
        # An item of a list: say what the list is about first.
        lead = next(
            (
                text[s:e].strip()
                for s, e in reversed(spans[:index])
                if text[s:e].strip().endswith("：")
            ),
            None,
        )
        if lead is not None:
            part = f"{lead}……{part}"
    return part if len(part) <= EXCERPT_CHARS else part[: EXCERPT_CHARS - 1] + "…"


def guess_dispute_type(hits: Sequence[Hit]) -> str | None:
    """The dispute type whose law the best hits belong to (for consultations without a case).

    Scores each type by the search scores of the hits inside its laws (legal_kb.disputes);
    "other" only when nothing more specific matches.
    """
    scores: dict[str, float] = defaultdict(float)
    for hit in hits:
        for code, kind in DISPUTE_TYPES.items():
            if code == DisputeType.OTHER.value:
                continue
            if any(s.law == hit.law_short and s.covers(hit.number) for s in kind.scopes):
                scores[code] += hit.score
    if not scores:
        return DisputeType.OTHER.value if hits else None
    return max(scores.items(), key=lambda item: (item[1], -list(DISPUTE_TYPES).index(item[0])))[0]


def _on_subject(hits: Sequence[Hit], dispute_type: str) -> bool:
    """Whether any of the best articles lies in ``dispute_type``'s own field of law: the narrow
    one the hints after filing use (``HINT_FIELDS``), not the search scope, which also holds
    laws every dispute may touch (人民调解法 for a neighbours' case: a loan question matched it on
    同事)."""
    fields = HINT_FIELDS.get(dispute_type, ())
    return any(s.law == h.law_short and s.covers(h.number) for h in hits for s in fields)


def _refs(hits: Sequence[Hit], checks: Sequence[CitationCheck]) -> list[ArticleRef]:
    """The hits whose citation passed ``checks``, with the text that applies today."""
    good: dict[tuple[str | None, int | None, int], CitationCheck] = {
        (c.citation.law, c.citation.number, c.citation.suffix): c
        for c in checks
        if c.ok and c.in_force and c.article is not None
    }
    out: list[ArticleRef] = []
    for hit in hits:
        check = good.get((hit.law, hit.number, hit.suffix))
        if check is None or check.article is None:
            log.warning("assistant dropped %s: citation check failed", hit.citation)
            continue
        text = check.article.text
        spans = hit.highlights if text == hit.text else ()
        out.append(
            ArticleRef(
                citation=check.citation.short
                + kind_label(check.article.law_kind, check.article.status),
                law=check.article.law,
                number=check.article.number,
                suffix=check.article.suffix,
                chapter=check.article.chapter,
                excerpt=excerpt(text, spans),
                text=text,
                status=check.article.status,
            )
        )
    return out


async def verified(kb: KnowledgeBase, hits: Sequence[Hit]) -> list[ArticleRef]:
    """The hits whose citation passes the KB's check (exists, in force today)."""
    if not hits:
        return []
    return _refs(hits, await kb.check_citations("；".join(h.citation for h in hits)))


async def _check_together(
    kb: KnowledgeBase, hits: Sequence[Hit], cases: Sequence[KbCase]
) -> tuple[list[ArticleRef], list[CaseRef]]:
    """One citation check for the articles to show and the cases' citations (one extraction,
    one catalog look-up), each verdict given back to the case whose citation it judged."""
    parts: list[str] = [h.citation for h in hits]
    owners: list[int | None] = [None] * len(hits)
    for i, case in enumerate(cases):
        parts += case.citations
        owners += [i] * len(case.citations)
    starts, at = [], 0
    for part in parts:
        starts.append(at)
        at += len(part) + 1
    checks = await kb.check_citations("；".join(parts)) if parts else []
    kept: list[list[str]] = [[] for _ in cases]
    for check in checks:
        owner = owners[bisect_right(starts, check.citation.start) - 1]
        if owner is None:
            continue
        if check.ok and check.in_force:
            if check.citation.short not in kept[owner]:
                kept[owner].append(check.citation.short)
        else:
            log.warning(
                "typical case citation not shown: %s (%s)", check.citation.text, check.problem
            )
    refs = [CaseRef(c.title, c.outcome, tuple(k)) for c, k in zip(cases, kept, strict=True)]
    return _refs(hits, checks), refs


async def answer(kb: KnowledgeBase, question: str, *, dispute_type: str | None = None) -> Answer:
    """Search, find similar cases, verify every citation. CPU work runs in the KB's threads.

    ``dispute_type`` is the case's (or the consultation's first question's): the law of that
    type answers a question *about* it, but a party in a neighbours' case may well ask about a
    loan or a deposit. So the whole base is searched first; only when its best articles lie in
    the type's own law (the question is on the case's subject) is the search narrowed to that
    law. Narrowing every question put a water-leak case's law on a loan question (hJ's trial,
    2026-12-07), and on STARD's lay questions narrowing by the words' type costs 0.03–0.05 of
    R@5 (docs/benchmarks.md, "A dispute-type prior").
    """
    started = time.perf_counter()
    hits = [h for h in await kb.search(question, top=TOP_ARTICLES * 2) if h.in_force]
    kind = guess_dispute_type(hits[:TOP_ARTICLES])
    if dispute_type and _on_subject(hits[:TOP_ARTICLES], dispute_type):
        narrowed = await kb.search(
            question, top=TOP_ARTICLES * 2, filters=SearchFilters(dispute_type=dispute_type)
        )
        hits = [h for h in narrowed if h.in_force] or hits
        kind = dispute_type
    # The interpretation holding the rule asked about (利息上限, 赔偿标准, 时效) comes first.
    rules = await kb.key_rules(question, kind)
    hits = rules + [h for h in hits if all(h.id != r.id for r in rules)]
    similar = await kb.similar_cases(question, dispute_type=kind, top=TOP_CASES)
    articles, cases = await _check_together(kb, hits[:TOP_ARTICLES], similar)
    if len(articles) < TOP_ARTICLES and len(hits) > TOP_ARTICLES:
        more = await verified(kb, hits[TOP_ARTICLES:])
        articles += more[: TOP_ARTICLES - len(articles)]
    elapsed = int((time.perf_counter() - started) * 1000)
    return Answer(question, kind, tuple(articles), tuple(cases), elapsed)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def to_reply(result: Answer, buttons: tuple[tuple[Button, ...], ...] = ()) -> Reply:
    """The answer as a message: articles, plain words, cases, evidence, routes, disclaimer."""
    parts: list[Msg] = [Msg("lawyers.answer_head", {"question": _clip(result.question, 200)})]
    if result.articles:
        parts.append(Msg("lawyers.answer_articles"))
        for i, art in enumerate(result.articles, 1):
            parts.append(
                Msg(
                    "lawyers.answer_article",
                    {"n": i, "citation": art.citation, "excerpt": art.excerpt},
                )
            )
    else:
        parts.append(Msg("lawyers.answer_no_articles"))
    kind = result.dispute_type
    if kind is not None and kind in {d.value for d in DisputeType}:
        parts.append(Msg(f"lawyers.plain_{kind}"))
    for case in result.cases:
        cited = "、".join(case.citations)
        parts.append(
            Msg(
                "lawyers.answer_case",
                {
                    "title": _clip(case.title, 80),
                    "outcome": _clip(case.outcome, 160),
                    "citations": Msg("lawyers.answer_case_cites", {"list": cited}) if cited else "",
                },
            )
        )
    if kind is not None and kind in {d.value for d in DisputeType}:
        parts.append(Msg("lawyers.answer_evidence", {"list": Msg(f"lawyers.evidence_{kind}")}))
        routes = [
            Msg("lawyers.bullet", {"text": Msg(f"route.{r}")})
            for r in OTHER_ROUTES[DisputeType(kind)]
        ]
        parts.append(Msg("lawyers.answer_routes", {"routes": routes}))
    parts.append(Msg("lawyers.disclaimer"))
    return Reply(Msg("common.lines", {"lines": parts}), buttons=buttons)


def card_reply(
    citation: str,
    chapter: str | None,
    text: str,
    status: str,
    buttons: tuple[tuple[Button, ...], ...] = (),
) -> Reply:
    """An article card: the verified citation, the KB's text (long articles clipped) and the
    status the knowledge base gives it (an amended law is not called 现行有效, nor is one whose
    validity the base doubts: 效力待核实)."""
    key = {"现行有效": "lawyers.card", "效力待核实": "lawyers.card_unverified"}
    return Reply(
        Msg(
            key.get(status, "lawyers.card_amended"),
            {
                "citation": citation,
                "chapter": chapter or "",
                "text": _clip(text, ARTICLE_CHARS),
            },
        ),
        buttons=buttons,
    )
