"""Finding statute citations in free text: 《民法典》第一千零八十四条, 民法典1084条, 劳动合同法第30条,
道交法第七十六条第二款, 刑法第二百八十七条之二, "…第一千零八十四条、第一千零八十五条" (the law carries over).

Why a scanner instead of one big regex: the law's name has no marked start when it is not in
《》 ("根据劳动合同法第30条"), so each article number is found first and the name is then read
backwards from it against the names the KB knows (longest match wins). A name the KB does not
know is still reported (so a made-up law is flagged), but only when it ends like a title (…法,
…条例, …规定). Checking whether a citation exists is :mod:`legal_kb.store`'s job; this module
only parses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from legal_kb.names import NameResolver, short_title
from legal_kb.numerals import NUMBER_CHARS, cn_to_int, format_article_no, int_to_cn

_NUM = f"[{NUMBER_CHARS}]+"
_ARTICLE_RE = re.compile(
    rf"(?P<di>第)?\s*(?P<num>{_NUM})\s*条"
    rf"(?:\s*之\s*(?P<suffix>[一二三四五六七八九十]+))?"
    rf"(?:\s*第\s*(?P<para>{_NUM})\s*款)?"
    rf"(?:\s*第\s*[（(]?\s*(?P<item>{_NUM})\s*[)）]?\s*项)?"
)
#: A parenthesised document number or version right after a title: （法释〔2020〕17号）, （2020年修正）.
_DOC_NUMBER_RE = re.compile(r"(?<=》)\s*[（(][^（）()《》]{1,30}[)）]$")
#: Characters a bare law name is made of (CJK, brackets used inside titles, middle dot).
_NAME_RUN_RE = re.compile(r"[\u4e00-\u9fff（）()〈〉·]+$")
#: What may stand between two citations of the same law: "第十条、第十一条和第十二条".
_SEPARATORS_RE = re.compile(r"^[\s、，,；;和及与或者以至到以及]*$")
#: Words that refer back to the law just cited ("依照该法第五条"), but not the end of a name
#: that happens to end the same way (合同法, 劳动合同法).
_BACK_REFERENCE_RE = re.compile(
    r"(?:^|[依根据照按违反适用及和与、，,])(?:本法|该法|同法|此法|上述法律|前述法律)$"
)


@dataclass(frozen=True)
class Citation:
    """One citation found in a text.

    ``law`` is the KB's full name of the law, ``None`` when the name is not in the KB (then
    ``law_written`` says what was written). ``paragraph`` (款) and ``item`` (项) are optional.
    """

    text: str
    start: int
    end: int
    law_written: str
    law: str | None
    number: int
    suffix: int = 0
    paragraph: int | None = None
    item: int | None = None

    @property
    def article_no(self) -> str:
        """The article number as the law writes it: 第一千零八十四条(之一)."""
        return format_article_no(self.number, self.suffix)

    @property
    def canonical(self) -> str:
        """《中华人民共和国民法典》第一千零八十四条第二款 — the form to print."""
        law = self.law or self.law_written
        out = f"《{law}》{self.article_no}"
        if self.paragraph is not None:
            out += f"第{int_to_cn(self.paragraph)}款"
        if self.item is not None:
            out += f"第（{int_to_cn(self.item)}）项"
        return out

    @property
    def short(self) -> str:
        """《民法典》第一千零八十四条 — the form for tight spaces (buttons, cards)."""
        return f"《{short_title(self.law or self.law_written)}》{self.article_no}"


def _bracketed_name(context: str) -> str | None:
    """The name in 《…》 that ``context`` ends with (allowing a trailing 的 or spaces)."""
    s = context.rstrip().removesuffix("的").rstrip()
    # 《关于工资总额组成的规定》（国家统计局令第1号）第四条: the document number is no part of it.
    s = _DOC_NUMBER_RE.sub("", s).rstrip()
    if not s.endswith("》"):
        return None
    open_at = s.rfind("《")
    if open_at < 0:
        return None
    return s[open_at + 1 : -1]


def extract_citations(text: str, resolver: NameResolver) -> list[Citation]:
    """Every citation of an article in ``text``, in order of appearance."""
    found: list[Citation] = []
    last_end = 0
    last_law: tuple[str, str | None] | None = None
    for match in _ARTICLE_RE.finditer(text):
        number = cn_to_int(match.group("num"))
        if number is None or number == 0:
            continue
        start = match.start()
        context = text[last_end:start]
        law = _law_before(context, resolver, has_di=match.group("di") is not None)
        law_start = start
        if law is not None:
            written, full, law_start = law[0], law[1], start - law[2]
        elif last_law is not None and (
            _SEPARATORS_RE.match(context) or _BACK_REFERENCE_RE.search(context.rstrip())
        ):
            written, full = last_law
        else:
            continue
        suffix = cn_to_int(match.group("suffix")) if match.group("suffix") else 0
        para = cn_to_int(match.group("para")) if match.group("para") else None
        item = cn_to_int(match.group("item")) if match.group("item") else None
        found.append(
            Citation(
                text=text[law_start : match.end()],
                start=law_start,
                end=match.end(),
                law_written=written,
                law=full,
                number=number,
                suffix=suffix or 0,
                paragraph=para,
                item=item,
            )
        )
        last_end = match.end()
        last_law = (written, full)
    return found


def _law_before(
    context: str, resolver: NameResolver, *, has_di: bool
) -> tuple[str, str | None, int] | None:
    """The law named right before an article number: (as written, full name or None, length).

    ``length`` is how many characters before the number the citation starts. Without 第 (e.g.
    "民法典1084条") only a known law directly before the number counts, so that "有3条建议"
    is not read as a citation.
    """
    gap = len(context) - len(context.rstrip())
    bracketed = _bracketed_name(context)
    if bracketed is not None:
        full = resolver.resolve(bracketed)
        length = len(context) - context.rfind("《")
        return bracketed, full, length
    run_match = _NAME_RUN_RE.search(context.rstrip())
    if run_match is None:
        return None
    run = run_match.group(0).removesuffix("的")
    tail = resolver.resolve_tail(run)
    if tail is not None:
        written = tail[0]
        return written, tail[1], len(written) + gap + (len(run_match.group(0)) - len(run))
    if _BACK_REFERENCE_RE.search(run) or not has_di:
        # 本法/该法 refer to the law cited before (the caller carries it over).
        return None
    guess = resolver.guess_unknown_tail(run)
    if guess is None:
        return None
    return guess, None, len(guess) + gap + (len(run_match.group(0)) - len(run))


def parse_citation(text: str, resolver: NameResolver) -> Citation | None:
    """The first citation in ``text`` (e.g. a user's "/law 民法典1084条"), or ``None``."""
    found = extract_citations(text, resolver)
    return found[0] if found else None


def article_key(number: int, suffix: int = 0) -> str:
    """A stable key for an article number, for dictionaries: ``1084`` or ``120-1``."""
    return f"{number}-{suffix}" if suffix else str(number)
