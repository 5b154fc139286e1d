"""``main.py kb …`` commands: import, import-cases, index, search, cite.

Each subcommand sets ``func`` to a callable ``(args, settings) -> int`` that ``main.py`` calls;
progress goes to stderr so that stdout carries only results (one JSON line per question in
batch mode, for scripts and benchmarks).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tomllib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

from core.config import Settings
from legal_kb import store
from legal_kb.batch import open_engine
from legal_kb.disputes import DISPUTE_TYPES
from legal_kb.engine import SearchEngine, SearchFilters
from legal_kb.importers import ImportFormatError, corpus
from legal_kb.importers.lawsdb import default_path
from legal_kb.imports import import_cases, import_corpus, import_laws
from legal_kb.records import Hit
from legal_kb.service import KnowledgeBase
from storage.db import Database

T = TypeVar("T")


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


NOT_MIGRATED = (
    "数据库尚未初始化（缺少知识库的表 {tables}），请先运行 `main.py db upgrade` / "
    "the database has not been migrated (missing tables {tables}): run `main.py db upgrade` first"
)


def _with_database(database_url: str, work: Callable[[Database], Awaitable[T]]) -> T:
    """``work`` done on the database, its connections closed after (a command runs once)."""

    async def run() -> T:
        db = Database(database_url)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(run())


def _importing(
    settings: Settings,
    work: Callable[[Database], Awaitable[None]],
    refusals: tuple[type[Exception], ...] = (ImportFormatError,),
) -> int:
    """An import's exit code: 0 when done, 2 with the reason when the input is refused."""
    try:
        _with_database(settings.database_url, work)
    except refusals as exc:
        _say(f"error: {exc}")
        return 2
    return 0


def schema_ready(database_url: str) -> bool:
    """Whether the KB tables exist; if not, say which command creates them.

    Every ``kb`` command reads or writes them, and a database never migrated (a fresh
    ``DATABASE_URL``) would otherwise end in a traceback from the first query. The service
    itself migrates at start-up; a command line tool does not change the schema unasked.
    """

    missing = _with_database(database_url, store.missing_tables)
    if missing:
        _say(NOT_MIGRATED.format(tables=", ".join(missing)))
    return not missing


def add_kb_commands(subparsers: Any) -> None:
    """Register ``kb`` and its subcommands on the main parser's subparsers."""
    kb = subparsers.add_parser("kb", help="legal knowledge base: import, index, search, cite")
    sub = kb.add_subparsers(dest="kb_command", required=True)

    _add_import_command(sub)

    export = sub.add_parser(
        "export-vectors",
        help="maintainers: write the dense vectors of the current KB for shipping (legal_kb/data)",
    )
    export.add_argument("--out", type=Path, help="default: legal_kb/data/vectors-MODEL.npz")
    export.set_defaults(func=cmd_export_vectors)

    pack = sub.add_parser(
        "pack-corpus", help="maintainers: pack a legal-corpus directory as the shipped archive"
    )
    pack.add_argument("directory", type=Path)
    pack.add_argument("--out", type=Path, default=corpus.ARCHIVE)
    pack.set_defaults(func=cmd_pack_corpus)

    cases = sub.add_parser("import-cases", help="import typical cases from JSON or YAML")
    cases.add_argument("file", type=Path)
    cases.set_defaults(func=cmd_import_cases)

    idx = sub.add_parser("index", help="build the search indexes (keyword, then dense)")
    idx.add_argument("--no-dense", action="store_true", help="build the keyword index only")
    idx.set_defaults(func=cmd_index)

    _add_search_command(sub)

    cite = sub.add_parser("cite", help="check every citation in TEXT (or stdin)")
    cite.add_argument("text", nargs="?")
    cite.add_argument("--json", action="store_true")
    cite.set_defaults(func=cmd_cite)


