"""Reading and writing the KB tables: the only module that issues SQL for the knowledge base.

Writes are idempotent and run inside the caller's transaction (``async with db.write()``), so an
import is all-or-nothing: a law whose content hash is unchanged is skipped, a changed one has
its row updated and its articles replaced, and any change bumps ``kb_meta.content_version`` so
the search indexes derived from these rows know to rebuild. Articles go in with Core
``insert()`` executemany in batches (26 k rows in seconds on both SQLite and PostgreSQL).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, Table, delete, insert, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from legal_kb.models import IN_FORCE_STATUSES, KbArticle, KbCase, KbLaw, KbMeta
from legal_kb.records import Article, ArticleInput, Case, CaseInput, IndexDoc, LawRecord
from storage.base import Base, utcnow
from storage.db import Database

CONTENT_VERSION = "content_version"
#: Kinds of documents that only amend other laws: kept for the record, not searched.
AMENDING_KINDS = frozenset({"修正案", "修改决定"})
_BATCH = 2000

Progress = Callable[[int, int], None]


@dataclass
class ImportStats:
    """What an import changed."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    articles: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated)

    def __str__(self) -> str:
        return (
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.articles} articles written"
        )


@dataclass(frozen=True)
class LawInfo:
    """A law version as the name resolver and citation check need it."""

    id: int
    name: str
    kind: str
    status: str
    effective_date: date | None
    version_date: date | None = None
    region: str | None = None
    note: str | None = None


def _hash(payload: Any) -> str:
    data = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(data.encode()).hexdigest()


def law_hash(law: LawRecord, articles: Sequence[ArticleInput]) -> str:
    """Content hash of a law version (source line numbers excluded: moving text is no change)."""
    arts = [(a.article_no, a.number, a.suffix, a.chapter, a.section, a.text) for a in articles]
    meta = asdict(law)
    for optional in ("region", "note"):  # absent before issue 22: unchanged laws keep their hash
        if meta[optional] is None:
            del meta[optional]
    return _hash([meta, arts])


async def get_content_version(session: AsyncSession) -> str | None:
    """The current content version, ``None`` for an empty KB."""
    row = await session.get(KbMeta, CONTENT_VERSION)
    return None if row is None else row.value


async def bump_content_version(session: AsyncSession) -> str:
    """Give the KB a new content version (within the caller's transaction)."""
    version = uuid.uuid4().hex
    row = await session.get(KbMeta, CONTENT_VERSION)
    if row is None:
        session.add(KbMeta(key=CONTENT_VERSION, value=version))
    else:
        row.value = version
    await session.flush()
    return version


async def upsert_laws(
    session: AsyncSession,
    laws: Sequence[tuple[LawRecord, Sequence[ArticleInput]]],
    progress: Progress | None = None,
) -> ImportStats:
    """Insert or replace law versions by ``key``; unchanged ones are left alone."""
    stats = ImportStats()
    existing = await _stored_laws(session, [law.key for law, _ in laws])
    pending: list[dict[str, Any]] = []
    total = sum(len(arts) for _, arts in laws)
    done = 0
    for law, articles in laws:
        digest = law_hash(law, articles)
        values: dict[str, Any] = {**asdict(law), "content_hash": digest, "updated_at": utcnow()}
        found = existing.get(law.key)
        if found is not None and found[1] == digest:
            stats.unchanged += 1
            done += len(articles)
            continue
        if found is None:
            law_id = (
                await session.execute(insert(KbLaw).values(values).returning(KbLaw.id))
            ).scalar_one()
            stats.added += 1
        else:
            law_id = found[0]
            await session.execute(update(KbLaw).where(KbLaw.id == law_id).values(values))
            await session.execute(delete(KbArticle).where(KbArticle.law_id == law_id))
            stats.updated += 1
        pending += _article_rows(law_id, law, articles)
        if len(pending) >= _BATCH:
            await session.execute(insert(KbArticle), pending)
            stats.articles += len(pending)
            done += len(pending)
            pending = []
            if progress is not None:
                progress(done, total)
    if pending:
        await session.execute(insert(KbArticle), pending)
        stats.articles += len(pending)
        done += len(pending)
    if progress is not None:
        progress(total, total)
    if stats.changed:
        await bump_content_version(session)
    return stats


