"""The shipped legal corpus: judicial interpretations, State Council regulations, ministry rules,
Chongqing's local regulations and typical cases, read from ``legal_kb/data/legal-corpus.tar.xz``
(or from an unpacked directory of the same layout).

Layout (see the archive's ``legal-corpus/README.md``): one Markdown file per document version,
``FOLDER/TITLE(YYYY-MM-DD).md``; a ``# title`` line, optional ``# subtitle`` lines, dated history
lines ("2020年12月23日 最高人民法院审判委员会第1823次会议通过", "2021年1月1日 施行"), the marker
``<!-- INFO END -->`` and the body (Markdown headings for 编/章/节, articles as paragraphs starting
``第X条``). ``_index.md`` files are folder indexes.

Why the header lines and not the file name decide the version: the same version is present under
two file dates (a re-publication), and a file without a date in its name still has its history.
A version is identified by its latest dated event other than 施行; within one title the newest
version is current (现行有效) and the others are 历史版本 with a note naming the version that
replaced them. Whether a current version is still law (repealed by a later document, an
interpretation of a repealed law, replaced by a new series, amended) is decided by
:func:`apply_repeals` (:mod:`legal_kb.importers.statuses`), once the national laws are in the
base.

Typical cases (``案例/FIELD/*.md``) are split into facts (基本案情, with the claims), outcome
(裁判结果), analysis (案例分析, 典型意义 …) and the articles they cite; the citations are checked
against the base at import (:mod:`legal_kb.imports`).
"""

from __future__ import annotations

import hashlib
import io
import lzma
import re
import tarfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path, PurePosixPath

from legal_kb.importers import ImportFormatError
from legal_kb.importers.statuses import apply_statuses, canonical_title, title_key
from legal_kb.importers.structure import split_articles
from legal_kb.models import STATUS_HISTORICAL, STATUS_IN_FORCE
from legal_kb.records import ArticleInput, LawRecord

#: The corpus as the product ships it (built by :func:`pack` from ``../shared/legal-corpus``).
ARCHIVE = Path(__file__).resolve().parents[1] / "data" / "legal-corpus.tar.xz"
#: The collection's date (README: LawRefBook/Laws at 2f4c5c2, 2025-04-19): statuses are as of it.
AS_OF = date(2025, 4, 19)
SOURCE_PREFIX = "legal-corpus"
#: Version of the reading rules below: part of the corpus version recorded at import, so that
#: a release that reads the same archive differently imports it again on its first start.
READER_VERSION = 4  # 4: statuses rule 5 (效力待核实)

#: Top folder → document kind (the vocabulary of ``kb_law.kind``).
FOLDER_KINDS: dict[str, str] = {
    "司法解释": "司法解释",
    "行政法规": "行政法规",
    "部门规章": "部门规章",
    "重庆地方性法规": "地方性法规",
}
#: Top folder → the region whose local rules it holds.
FOLDER_REGIONS: dict[str, str] = {"重庆地方性法规": "重庆"}
CASES_FOLDER = "案例"


def regions_in(texts: Iterable[str]) -> tuple[str, ...]:
    """The regions the corpus has local regulations for that any of ``texts`` mentions (a
    unit's name, address, court or areas: "重庆市渝中区…" → ("重庆",))."""
    known = sorted(set(FOLDER_REGIONS.values()))
    return tuple(r for r in known if any(r in t for t in texts))


INFO_END = "<!-- INFO END -->"

_EVENT_RE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_FILE_DATE_RE = re.compile(r"\((\d{4}-\d{2}-\d{2})\)$")
_EFFECTIVE_IN_BODY_RE = re.compile(
    r"自\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*起\s*施行"
)
_CONGRESS_RE = re.compile(r"([\u4e00-\u9fff]{2,30}?人民代表大会(?:常务委员会)?)")
#: A document that only amends or repeals others ("最高人民法院关于修改《…》等二十七件…的决定",
#: "国务院关于修改和废止部分行政法规的决定"): kept for the record, not searched, like laws.db's
#: 修改决定.
_AMENDING_RE = re.compile(r"关于(?:修改|废止|修改和废止|废止和修改)[^。]*的决定$")


#: Where a preamble ends: the first article, or a numbered part ("一、问：…") of a 解答.
_PREAMBLE_END_RE = re.compile(
    r"\s*(?:第[一二三四五六七八九十百千零〇\d]+条|[一二三四五六七八九十]+、)"
)


@dataclass(frozen=True)
class Event:
    """One dated line of a document's history."""

    when: date
    what: str

    @property
    def effective(self) -> bool:
        return "施行" in self.what or "生效" in self.what


