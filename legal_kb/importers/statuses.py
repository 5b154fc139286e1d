"""Which corpus documents are still law, decided from the corpus's own text.

Why a module of its own: a status shown or cited wrongly makes the service quote a repealed
interpretation as the rule that applies. Every status here is read from a document of the base
(never from a list typed in): the rules below, most specific first, each leaving a note for
people that names the document it relies on.

1. **Repealed by a later document.** A sentence of another document that names the title and
   ends with a repeal verb ("《…》（法释〔2000〕8号）同时废止", "…即行废止", "…不再适用",
   "…不再执行"), taking effect after the version concerned. A sentence that repeals only part
   of a document (an article number between the title and the verb: "…的数额标准不再适用";
   "《…》中有关看守所的规定即行废止") does not count.
2. **Repealed national law.** An interpretation of a law the base knows to be repealed
   ("关于适用《婚姻法》…", 民法典 第一千二百六十条), or a document of that very name.
3. **A new series.** A later interpretation numbered （一） under the title of a series that
   had reached （二） or beyond ("劳动争议解释（一）" of 2020 after （二）–（四）): numbering starts
   again only when the old series is replaced, so its members are no longer in force.
4. **Amended.** A 修改决定 in the corpus ("一、修改《…》", "关于修改《…》的决定") adopted after
   the newest version the corpus holds (the amended text is not in the corpus): the document
   is 已被修改 and its note says by which decision; citation checks pass that on ("修改后的文本
   未收录，请核对").

5. **Doubtful**, only while the corpus lacks the court's repeal decision of the 民法典 clean-up
   (2020; the shipped archive holds it since 2026-12-07). An interpretation of 2020-12-22 or earlier (not among those the court amended
   and re-issued on 2020-12-23 for the 民法典) whose preamble states as its basis ("根据《…》")
   only laws that the base knows the 民法典 repealed: 效力待核实, with a note saying so. It is
   not called repealed (the corpus does not say so) and not plain 现行有效 either.

What the corpus cannot tell is not guessed: of the Supreme People's Court's repeal decisions
published as separate documents, the collection holds only the 民法典 clean-up's (法释〔2020〕16号,
added from another copy of the national database; see the archive's README), so an
interpretation repealed only by another such decision still reads as in force here.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

from legal_kb.models import (
    STATUS_AMENDED,
    STATUS_IN_FORCE,
    STATUS_REPEALED,
    STATUS_UNVERIFIED,
)
from legal_kb.names import normalise, short_title
from legal_kb.numerals import cn_to_int

if TYPE_CHECKING:
    from legal_kb.importers.corpus import CorpusDoc

#: A sentence (or clause list) of an article: repeal clauses never cross 。 or ；.
_SENTENCE_RE = re.compile(r"[^。；\n]+")
_REPEAL_VERB_RE = re.compile(r"(?:同时|即行|予以|一并|均|都同时)?废止|不再适用|不再执行|同时失效")
_TITLE_RE = re.compile(r"《([^《》]{4,80})》")
#: After a title, words that restrict the repeal to a part of the document.
_PARTIAL_RE = re.compile(r"第[一二三四五六七八九十百千零〇\d]+条|中有关|中的")
#: In a repeal decision: a numbered entry of a list ("1.", "（一）", "一、"), and its text.
_ENTRY_RE = re.compile(
    r"^(?:\d+[.．、]|[（(][一二三四五六七八九十百]+[）)]|[一二三四五六七八九十百]+、)\s*(.+)$"
)
_INLINE_REPEAL_RE = re.compile(r"废止《([^《》]{4,80})》")
#: A row of a list printed as a Markdown table ("| 11 |最高人民法院关于…的规定 |2004年11月22日 …|"):
#: the title cell, which may name attachments ("…的通知 附：…意见 附二：…").
_TABLE_ROW_RE = re.compile(r"^\|\s*\d+\s*\|\s*([^|]+?)\s*\|")
_ATTACHMENT_RE = re.compile(r"\s+附[一二三四五六七八九十]*[：:]\s*|\s+")
#: An entry's title written without 《》: up to its document number or the end of the line.
_BARE_TITLE_RE = re.compile(
    r"^([^，,：:（(。；《》]{4,80}?"
    r"(?:解释|规定|批复|通知|意见|决定|办法|条例|答复|纪要|规则|解答|复函|细则))"
    r"(?:[（(][^）)]*[）)])*[。；]?$"
)
_APPLIES_LAW_RE = re.compile(r"关于(?:适用|执行|贯彻执行)《([^《》]{2,40})》")
_AMENDED_ITEM_RE = re.compile(r"^[一二三四五六七八九十百]+、\s*修改《(.+)》\s*$")
_AMENDED_TITLE_RE = re.compile(r"关于修改《(.+)》的决定$")
_SERIES_NO_RE = re.compile(r"\(([一二三四五六七八九十]+)\)$")
#: A preamble's stated basis: the titles right after 根据 ("根据《A》《B》和《C》的规定").
_BASIS_RE = re.compile(r"根据((?:《[^《》]+》[、和及与]*)+)")
#: The date the corpus gives the interpretations the court amended and re-issued for the
#: 民法典 (e.g. 工会法解释, 环境民事公益诉讼解释): a version of that day or later was reviewed.
CIVIL_CODE_REVIEW = date(2020, 12, 23)


@dataclass(frozen=True)
class Repeal:
    """``by`` repealed the document titled ``title`` from ``when`` (``None``: date unknown)."""

    title: str
    by: str
    when: date | None


_BODIES_RE = re.compile(r"(最高人民法院|最高人民检察院)[\s、]+(?=最高人民)")


def canonical_title(title: str) -> str:
    """One spelling per title: "最高人民法院 最高人民检察院关于…" → "最高人民法院、最高人民检察院关于…"."""
    s = _BODIES_RE.sub(r"\1、", title.strip())
    return re.sub(r"\s+", "", s)


def title_key(title: str) -> str:
    """Comparison form of a document title, as other documents write it when they repeal or
    amend it: without the issuing courts, 〈〉 as 《》 and no 中华人民共和国 inside quoted names."""
    s = normalise(canonical_title(title)).replace("〈", "《").replace("〉", "》")
    s = s.replace("中华人民共和国", "").replace("帐", "账")  # 帐户 and 账户 are both printed
    s = re.sub(r"^(?:最高人民法院|最高人民检察院|、)+", "", s)
    return s


def repealed_titles(text: str) -> list[str]:
    """The titles a text repeals in whole ("《A》（…）、《B》同时废止"), in order.

    Each title before a repeal verb in the same sentence counts, unless the words between it
    and the next title (or the verb) restrict the repeal to a part of it (第…条, 中有关…).
    """
    out: list[str] = []
    for sentence in _SENTENCE_RE.finditer(text):
        s = sentence.group(0)
        verb = _REPEAL_VERB_RE.search(s)
        if verb is None:
            continue
        titles = list(_TITLE_RE.finditer(s, 0, verb.start()))
        for i, match in enumerate(titles):
            end = titles[i + 1].start() if i + 1 < len(titles) else verb.start()
            if not _PARTIAL_RE.search(s[match.end() : end]):
                out.append(match.group(1))
    return out


def listed_for_repeal(text: str) -> list[str]:
    """The titles a repeal decision lists ("关于废止部分司法解释…的决定", "国务院关于修改和废止
    部分行政法规的决定"): after a heading or sentence that repeals ("二、废止下列行政法规：",
    "决定废止《…》等…件"), each numbered entry ("1.《…》（法释〔…〕号）", or the title
    without 《》, or a Markdown table's row) until a heading that amends; "废止《…》" anywhere."""
    out: list[str] = []
    repealing = False
    for raw in text.split("\n"):
        line = raw.strip()
        out += [m.group(1) for m in _INLINE_REPEAL_RE.finditer(line)]
        if "《" not in line and ("修改" in line or "废止" in line):
            repealing = "废止" in line  # a heading: what the entries below it undergo
            continue
        row = _TABLE_ROW_RE.match(line)
        if row is not None and repealing:
            # The cell is the title itself (no 《》 around it), then any attachments.
            cells = [c for c in _ATTACHMENT_RE.split(row.group(1)) if len(c) >= 6]
            out += [c for c in cells if c not in out]
            continue
        entry = _ENTRY_RE.match(line)
        if entry is None or not repealing:
            continue
        titles = _TITLE_RE.findall(entry.group(1))
        if titles:
            out += [t for t in titles if t not in out]
        elif (bare := _BARE_TITLE_RE.match(entry.group(1))) is not None:
            out.append(bare.group(1))
    return out


def find_repeals(docs: Iterable[CorpusDoc]) -> dict[str, Repeal]:
    """Titles (as :func:`title_key`) that a current corpus document repeals: by a repeal
    sentence in any document, or listed by a repeal decision."""
    found: dict[str, Repeal] = {}
    for doc in docs:
        if doc.law.status != STATUS_IN_FORCE:
            continue
        when = doc.law.effective_date or doc.law.version_date
        decision = doc.law.kind == "修改决定" and "废止" in doc.law.name
        for art in doc.articles:
            titles = repealed_titles(art.text)
            if decision:
                titles += listed_for_repeal(art.text)
            for title in titles:
                found.setdefault(title_key(title), Repeal(title, doc.law.name, when))
    return found


@dataclass(frozen=True)
class Amendment:
    """Decision ``by``, adopted on ``made``, amended the document titled ``title`` with effect
    from ``when``. A version of ``made`` or later is the amended text (the court republishes
    the amended documents under the decision's date)."""

    title: str
    by: str
    made: date | None
    when: date | None


def find_amendments(docs: Iterable[CorpusDoc]) -> dict[str, Amendment]:
    """Titles (as :func:`title_key`) amended by a 修改决定 of the corpus, latest decision kept."""
    found: dict[str, Amendment] = {}
    for doc in docs:
        if doc.law.kind != "修改决定":
            continue
        made = doc.law.version_date
        when = doc.law.effective_date or made
        titles = [
            m.group(1)
            for art in doc.articles
            for line in art.text.split("\n")
            if (m := _AMENDED_ITEM_RE.match(line.strip()))
        ]
        if not titles and (single := _AMENDED_TITLE_RE.search(doc.law.name)):
            titles = [single.group(1)]
        for title in titles:
            key = title_key(title)
            earlier = found.get(key)
            if earlier is None or (made and earlier.made and made > earlier.made):
                found[key] = Amendment(title, doc.law.name, made, when)
    return found


def series_key(name: str) -> tuple[str, int]:
    """``(the title without its series number and 若干, the number)``: 0 when unnumbered."""
    key = title_key(name).replace("若干", "")
    match = _SERIES_NO_RE.search(key)
    if match is None:
        return key, 0
    return key[: match.start()], cn_to_int(match.group(1)) or 0


def find_new_series(docs: Iterable[CorpusDoc]) -> dict[str, CorpusDoc]:
    """Keys (``CorpusDoc.law.key``) of interpretations replaced by a new series → the new （一）."""
    groups: dict[str, list[tuple[int, CorpusDoc]]] = defaultdict(list)
    for doc in docs:
        if doc.law.kind == "司法解释" and doc.law.status == STATUS_IN_FORCE:
            stem, number = series_key(doc.law.name)
            groups[stem].append((number, doc))
    out: dict[str, CorpusDoc] = {}
    for members in groups.values():
        newest_no, newest = max(members, key=lambda m: m[1].law.version_date or date.min)
        if newest_no != 1 or max(n for n, _ in members) < 2:
            continue
        for _number, doc in members:
            older = (doc.law.version_date or date.min) < (newest.law.version_date or date.min)
            if doc is not newest and older:
                out[doc.law.key] = newest
    return out


def stated_basis(preamble: str) -> list[str]:
    """The laws a preamble names as its basis (``[]`` when it names none)."""
    match = _BASIS_RE.search(preamble)
    return _TITLE_RE.findall(match.group(1)) if match else []


def holds_civil_code_review(docs: Iterable[CorpusDoc]) -> bool:
    """Whether the corpus holds the court's repeal decision of the 民法典 clean-up (a 最高人民法院
    decision repealing 司法解释, adopted on :data:`CIVIL_CODE_REVIEW` or later). With it, rule 5
    has nothing to doubt: what that decision does not list was kept or amended."""
    return any(
        d.law.kind == "修改决定"
        and d.law.name.startswith("最高人民法院")
        and "废止" in d.law.name
        and "司法解释" in d.law.name
        and (d.law.version_date or date.min) >= CIVIL_CODE_REVIEW
        for d in docs
    )


def doubtful_basis(doc: CorpusDoc, repealed_laws: Mapping[str, str]) -> list[str] | None:
    """The stated basis of ``doc`` when it is rule 5's case (see the module docstring): an
    interpretation older than :data:`CIVIL_CODE_REVIEW` resting only on laws the 民法典
    repealed (``repealed_laws``' notes name the repealing law); else ``None``."""
    version = doc.law.version_date
    if doc.law.kind != "司法解释" or version is None or version >= CIVIL_CODE_REVIEW:
        return None
    basis = stated_basis(doc.preamble)
    by_code = [repealed_laws.get(normalise(title), "") for title in basis]
    if basis and all("民法典" in note for note in by_code):
        return basis
    return None


def _quoted(title: str) -> str:
    """《title》, with the title's own 《》 as 〈〉 so the brackets nest as in print."""
    return "《" + title.replace("《", "〈").replace("》", "〉") + "》"


def _since(when: date | None) -> str:
    return f"（自{when.isoformat()}起）" if when else ""


@dataclass(frozen=True)
class _Evidence:
    """What the whole corpus says, read once for every document's decision."""

    repeals: dict[str, Repeal]
    amendments: dict[str, Amendment]
    series: dict[str, CorpusDoc]
    laws: Mapping[str, str]
    doubt: bool


def apply_statuses(
    docs: list[CorpusDoc], repealed_laws: Mapping[str, str] | None = None
) -> list[CorpusDoc]:
    """The documents with their status decided by the rules of this module (see its docstring).

    ``repealed_laws`` maps a national law's normalised name to a note ("已于…被《民法典》废止").
    """
    evidence = _Evidence(
        find_repeals(docs),
        find_amendments(docs),
        find_new_series(docs),
        repealed_laws or {},
        not holds_civil_code_review(docs),
    )
    out: list[CorpusDoc] = []
    for doc in docs:
        law = doc.law
        if law.status != STATUS_IN_FORCE or law.kind == "修改决定":
            out.append(doc)
            continue
        status, note = _decide(doc, evidence)
        if status == law.status:
            out.append(doc)
        else:
            out.append(replace(doc, law=replace(law, status=status, note=note)))
    return out


def _decide(doc: CorpusDoc, ev: _Evidence) -> tuple[str, str | None]:
    """``(status, note)`` of one document in force as read, by the rules, most specific first."""
    law = doc.law
    version = law.version_date or date.min
    key = title_key(law.name)
    repeal = ev.repeals.get(key)
    applied = _APPLIES_LAW_RE.search(law.name)
    basis = ev.laws.get(normalise(applied.group(1))) if applied else None
    same_name = ev.laws.get(normalise(law.name))
    amended = ev.amendments.get(key)
    if repeal and repeal.by != law.name and (repeal.when is None or version < repeal.when):
        note = f"已被{_quoted(repeal.by)}废止{_since(repeal.when)}"
        if law.key in ev.series:  # and replaced by a new series: say where the rule is now
            note += f"，现行规定见{_quoted(short_title(ev.series[law.key].law.name))}"
        elif applied and basis is not None:  # and why: the law it interpreted is gone
            note += f"（所解释的《{applied.group(1)}》{basis}）"
        return STATUS_REPEALED, note
    if applied and basis is not None:
        return STATUS_REPEALED, f"所解释的《{applied.group(1)}》{basis}，本解释随之失效"
    if same_name is not None:
        return STATUS_REPEALED, same_name
    if law.key in ev.series:
        new = ev.series[law.key].law
        when = new.effective_date or new.version_date
        return STATUS_REPEALED, f"已被重新编号的{_quoted(short_title(new.name))}取代{_since(when)}"
    if ev.doubt and (basis_laws := doubtful_basis(doc, ev.laws)) is not None:
        named = "".join(f"《{short_title(t)}》" for t in basis_laws)
        return STATUS_UNVERIFIED, (
            f"所依据的{named}已被《民法典》废止，知识库中没有本解释此后修改或重新发布的版本；"
            "最高人民法院2020年12月29日的司法解释清理决定未收录，是否仍然有效请核实"
        )
    if amended and amended.made and version < amended.made:
        return STATUS_AMENDED, (
            f"已被{_quoted(amended.by)}修改{_since(amended.when)}，"
            "修改后的文本未收录，请核对最新文本"
        )
    return law.status, law.note