async def _stored_laws(session: AsyncSession, keys: list[str]) -> dict[str, tuple[int, str]]:
    """Key → (id, content hash) of the laws already stored, looked up 500 keys at a time."""
    existing: dict[str, tuple[int, str]] = {}
    for start in range(0, len(keys), 500):
        rows = await session.execute(
            select(KbLaw.key, KbLaw.id, KbLaw.content_hash).where(
                KbLaw.key.in_(keys[start : start + 500])
            )
        )
        existing.update({key: (law_id, h) for key, law_id, h in rows})
    return existing


def _article_rows(
    law_id: int, law: LawRecord, articles: Sequence[ArticleInput]
) -> list[dict[str, Any]]:
    """The rows of a law's articles, in order, each carrying the law's status."""
    return [
        {
            "law_id": law_id,
            "seq": seq,
            "article_no": art.article_no,
            "number": art.number,
            "suffix": art.suffix,
            "chapter": art.chapter,
            "section": art.section,
            "text": art.text,
            "status": law.status,
        }
        for seq, art in enumerate(articles)
    ]


def case_hash(case: CaseInput) -> str:
    """Content hash of a case (without its source line)."""
    payload = asdict(case)
    payload.pop("line", None)
    for optional in ("analysis", "unverified"):  # absent before issue 22
        if not payload[optional]:
            del payload[optional]
    return _hash(payload)


async def upsert_cases(session: AsyncSession, cases: Sequence[CaseInput]) -> ImportStats:
    """Insert or replace typical cases by ``key``."""
    stats = ImportStats()
    keys = [c.key for c in cases]
    rows = await session.execute(
        select(KbCase.key, KbCase.id, KbCase.content_hash).where(KbCase.key.in_(keys))
    )
    existing = {key: (case_id, h) for key, case_id, h in rows}
    new_rows: list[dict[str, Any]] = []
    for case in cases:
        digest = case_hash(case)
        values: dict[str, Any] = {
            "key": case.key,
            "title": case.title,
            "dispute_type": case.dispute_type,
            "facts": case.facts,
            "outcome": case.outcome,
            "citations": list(case.citations),
            "analysis": case.analysis,
            "unverified": list(case.unverified),
            "source": case.source,
            "content_hash": digest,
            "updated_at": utcnow(),
        }
        found = existing.get(case.key)
        if found is None:
            new_rows.append(values)
            stats.added += 1
        elif found[1] != digest:
            await session.execute(update(KbCase).where(KbCase.id == found[0]).values(values))
            stats.updated += 1
        else:
            stats.unchanged += 1
    if new_rows:
        await session.execute(insert(KbCase), new_rows)
    # Cases are read from the database on each request: no index to invalidate, no new version.
    return stats


async def remove_laws_except(session: AsyncSession, prefix: str, keep: set[str]) -> int:
    """Delete the law versions whose key starts with ``prefix`` and is not in ``keep`` (a
    document the new corpus no longer holds); bumps the content version when any went."""
    rows = await session.execute(select(KbLaw.id, KbLaw.key).where(KbLaw.key.startswith(prefix)))
    gone = [law_id for law_id, key in rows if key not in keep]
    for start in range(0, len(gone), 500):
        ids = gone[start : start + 500]
        await session.execute(delete(KbArticle).where(KbArticle.law_id.in_(ids)))
        await session.execute(delete(KbLaw).where(KbLaw.id.in_(ids)))
    if gone:
        await bump_content_version(session)
    return len(gone)


async def get_meta(session: AsyncSession, key: str) -> str | None:
    row = await session.get(KbMeta, key)
    return None if row is None else row.value


async def set_meta(session: AsyncSession, key: str, value: str) -> None:
    row = await session.get(KbMeta, key)
    if row is None:
        session.add(KbMeta(key=key, value=value))
    else:
        row.value = value
    await session.flush()


async def has_articles(session: AsyncSession) -> bool:
    """Whether anything has been imported yet."""
    rows = await session.execute(select(KbArticle.id).limit(1))
    return rows.first() is not None


async def law_catalog(session: AsyncSession) -> list[LawInfo]:
    """Every law version, for name resolution and status checks."""
    rows = await session.execute(
        select(
            KbLaw.id,
            KbLaw.name,
            KbLaw.kind,
            KbLaw.status,
            KbLaw.effective_date,
            KbLaw.version_date,
            KbLaw.region,
            KbLaw.note,
        )
    )
    return [LawInfo(*row) for row in rows]