@dataclass(frozen=True)
class CorpusDoc:
    """One document version as read from its file."""

    path: str
    law: LawRecord
    articles: tuple[ArticleInput, ...]
    #: The text between the header and the first article or heading ("为正确审理…，根据《…》
    #: …，制定本解释。"): the basis the document states, read by the status rules.
    preamble: str = ""


@dataclass(frozen=True)
class CorpusCase:
    """A typical case as read (citations not yet checked)."""

    path: str
    key: str
    title: str
    field: str
    facts: str
    outcome: str
    analysis: str
    citations_text: str
    source: str | None


@dataclass
class CorpusBatch:
    """Everything read from the corpus, and the files that could not be read (with why)."""

    docs: list[CorpusDoc] = field(default_factory=list)
    cases: list[CorpusCase] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    duplicates: int = 0


# -- reading files -----------------------------------------------------------------------------
def iter_files(source: Path) -> Iterator[tuple[str, str]]:
    """``(path relative to the corpus root, text)`` of every Markdown file, in name order."""
    if source.is_dir():
        for path in sorted(source.rglob("*.md")):
            yield path.relative_to(source).as_posix(), path.read_text(encoding="utf-8-sig")
        return
    if not source.is_file():
        raise ImportFormatError(source, None, "corpus not found")
    try:
        with tarfile.open(source, "r:*") as tar:
            members = sorted((m for m in tar.getmembers() if m.isfile()), key=lambda m: m.name)
            for member in members:
                parts = PurePosixPath(member.name).parts
                if not member.name.endswith(".md") or len(parts) < 2:
                    continue
                handle = tar.extractfile(member)
                if handle is None:
                    continue
                text = handle.read().decode("utf-8-sig")
                yield PurePosixPath(*parts[1:]).as_posix(), text
    except (tarfile.TarError, lzma.LZMAError, EOFError) as exc:
        raise ImportFormatError(source, None, f"not a readable corpus archive: {exc}") from exc


def import_version(source: Path) -> str:
    """What an import of ``source`` by this code is: reader version and corpus hash."""
    return f"r{READER_VERSION}-{corpus_hash(source)}"


def corpus_hash(source: Path) -> str:
    """SHA-256 of the archive (or of a directory's files): the corpus version."""
    digest = hashlib.sha256()
    if source.is_file():
        with source.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()
    for rel, text in iter_files(source):
        digest.update(rel.encode())
        digest.update(text.encode())
    return digest.hexdigest()


def pack(src: Path, dest: Path) -> Path:
    """Write ``src`` (a ``legal-corpus`` directory) as a reproducible ``.tar.xz`` at ``dest``.

    Sorted names, fixed owner and time, so the same corpus always gives the same bytes (and hash).
    """
    files = sorted(p for p in src.rglob("*") if p.is_file() and not p.name.startswith("."))
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in files:
            data = path.read_bytes()
            info = tarfile.TarInfo(f"{SOURCE_PREFIX}/{path.relative_to(src).as_posix()}")
            info.size = len(data)
            info.mtime = 1745020800  # 2025-04-19, the collection's date
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".tmp")
    tmp.write_bytes(lzma.compress(buf.getvalue(), preset=9 | lzma.PRESET_EXTREME))
    tmp.replace(dest)
    return dest


# -- headers -----------------------------------------------------------------------------------
def _split_header(text: str) -> tuple[list[str], list[str], list[str]]:
    """``(title lines, history lines, body lines)``; no marker → no history."""
    lines = text.splitlines()
    try:
        end = lines.index(INFO_END)
    except ValueError:
        end = -1
    head, body = (lines[:end], lines[end + 1 :]) if end >= 0 else ([], lines)
    titles = [ln.lstrip("#").strip() for ln in head if ln.startswith("#")]
    history = [ln.strip() for ln in head if ln.strip() and not ln.startswith("#")]
    if not titles:
        first = next((ln for ln in body if ln.startswith("# ")), None)
        if first is not None:
            titles = [first.lstrip("#").strip()]
    return titles, history, body


def parse_events(history: Iterable[str]) -> list[Event]:
    """The dated events of the history lines (a line may hold several: "… 根据 2019年…")."""
    events: list[Event] = []
    for line in history:
        matches = list(_EVENT_RE.finditer(line))
        for i, match in enumerate(matches):
            end = matches[i + 1].start() if i + 1 < len(matches) else len(line)
            try:
                when = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            except ValueError:
                continue
            events.append(Event(when, line[match.end() : end].strip(" ，,。（）()")))
    return events


