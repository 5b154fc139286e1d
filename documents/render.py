"""From a context to checked HTML, in the caller's process.

:class:`DocumentRenderer` does everything except layout: cleans the user's text, checks the
required fields, turns signature PNGs, the verification URL and the seal into ``data:`` URIs,
fetches the statute text a document quotes, renders the Jinja template with autoescaping, and
runs the citation checker over the resulting text. Only a finished, checked HTML string goes to
a WeasyPrint worker (:mod:`documents.worker`), so a missing field or a bad citation is reported
in about a millisecond instead of after a layout, and never as half a document.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import jinja2

from documents.amounts import format_amount, parse_amount, to_capital
from documents.citations import (
    CitationChecker,
    StatuteCitationChecker,
    StatuteSource,
    format_refs,
)
from documents.clauses import dispute_label
from documents.errors import (
    CitationError,
    StatuteUnavailableError,
    UnsupportedLanguageError,
)
from documents.formats import add_days, cn_count, cn_date, cn_datetime
from documents.images import png_data_uri, qr_data_uri, seal_data_uri
from documents.registry import DocumentSpec, get_spec, validate
from documents.sanitize import clean_context

__all__ = ["CASE_SOURCES", "LANGUAGES", "DocumentRenderer", "PreparedDocument", "html_to_text"]

#: Languages with templates; English templates are planned but not written yet.
LANGUAGES: tuple[str, ...] = ("zh-CN",)

#: 案件来源 codes of the acceptance register → labels.
CASE_SOURCES: Mapping[str, str] = {
    "party_application": "当事人申请",
    "committee_initiative": "人民调解委员会主动调解",
    "police_referral": "公安机关移送",
    "court_referral": "人民法院委托（移送）",
    "government_referral": "政府及有关部门移送",
    "other": "其他",
}


@dataclass(frozen=True, slots=True)
class PreparedDocument:
    """Checked HTML ready for layout, with its plain text (what the checker saw)."""

    key: str
    lang: str
    html: str
    text: str
    stylesheets: tuple[str, ...]


def _sum_amounts(items: Any) -> str:
    """Sum the ``amount`` of each item: totals are computed, never typed by hand."""
    total = sum((parse_amount(item["amount"]) for item in items), Decimal(0))
    return str(total)


def _paragraphs(text: Any) -> list[str]:
    """Split user text on line breaks so each paragraph gets its own indented ``<p>``."""
    return [line.strip() for line in str(text or "").split("\n") if line.strip()]


def _make_environment(lang: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("documents", f"templates/{lang}"),
        autoescape=True,
        undefined=jinja2.ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        yuan=format_amount,
        capital=to_capital,
        cn_date=cn_date,
        cn_datetime=cn_datetime,
        cn_count=cn_count,
        dispute_label=lambda code: dispute_label(str(code)),
        source_label=lambda code: CASE_SOURCES.get(str(code), str(code)),
        sum_amounts=_sum_amounts,
        paragraphs=_paragraphs,
    )
    return env


def _embed_images(node: Any) -> Any:
    """Replace every ``image_png`` (bytes) with a checked ``image_uri`` data URI."""
    if isinstance(node, dict):
        out = {key: _embed_images(value) for key, value in node.items() if key != "image_png"}
        image = node.get("image_png")
        if isinstance(image, bytes):
            out["image_uri"] = png_data_uri(image)
        return out
    if isinstance(node, list):
        return [_embed_images(item) for item in node]
    return node


def _confirmation_deadline(context: dict[str, Any]) -> None:
    # 人民调解法 第三十三条 / 民事诉讼法 第二百零五条: within 30 days of the agreement taking effect.
    context["deadline"] = add_days(str(context["agreement"]["effective_on"]), 30)


#: Values computed from the context rather than typed (and possibly mistyped) by a user.
_DERIVED: Mapping[str, Callable[[dict[str, Any]], None]] = {
    "judicial_confirmation_application": _confirmation_deadline,
}


class _TextExtractor(HTMLParser):
    _BLOCKS = frozenset(
        {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "table", "blockquote", "header"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script", "title"):
            self._skip += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "title"):
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The visible text of rendered HTML, one block per line (what the citation check reads)."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


class DocumentRenderer:
    """Builds checked HTML for any registered document.

    ``statutes`` supplies quoted article text; ``checker`` (default: one backed by
    ``statutes``) must find no problem in the final text or :class:`CitationError` is raised.

    The work is split in three so a caller on an event loop can run the CPU-heavy middle step
    (:meth:`build`: cleaning, QR, Jinja, text extraction — pure, thread-safe) in a thread
    while the statute source and the checker, which may hold a database connection bound to
    the loop's thread, are only ever called from the caller's thread.
    """

    def __init__(self, statutes: StatuteSource, checker: CitationChecker | None = None) -> None:
        self._statutes = statutes
        self._checker: CitationChecker = checker or StatuteCitationChecker(statutes)
        self._environments = {lang: _make_environment(lang) for lang in LANGUAGES}

    def quoted_texts(self, spec: DocumentSpec) -> dict[str, str]:
        """Text of every article ``spec`` quotes, keyed by article number (statute source)."""
        texts: dict[str, str] = {}
        for ref in spec.quotes:
            text = self._statutes.article_text(ref.law, ref.article_no)
            if not text:
                raise StatuteUnavailableError(ref.law, ref.article_no)
            texts[ref.article_no] = text
        return texts

    def context_for(
        self,
        spec: DocumentSpec,
        context: Mapping[str, Any],
        lang: str,
        statutes: Mapping[str, str],
    ) -> dict[str, Any]:
        """Cleaned, validated and enriched template context."""
        ctx = clean_context(context)
        validate(spec, ctx)
        ctx = dict(_embed_images(ctx))
        if ctx.get("verify_url"):
            ctx["qr_uri"] = qr_data_uri(str(ctx["verify_url"]))
        # The issuer's seal: the 人民调解委员会's, or the police unit's on a 治安调解协议书.
        committee = ctx.get("committee") or ctx.get("police_unit")
        if ctx.get("sealed") and isinstance(committee, dict) and committee.get("name"):
            ctx["seal_uri"] = seal_data_uri(str(committee["name"]))
        ctx["statutes"] = dict(statutes)
        ctx["doc"] = {
            "key": spec.key,
            "title": spec.title,
            "print_basis": spec.print_basis,
            "basis": format_refs(spec.printed_for(ctx)),
        }
        ctx["lang"] = lang
        derive = _DERIVED.get(spec.key)
        if derive is not None:
            derive(ctx)
        return ctx

    def build(
        self,
        key: str,
        context: Mapping[str, Any],
        lang: str,
        statutes: Mapping[str, str],
    ) -> PreparedDocument:
        """Validate and render HTML (not yet citation-checked). Pure; safe in a thread."""
        spec = get_spec(key)
        env = self._environments.get(lang)
        if env is None:
            raise UnsupportedLanguageError(f"{key}: no templates in {lang!r}")
        ctx = self.context_for(spec, context, lang, statutes)
        html = env.get_template(spec.template).render(ctx)
        stylesheets = (*spec.stylesheets, f"page-{lang}.css")
        return PreparedDocument(key, lang, html, html_to_text(html), stylesheets)

    def check(self, prepared: PreparedDocument) -> PreparedDocument:
        """Run the citation checker on the final text; raise :class:`CitationError`."""
        problems = self._checker.check(prepared.text)
        if problems:
            raise CitationError(prepared.key, problems)
        return prepared

    def prepare(
        self, key: str, context: Mapping[str, Any], lang: str = "zh-CN"
    ) -> PreparedDocument:
        """Validate, render and citation-check ``key``; raise before any layout on a problem."""
        statutes = self.quoted_texts(get_spec(key))
        return self.check(self.build(key, context, lang, statutes))