def _articles_with_law() -> Select[KbArticle, str, str, date | None, str | None]:
    """Articles with the columns of their law that :func:`_article` reads, in its order."""
    return select(KbArticle, KbLaw.name, KbLaw.kind, KbLaw.effective_date, KbLaw.note).join(
        KbLaw, KbLaw.id == KbArticle.law_id
    )


def _article(row: Any) -> Article:
    art: KbArticle = row[0]
    return Article.of(
        art,
        id=art.id,
        law=row[1],
        law_kind=row[2],
        status=art.status,
        effective_date=row[3],
        note=row[4],
    )


async def find_article_versions(
    session: AsyncSession, law_name: str, number: int, suffix: int = 0
) -> list[Article]:
    """The article in every stored version of the law, current versions first."""
    rows = await session.execute(
        _articles_with_law()
        .where(KbLaw.name == law_name, KbArticle.number == number, KbArticle.suffix == suffix)
        .order_by(KbLaw.version_date.desc(), KbArticle.seq)
    )
    found = [_article(row) for row in rows]
    return sorted(found, key=lambda a: a.status not in IN_FORCE_STATUSES)


async def articles_by_ids(session: AsyncSession, ids: Sequence[int]) -> list[Article]:
    """Articles by id, in the order of ``ids`` (missing ids are skipped)."""
    if not ids:
        return []
    rows = await session.execute(_articles_with_law().where(KbArticle.id.in_(list(ids))))
    by_id = {a.id: a for a in (_article(row) for row in rows)}
    return [by_id[i] for i in ids if i in by_id]


async def index_docs(session: AsyncSession) -> list[IndexDoc]:
    """What the search indexes cover: articles in force, of laws that are not amendments."""
    rows = await session.execute(
        select(
            KbArticle.id,
            KbLaw.name,
            KbLaw.kind,
            KbLaw.department,
            KbArticle.article_no,
            KbArticle.number,
            KbArticle.suffix,
            KbArticle.chapter,
            KbArticle.section,
            KbArticle.status,
            KbArticle.text,
            KbLaw.region,
        )
        .join(KbLaw, KbLaw.id == KbArticle.law_id)
        .where(
            KbArticle.status.in_(sorted(IN_FORCE_STATUSES)),
            KbLaw.kind.not_in(sorted(AMENDING_KINDS)),
        )
        .order_by(KbArticle.id)
    )
    return [IndexDoc(*row) for row in rows]


def _case(row: KbCase, score: float = 0.0) -> Case:
    return Case(
        id=row.id,
        key=row.key,
        title=row.title,
        dispute_type=row.dispute_type,
        facts=row.facts,
        outcome=row.outcome,
        citations=tuple(str(c) for c in row.citations),
        source=row.source,
        score=score,
        analysis=row.analysis or "",
        unverified=tuple(str(c) for c in row.unverified or ()),
    )


async def list_cases(session: AsyncSession, dispute_type: str | None = None) -> list[Case]:
    """Typical cases, optionally of one dispute type."""
    query = select(KbCase).order_by(KbCase.id)
    if dispute_type is not None:
        query = query.where(KbCase.dispute_type == dispute_type)
    return [_case(row) for row in (await session.execute(query)).scalars()]


async def articles_containing(session: AsyncSession, phrase: str) -> list[Article]:
    """Articles whose text contains ``phrase`` (e.g. "同时废止" to learn repeals)."""
    rows = await session.execute(_articles_with_law().where(KbArticle.text.contains(phrase)))
    return [_article(row) for row in rows]


def kb_tables() -> list[Table]:
    """The knowledge base's tables (for tests and standalone tools; production uses Alembic)."""
    return [m.__table__ for m in (KbLaw, KbArticle, KbCase, KbMeta)]  # type: ignore[misc]


async def missing_tables(db: Database) -> list[str]:
    """The KB tables the database lacks: a database never migrated has none of them, and a
    command reading or writing the KB should say so instead of failing on the first query."""
    wanted = [t.name for t in kb_tables()]
    async with db.write_engine.connect() as conn:
        present = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    return [name for name in wanted if name not in present]


async def create_tables(db: Database) -> None:
    """Create the KB tables if missing (tests, benchmarks; the service relies on migrations)."""
    async with db.write_engine.begin() as conn:
        await conn.run_sync(lambda sync: Base.metadata.create_all(sync, tables=kb_tables()))