def _issuing_body(kind: str, folder_parts: tuple[str, ...], history: str, title: str) -> str | None:
    if kind == "司法解释":
        court = "最高人民法院" in history or title.startswith(("最高人民法院", "人民法院"))
        procuratorate = "最高人民检察院" in history or "人民检察院" in title[:12]
        bodies = [n for n, on in (("最高人民法院", court), ("最高人民检察院", procuratorate)) if on]
        return "、".join(bodies) or None
    if kind == "行政法规":
        if "中央军事委员会" in history or "中央军委" in history:
            return "国务院、中央军事委员会"
        return "国务院"
    if kind == "部门规章":
        return folder_parts[1] if len(folder_parts) > 2 else None
    if kind == "地方性法规":
        match = _CONGRESS_RE.search(history)
        return match.group(1) if match else None
    return None


def _dates(
    events: list[Event], file_date: date | None, articles: Iterable[ArticleInput]
) -> tuple[date | None, date | None, date | None]:
    """``(publish, effective, version)`` from the history, the file name and the last article."""
    made = [e.when for e in events if not e.effective]
    version = max(made) if made else file_date
    published = next(
        (e.when for e in reversed(events) if ("公布" in e.what or "发布" in e.what)), None
    )
    effective = max((e.when for e in events if e.effective), default=None)
    if effective is None or (version is not None and effective < version):
        # "本解释自2021年1月1日起施行" in the text itself, else: in force from publication.
        body = [m for a in articles for m in _EFFECTIVE_IN_BODY_RE.finditer(a.text)]
        if body:
            m = body[-1]
            try:
                effective = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                effective = None
        else:
            effective = None
    if version is None:
        version = published or effective
    return published or version, effective, version


def _whole_text(body: list[str]) -> list[ArticleInput]:
    """A document without numbered articles (a 批复, a 决定): one item holding the text."""
    paras = [ln.strip() for ln in body if ln.strip() and not ln.startswith("#")]
    text = "\n".join(paras).strip()
    return [ArticleInput("全文", None, 0, text)] if text else []


def read_document_text(rel: str, text: str) -> CorpusDoc:
    """One statute file of the corpus (raises :class:`ImportFormatError` when unreadable)."""
    parts = PurePosixPath(rel).parts
    kind = FOLDER_KINDS[parts[0]]
    titles, history, body = _split_header(text)
    if not titles:
        raise ImportFormatError(rel, 1, "no '# title' line")
    name = canonical_title(titles[0])
    if _AMENDING_RE.search(name):
        kind = "修改决定"
    lines = [(i, _strip_md(ln)) for i, ln in enumerate(body, start=1)]
    try:
        articles = split_articles(lines, Path(rel))
    except ImportFormatError as exc:
        if "no article" not in exc.reason:
            raise
        articles = _whole_text(body)
        if not articles:
            raise
    events = parse_events(history)
    file_match = _FILE_DATE_RE.search(PurePosixPath(rel).stem)
    file_date = date.fromisoformat(file_match.group(1)) if file_match else None
    published, effective, version = _dates(events, file_date, articles)
    joined = " ".join(history)
    stamp = version.isoformat() if version else "undated"
    key = "corpus:" + hashlib.sha1(f"{kind}|{name}|{stamp}".encode()).hexdigest()[:16]
    law = LawRecord(
        key=key,
        name=name,
        kind=kind,
        status=STATUS_IN_FORCE,
        source=f"{SOURCE_PREFIX}/{rel}",
        issuing_body=_issuing_body(kind, parts, joined, name),
        department=parts[1] if kind == "部门规章" and len(parts) > 2 else None,
        publish_date=published,
        effective_date=effective,
        version_date=version,
        region=FOLDER_REGIONS.get(parts[0]),
    )
    return CorpusDoc(rel, law, tuple(articles), _preamble(body))


def _preamble(body: Iterable[str]) -> str:
    """The body's text before its first article or heading (see :attr:`CorpusDoc.preamble`)."""
    out: list[str] = []
    for text in body:
        if text.startswith("#") or _PREAMBLE_END_RE.match(text):
            break
        out.append(text.strip())
    return "".join(out)


def _strip_md(line: str) -> str:
    s = line.strip()
    if s.startswith("#"):
        s = s.lstrip("#").strip()
    return s.replace("**", "")


# -- typical cases -----------------------------------------------------------------------------
_FACTS = ("基本案情", "简要案情", "案情回顾", "案情")
_CLAIMS = ("原告诉讼请求", "诉讼请求", "申请人请求")
_OUTCOME = ("裁判结果", "处理结果", "法院裁判", "审理结果")
_ANALYSIS = (
    "案例分析",
    "适用解析",
    "裁判要旨",
    "裁判要点",
    "法官解读",
    "裁判理由",
    "典型意义",
    "司法解释相关法条",
)


