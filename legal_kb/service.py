"""The knowledge base as the rest of the service uses it: one async object, :class:`KnowledgeBase`.

Public API (all coroutines unless marked; none blocks the event loop — CPU work runs in a
worker thread, the database through :class:`storage.db.Database`)::

    kb = KnowledgeBase(db, settings.data_dir)           # encoder=None: keyword search only
    await kb.start()                                     # loads/builds indexes; dense in background
    await kb.search(question, top=10, filters=SearchFilters(laws=("民法典",),
                                                            dispute_type="marriage_family"))
        -> list[Hit]       # law, law_short, article_no (第一千零八十四条), number, suffix,
                           # chapter, section, text, highlights [(start, end)], status, score, via
    await kb.lookup("民法典1084条")          -> CitationCheck | None   (None: no citation in it)
    await kb.extract_citations(text)         -> list[Citation]
    await kb.check_citations(text)           -> list[CitationCheck]   # exists? in force? why not?
    await kb.current_text("劳动合同法", "第三十条") -> Article | None
    await kb.articles_for_dispute("labour_wages", summary, top=5) -> list[Hit]
    await kb.key_rules(question, "private_lending") -> list[Hit]  # 利息上限 in 民间借贷规定 …
    await kb.similar_cases(summary, dispute_type=None, top=3) -> list[Case]
    await kb.add_cases([CaseInput(...)])    -> ImportStats
    kb.status()                              -> KbStatus  (sync; for health pages)
    await kb.close()

Why the content-version dance: imports may happen in another process (``main.py kb import``);
searches notice a new ``kb_meta.content_version`` (checked at most every
``refresh_seconds``) and swap in a rebuilt index without stopping.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TypeVar

from legal_kb import checks, index, lay, rules, store
from legal_kb.checks import CitationCheck
from legal_kb.citations import Citation, extract_citations
from legal_kb.dense import Encoder, ShippedVectors, VectorCache, build_matrix
from legal_kb.engine import SearchEngine, SearchFilters
from legal_kb.names import NameResolver
from legal_kb.numerals import parse_article_no
from legal_kb.records import Article, Case, CaseInput, Hit
from legal_kb.similar import rank_cases
from storage.db import Database

log = logging.getLogger("legal_kb")
T = TypeVar("T")
Progress = Callable[[str], None]


@dataclass(frozen=True)
class KbStatus:
    """What the KB can do right now."""

    version: str | None
    keyword_ready: bool
    dense_ready: bool
    dense_done: int
    dense_total: int


@dataclass
class _Catalog:
    resolver: NameResolver
    repeals: dict[str, checks.Repeal]


class KnowledgeBase:
    """Statutes, cases, search and citation checks for the service (see the module docstring).

    ``regions``: where the service's units are (e.g. ``("重庆",)``): only these regions' local
    regulations are searched. ``encoder``: the dense model (``legal_kb.dense.E5Encoder()`` in production; ``None`` for
    keyword search only). ``progress`` receives human-readable progress lines; it is called
    from worker threads too, so it must be thread-safe (the default logs).
    """

    def __init__(
        self,
        db: Database,
        data_dir: Path,
        *,
        encoder: Encoder | None = None,
        progress: Progress | None = None,
        refresh_seconds: float = 30.0,
        today: Callable[[], date] = date.today,
        regions: Sequence[str] = (),
    ) -> None:
        self.db = db
        self.root = data_dir / "kb"
        self.encoder = encoder
        self._progress = progress or (lambda message: log.info("%s", message))
        self._refresh_seconds = refresh_seconds
        self._today = today
        #: Regions whose local regulations are searched (the units'); others' never are.
        self.regions = tuple(regions)
        self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="kb")
        self._engine: SearchEngine | None = None
        self._version: str | None = None
        self._catalog: _Catalog | None = None
        self._db_version: str | None = None
        self._checked_at = 0.0
        self._swap = asyncio.Lock()
        self._dense_thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._dense_progress = (0, 0)

    # -- lifecycle -----------------------------------------------------------------------
    async def _run(self, fn: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def start(self) -> None:
        """Load (or build) the index of the current content; start the dense build if needed."""
        self._checked_at = 0.0
        await self._get_engine()

    async def refresh(self) -> None:
        """Re-read the content version now (after an import in this process) and reload."""
        self._checked_at = 0.0
        await self._get_engine()

    async def close(self) -> None:
        """Stop background work and release the worker threads."""
        self._stop.set()
        if self._dense_thread is not None:
            await asyncio.to_thread(self._dense_thread.join)
        await asyncio.to_thread(self._executor.shutdown, True)

    async def _current_version(self) -> str | None:
        """The content version, re-read from the database at most every ``refresh_seconds``."""
        now = time.monotonic()
        if self._checked_at and now - self._checked_at < self._refresh_seconds:
            return self._db_version
        async with self.db.read() as session:
            version = await store.get_content_version(session)
        self._checked_at = now
        if version != self._db_version:
            self._db_version = version
            self._catalog = None
        return version

    async def _get_engine(self) -> SearchEngine | None:
        version = await self._current_version()
        if version == self._version:
            return self._engine
        async with self._swap:
            if version != self._version:
                await self._load(version)
        return self._engine

    async def _load(self, version: str | None) -> None:
        if version is None:
            self._engine, self._version = None, None
            return
        if not index.is_built(self.root, version):
            async with self.db.read() as session:
                docs = await store.index_docs(session)
            await self._run(index.build, self.root, version, docs, self._progress)
        engine = await self._run(SearchEngine, index.index_dir(self.root, version))
        engine.set_regions(self.regions)
        self._engine, self._version = engine, version
        self._progress(f"keyword search ready ({len(engine.docs)} articles)")
        if self.encoder is not None:
            self._start_dense(engine, self.encoder)

    def _start_dense(self, engine: SearchEngine, encoder: Encoder) -> None:
        # An older build (previous content version) stops at its next chunk; no waiting here,
        # this runs on the event loop.
        self._stop.set()
        self._stop = threading.Event()
        stop = self._stop

        def report(done: int, total: int) -> None:
            self._dense_progress = (done, total)
            if total and (done == total or done % 2048 < 256):
                self._progress(f"dense index: {done}/{total} articles encoded")

        def work() -> None:
            try:
                cache = VectorCache(
                    self.root / "dense" / encoder.model_id, ShippedVectors.for_encoder(encoder)
                )
                matrix = build_matrix(
                    engine.passages(), encoder, cache, progress=report, should_stop=stop.is_set
                )
                if matrix is None or stop.is_set():
                    return
                evidence = lay.build(
                    engine.docs,
                    encoder,
                    VectorCache(self.root / "dense" / lay.cache_name(encoder.model_id)),
                    should_stop=stop.is_set,
                )
                if evidence is not None and not stop.is_set():
                    engine.attach_dense(encoder, matrix, lay=evidence)
                    log.info("dense search: %d written lay questions", evidence.count)
                    self._progress("dense search ready")
            except Exception:
                log.exception("building the dense index failed; keyword search continues")

        self._dense_thread = threading.Thread(target=work, name="kb-dense", daemon=True)
        self._dense_thread.start()

    def set_regions(self, regions: Sequence[str]) -> None:
        """Search these regions' local regulations from now on (the units' regions)."""
        self.regions = tuple(regions)
        if self._engine is not None:
            self._engine.set_regions(self.regions)

    def status(self) -> KbStatus:
        engine = self._engine
        done, total = self._dense_progress
        return KbStatus(
            version=self._version,
            keyword_ready=engine is not None,
            dense_ready=engine is not None and engine.dense_ready,
            dense_done=done,
            dense_total=total,
        )

    async def _get_catalog(self) -> _Catalog:
        await self._current_version()
        catalog = self._catalog
        if catalog is None:
            async with self.db.read() as session:
                laws = await store.law_catalog(session)
                repeal_text = await store.articles_containing(session, "同时废止")
            catalog = _Catalog(
                NameResolver(law.name for law in laws), checks.find_repeals(repeal_text)
            )
            self._catalog = catalog
        return catalog

    # -- search --------------------------------------------------------------------------
    async def search(
        self, question: str, top: int = 10, filters: SearchFilters | None = None
    ) -> list[Hit]:
        """Articles answering a lay question, best first (empty before anything is imported)."""
        engine = await self._get_engine()
        if engine is None or not question.strip():
            return []
        return await self._run(engine.search, question, top, filters)

    async def key_rules(
        self, text: str, dispute_type: str | None = None, top: int = 2
    ) -> list[Hit]:
        """The articles holding the rules ``text`` asks about (:mod:`legal_kb.rules`): the
        interest cap, damages standards, time limits…, from the interpretation that holds them
        (else the law named next), in force, best first; at most one per topic."""
        out: list[Hit] = []
        for topic in rules.topics_for(text, dispute_type):
            for document in topic.documents:
                query = f"{text} {' '.join(topic.terms)}"
                hits = await self.search(query, 3, SearchFilters(laws=(document,)))
                hit = next(
                    (h for h in hits if h.in_force and any(t in h.text for t in topic.terms)),
                    None,
                )
                if hit is not None:
                    if all(h.id != hit.id for h in out):
                        out.append(hit)
                    break
            if len(out) >= top:
                break
        return out

    async def articles_for_dispute(
        self, dispute_type: str, summary: str, top: int = 5
    ) -> list[Hit]:
        """The articles most relevant to a dispute of ``dispute_type`` described by ``summary``."""
        return await self.search(summary, top, SearchFilters(dispute_type=dispute_type))

    # -- citations -----------------------------------------------------------------------
    async def extract_citations(self, text: str) -> list[Citation]:
        """Every citation in ``text`` (laws resolved against the KB, unknown ones kept)."""
        catalog = await self._get_catalog()
        return await self._run(extract_citations, text, catalog.resolver)

    async def check_citations(self, text: str) -> list[CitationCheck]:
        """Every citation in ``text`` with its verdict: exists, in force, and why not."""
        catalog = await self._get_catalog()
        found = await self._run(extract_citations, text, catalog.resolver)
        return [await self._check(c, catalog) for c in found]

    async def lookup(self, citation: str) -> CitationCheck | None:
        """The article cited by ``citation`` in any usual form; ``None`` if it cites nothing."""
        found = await self.extract_citations(citation)
        if not found:
            return None
        return await self._check(found[0], await self._get_catalog())

    async def _check(self, citation: Citation, catalog: _Catalog) -> CitationCheck:
        versions: list[Article] = []
        if citation.law is not None:
            async with self.db.read() as session:
                versions = await store.find_article_versions(
                    session, citation.law, citation.number, citation.suffix
                )
        return checks.check(citation, versions, catalog.repeals, self._today())

    async def current_text(self, law: str, article_no: str | int) -> Article | None:
        """The text of an article that applies today (any written law name; 第三十条 or 30)."""
        catalog = await self._get_catalog()
        full = catalog.resolver.resolve(law)
        if full is None:
            return None
        parsed = (article_no, 0) if isinstance(article_no, int) else parse_article_no(article_no)
        if parsed is None:
            return None
        async with self.db.read() as session:
            versions = await store.find_article_versions(session, full, *parsed)
        cited = Citation(law, 0, 0, law, full, parsed[0], parsed[1])
        verdict = checks.check(cited, versions, catalog.repeals, self._today())
        return verdict.article if verdict.in_force else None

    # -- cases ---------------------------------------------------------------------------
    async def similar_cases(
        self, text: str, dispute_type: str | None = None, top: int = 3
    ) -> list[Case]:
        """Typical cases most similar to a dispute description (of that type, if given)."""
        async with self.db.read() as session:
            cases = await store.list_cases(session, dispute_type)
        return await self._run(rank_cases, text, cases, top)

    async def add_cases(self, cases: Sequence[CaseInput]) -> store.ImportStats:
        """Add or update typical cases (e.g. from the staff console), in one transaction."""
        async with self.db.write() as session:
            return await store.upsert_cases(session, cases)