def _add_import_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``kb import``: laws.db, statute documents and the shipped corpus."""
    imp = sub.add_parser("import", help="import laws.db (default) or statute documents")
    imp.add_argument(
        "--source",
        nargs="+",
        type=Path,
        metavar="laws.db|FILE",
        help="laws.db file(s) and/or .txt/.md/.docx/.html documents (default: bundled laws.db)",
    )
    imp.add_argument("--meta", type=Path, help="TOML metadata for the documents (else FILE.toml)")
    imp.add_argument("--name", help="law name (overrides the metadata)")
    imp.add_argument("--kind", help="司法解释, 行政法规, 地方性法规, 部门规章, 法律 …")
    imp.add_argument("--issuing-body")
    imp.add_argument("--status", help="现行有效 (default), 已被修改, 已废止, 历史版本, 尚未生效")
    imp.add_argument("--publish-date", help="YYYY-MM-DD")
    imp.add_argument("--effective-date", help="YYYY-MM-DD")
    imp.add_argument(
        "--corpus",
        type=Path,
        metavar="ARCHIVE|DIR",
        help="the legal corpus to import (default: the shipped one, when --source is not given)",
    )
    imp.add_argument("--no-corpus", action="store_true", help="import laws.db only")
    imp.add_argument(
        "--force", action="store_true", help="re-read the corpus even if already imported"
    )
    imp.set_defaults(func=cmd_import)


def _add_search_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``kb search``: filters by law, dispute type and region; JSON or text."""
    search = sub.add_parser("search", help="search articles; no QUESTION: one per stdin line")
    search.add_argument("question", nargs="?")
    search.add_argument("--json", action="store_true", help="one JSON array of hits per question")
    search.add_argument("--top", type=int, default=5)
    search.add_argument("--law", action="append", default=[], help="only this law (repeatable)")
    search.add_argument(
        "--type", choices=sorted(DISPUTE_TYPES), help="only law for this dispute type"
    )
    search.add_argument("--no-dense", action="store_true", help="keyword search only")
    search.add_argument(
        "--region",
        action="append",
        default=None,
        help="search this region's local regulations too (default: the units' regions)",
    )
    search.set_defaults(func=cmd_search)


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    if not schema_ready(settings.database_url):
        return 2
    sources: list[Path] = args.source or [default_path()]
    corpus_source: Path | None = args.corpus
    if corpus_source is None and not args.source:
        corpus_source = corpus.ARCHIVE
    if args.no_corpus:
        corpus_source = None
    overrides = {
        "name": args.name,
        "kind": args.kind,
        "issuing_body": args.issuing_body,
        "status": args.status,
        "publish_date": args.publish_date,
        "effective_date": args.effective_date,
    }

    async def run(db: Database) -> None:
        await import_laws(db, sources, args.meta, overrides, progress=_say)
        if corpus_source is not None:
            await import_corpus(db, corpus_source, _say, force=args.force)

    return _importing(settings, run, (ImportFormatError, ValueError))


def cmd_export_vectors(args: argparse.Namespace, settings: Settings) -> int:
    if not schema_ready(settings.database_url):
        return 2
    from legal_kb.dense import (
        E5Encoder,
        ShippedVectors,
        VectorCache,
        export_vectors,
        shipped_vectors_path,
    )

    encoder = E5Encoder(cache_dir=settings.data_dir / "kb" / "models")
    # Only what the cache holds is written (`kb index` builds it first): exporting a partial
    # build must not start the hour-long encoding here.
    engine = open_engine(settings.database_url, settings.data_dir, dense=False, progress=_say)
    if engine is None:
        _say("the knowledge base is empty: run `kb import` first")
        return 1
    out = args.out or shipped_vectors_path(encoder.model_id)
    # Over the package's file too: where a first start took vectors from it, the local cache
    # holds only the passages it lacked, and a new export must keep the others (the encoded
    # float16 vectors win where both have one).
    cache = VectorCache(
        settings.data_dir / "kb" / "dense" / encoder.model_id, ShippedVectors.for_encoder(encoder)
    )
    count = export_vectors(
        engine.passages(),
        encoder,
        cache,
        out,
        corpus=corpus.import_version(corpus.ARCHIVE),
    )
    total = len(set(engine.passages()))
    _say(f"wrote {count} of {total} passages' vectors to {out} ({out.stat().st_size} bytes)")
    return 0


def cmd_pack_corpus(args: argparse.Namespace, settings: Settings) -> int:
    out = corpus.pack(args.directory, args.out)
    _say(f"wrote {out} ({out.stat().st_size} bytes, sha256 {corpus.corpus_hash(out)})")
    return 0