def read_case_text(rel: str, text: str) -> CorpusCase:
    """One typical case: its sections by heading (unknown headings: the case's own name)."""
    parts = PurePosixPath(rel).parts
    titles, history, body = _split_header(text)
    if not titles:
        raise ImportFormatError(rel, 1, "no '# title' line")
    sections: dict[str, list[str]] = defaultdict(list)
    current = "preamble"
    names: list[str] = []
    for line in body:
        if line.startswith("## "):
            heading = line[3:].strip()
            current = next(
                (
                    group
                    for group, words in (
                        ("facts", _FACTS),
                        ("claims", _CLAIMS),
                        ("outcome", _OUTCOME),
                        ("analysis", _ANALYSIS),
                    )
                    if heading in words
                ),
                "other",
            )
            if current == "other":
                names.append(heading)
                current = "facts" if not sections["facts"] else current
            continue
        if line.strip():
            sections[current].append(_strip_md(line))
    facts = "\n".join(sections["facts"] or sections["preamble"] or sections["other"])
    if sections["claims"]:
        facts += "\n诉讼请求：" + "\n".join(sections["claims"])
    outcome = "\n".join(sections["outcome"])
    analysis = "\n".join(sections["analysis"])
    if not facts.strip():
        raise ImportFormatError(rel, None, "no 基本案情 (facts) section")
    if not outcome.strip():
        # Some cases state the result inside the analysis only.
        outcome = analysis
    if not outcome.strip():
        raise ImportFormatError(rel, None, "no 裁判结果 (outcome) section")
    title = titles[0]
    if names:
        title = f"{title}（{names[0]}）"
    source = " ".join(history) or None
    key = "corpus-case:" + hashlib.sha1(rel.encode()).hexdigest()[:16]
    return CorpusCase(
        path=rel,
        key=key,
        title=title,
        field=parts[1] if len(parts) > 2 else "",
        facts=facts.strip(),
        outcome=outcome.strip(),
        analysis=analysis.strip(),
        citations_text="\n".join([facts, outcome, analysis]),
        source=f"{SOURCE_PREFIX}/{rel}" + (f"（{source}）" if source else ""),
    )


# -- the whole corpus --------------------------------------------------------------------------
def read_corpus(source: Path = ARCHIVE) -> CorpusBatch:
    """Every document and case of the corpus, with versions and statuses assigned.

    Files that cannot be read are listed in ``skipped`` (path, reason) rather than stopping the
    import: the corpus is third-party data and one broken file must not keep out the rest.
    """
    batch = CorpusBatch()
    for rel, text in iter_files(source):
        parts = PurePosixPath(rel).parts
        if parts[-1] == "_index.md" or parts[-1] == "README.md" or len(parts) < 2:
            continue
        try:
            if parts[0] == CASES_FOLDER:
                batch.cases.append(read_case_text(rel, text))
            elif parts[0] in FOLDER_KINDS:
                batch.docs.append(read_document_text(rel, text))
        except ImportFormatError as exc:
            batch.skipped.append((rel, exc.reason))
    batch.docs, batch.duplicates = assign_versions(batch.docs)
    return batch


def assign_versions(docs: list[CorpusDoc]) -> tuple[list[CorpusDoc], int]:
    """One document per (title, version); the newest version current, the others historical.

    Two files of the same version (same title and version date) are one version: the one with
    more articles is kept (a re-publication sometimes lacks its structure), then the one whose
    title names the issuing court (a title is sometimes filed without it: "关于审理使用人脸识别
    技术…的规定" beside "最高人民法院关于审理使用人脸识别技术…的规定").
    """
    groups: dict[tuple[str, str], dict[date | None, CorpusDoc]] = defaultdict(dict)
    duplicates = 0

    def rank(d: CorpusDoc) -> tuple[int, int, str]:
        return len(d.articles), len(d.law.name), d.path

    for doc in docs:
        group = groups[(doc.law.kind, title_key(doc.law.name))]
        other = group.get(doc.law.version_date)
        if other is not None:
            duplicates += 1
            if rank(other) >= rank(doc):
                continue
        group[doc.law.version_date] = doc
    out: list[CorpusDoc] = []
    for versions in groups.values():
        ordered = sorted(versions.values(), key=lambda d: d.law.version_date or date.min)
        newest = ordered[-1]
        for doc in ordered[:-1]:
            when = newest.law.version_date.isoformat() if newest.law.version_date else "较新"
            note = f"已被{when}的版本取代"
            out.append(replace(doc, law=replace(doc.law, status=STATUS_HISTORICAL, note=note)))
        out.append(newest)
    out.sort(key=lambda d: d.path)
    return out, duplicates


def apply_repeals(
    docs: list[CorpusDoc], repealed_laws: Mapping[str, str] | None = None
) -> list[CorpusDoc]:
    """Each current document's status as the corpus and the national laws establish it
    (repealed, replaced by a new series, amended): see :mod:`legal_kb.importers.statuses`.

    ``repealed_laws`` maps a national law's normalised name to a note ("已于…被《民法典》废止").
    """
    return apply_statuses(docs, repealed_laws)