def cmd_import_cases(args: argparse.Namespace, settings: Settings) -> int:
    if not schema_ready(settings.database_url):
        return 2

    async def run(db: Database) -> None:
        await import_cases(db, args.file, progress=_say)

    return _importing(settings, run)


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    if not schema_ready(settings.database_url):
        return 2
    engine = open_engine(
        settings.database_url, settings.data_dir, dense=not args.no_dense, progress=_say
    )
    if engine is None:
        _say("the knowledge base is empty: run `kb import` first")
        return 1
    _say(f"indexes ready: {len(engine.docs)} articles, dense: {engine.dense_ready}")
    return 0


def hit_json(hit: Hit) -> dict[str, Any]:
    """A hit as the CLI prints it (``law`` is the full name, ``law_short`` next to it)."""
    out: dict[str, Any] = {"id": hit.id, "law": hit.law, "law_short": hit.law_short}
    out.update(asdict(hit))
    out["highlights"] = [list(span) for span in hit.highlights]
    return out


def _marked(text: str, spans: Iterable[tuple[int, int]], limit: int = 160) -> str:
    parts: list[str] = []
    pos = 0
    for start, end in spans:
        parts += [text[pos:start], "【", text[start:end], "】"]
        pos = end
    parts.append(text[pos:])
    flat = "".join(parts).replace("\n", " ")
    return flat if len(flat) <= limit else flat[:limit] + "…"


def _print_readable(question: str, hits: list[Hit]) -> None:
    print(f"? {question}")
    if not hits:
        print("  (no result)")
    for rank, hit in enumerate(hits, start=1):
        where = " ".join(p for p in (hit.chapter, hit.section) if p)
        print(f"{rank:>2}. {hit.citation}  {where}  [{hit.status}]  {hit.score:.4f}")
        print(f"    {_marked(hit.text, hit.highlights)}")


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    if not schema_ready(settings.database_url):
        return 2
    from legal_kb.dense import E5Encoder

    regions = args.region if args.region is not None else unit_regions(settings)
    engine: SearchEngine | None = open_engine(
        settings.database_url,
        settings.data_dir,
        dense=not args.no_dense,
        encoder=E5Encoder(
            cache_dir=settings.data_dir / "kb" / "models", query_int8=settings.kb_query_int8
        ),
        progress=_say,
        regions=regions,
    )
    if engine is None:
        _say("the knowledge base is empty: run `kb import` first")
        return 1
    filters = SearchFilters(laws=tuple(args.law), dispute_type=args.type)
    questions: Iterable[str] = [args.question] if args.question else sys.stdin
    for line in questions:
        question = line.strip()
        hits = engine.search(question, args.top, filters) if question else []
        if args.json:
            print(json.dumps([hit_json(h) for h in hits], ensure_ascii=False), flush=True)
        else:
            _print_readable(question, hits)
    return 0


def unit_regions(settings: Settings) -> tuple[str, ...]:
    """The regions named by the configured units (name, address, court, areas), read from
    ``UNITS_FILE`` directly (the service validates that file; here only words are needed)."""
    try:
        data = tomllib.loads(settings.units_file.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return ()
    texts: list[str] = []
    for unit in data.get("unit", []):
        texts += [str(unit.get(k, "")) for k in ("name", "address", "court")]
        texts += [str(a) for a in unit.get("areas", [])]
    return corpus.regions_in(texts)


def cmd_cite(args: argparse.Namespace, settings: Settings) -> int:
    if not schema_ready(settings.database_url):
        return 2
    text = args.text if args.text is not None else sys.stdin.read()

    async def run() -> list[Any]:
        db = Database(settings.database_url)
        kb = KnowledgeBase(db, settings.data_dir)
        try:
            return await kb.check_citations(text)
        finally:
            await kb.close()
            await db.dispose()

    verdicts = asyncio.run(run())
    bad = 0
    for v in verdicts:
        bad += not v.ok
        if args.json:
            row = {
                "citation": v.citation.text,
                "canonical": v.citation.canonical,
                "exists": v.exists,
                "in_force": v.in_force,
                "status": v.status,
                "problem": v.problem,
                "message": v.message,
            }
            print(json.dumps(row, ensure_ascii=False))
        else:
            print(("✓ " if v.ok else "✗ ") + v.message)
    if not verdicts and not args.json:
        print("no citation found")
    return 1 if bad else 0
