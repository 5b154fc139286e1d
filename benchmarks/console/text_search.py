"""The ledger's text search (keyed tokens of facts and claims) at scale: its SQL alone.

    .venv/bin/python -m benchmarks.console.text_search --cases 100000 [--db postgres --pg-url …]

Why the SQL alone: the full-page benchmark (``benchmarks.console.ledger``) shares two cores
with whoever else runs; timing the query the search adds, in one process and alternating the
two ways of writing it, separates the query's cost from the host's noise. It builds
``--cases`` cases cycling through the ledger benchmark's facts and claims, with their tokens,
then times the ledger's query shape (matching cases, newest first, 50 rows) for each query
word, written as one indexed range per term intersected (what ``features.console.search_index`` does)
and as a GROUP BY … HAVING count (the first version).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import ColumnElement, and_, func, insert, select

from benchmarks.console.ledger import (
    CLAIMS,
    FACTS,
    TEXT_QUERIES,
    analyse,
    recommended_indexes,
)
from core import crypto
from features.console import search_index
from features.console.models import CaseSearchToken
from harness.service import reset_postgres
from mediation.search_terms import query_terms
from storage.base import table_of
from storage.db import Database
from storage.models import Case, Unit
from storage.registry import metadata


def intersected(wanted: list[int]) -> ColumnElement[bool]:
    return and_(
        *(
            Case.id.in_(select(CaseSearchToken.case_id).where(CaseSearchToken.token == t))
            for t in wanted
        )
    )


def grouped(wanted: list[int]) -> ColumnElement[bool]:
    return Case.id.in_(
        select(CaseSearchToken.case_id)
        .where(CaseSearchToken.token.in_(wanted))
        .group_by(CaseSearchToken.case_id)
        .having(func.count() == len(wanted))
    )


async def build(db: Database, n: int) -> float:
    if "ix_cases_created_id" not in {i.name for i in table_of(Case).indexes}:
        recommended_indexes()  # the ledger's indexes, as the ledger benchmark makes them
    async with db.write_engine.begin() as conn:
        await conn.run_sync(metadata().create_all)
    async with db.write() as session:
        session.add(Unit(code="u", name="示范", level="committee", case_prefix="示"))
    now = datetime.now(UTC)
    token_sets: dict[tuple[str, str], list[int]] = {}
    rows = 0
    for start in range(0, n, 5000):
        cases, tokens = [], []
        for i in range(start, min(n, start + 5000)):
            pair = (FACTS[i % len(FACTS)], CLAIMS[i % len(CLAIMS)])
            if pair not in token_sets:
                token_sets[pair] = sorted(search_index.tokens(pair))
            cases.append(
                {
                    "id": i + 1,
                    "number": f"N{i + 1}",
                    "unit_code": "u",
                    "dispute_type": "neighbour",
                    "status": "submitted",
                    "risk": "normal",
                    "source": "party",
                    "facts": pair[0],
                    "claims": pair[1],
                    "place": "示范市",
                    "language": "zh-CN",
                    "created_at": now - timedelta(seconds=i * 37 % 63_000_000),
                    "updated_at": now,
                    "room_mode": "joint",
                    "session_open": False,
                }
            )
            tokens += [{"token": t, "case_id": i + 1} for t in token_sets[pair]]
        async with db.write() as session:
            await session.execute(insert(Case), cases)
            await session.execute(insert(CaseSearchToken), tokens)
        rows += len(tokens)
    await analyse(db)
    return rows / n


async def time_query(db: Database, cond: ColumnElement[bool]) -> float:
    query = select(Case.id).where(cond).order_by(Case.created_at.desc(), Case.id.desc()).limit(50)
    t0 = time.perf_counter()
    async with db.read() as session:
        (await session.execute(query)).all()
    return (time.perf_counter() - t0) * 1000


async def run(args: argparse.Namespace) -> None:
    crypto.configure((Fernet.generate_key().decode(),), "benchmark-secret")
    with tempfile.TemporaryDirectory(prefix="text-search-") as tmp:
        url = args.pg_url if args.db == "postgres" else f"sqlite+aiosqlite:///{Path(tmp) / 's.db'}"
        if args.db == "postgres":
            await reset_postgres(url)
        db = Database(url)
        try:
            per_case = await build(db, args.cases)
            print(f"{args.cases:,} cases on {db.dialect}: {per_case:.1f} tokens per case")
            print(f"{'query':10} {'terms':>5} {'intersect p50':>14} {'group-by p50':>13}")
            for word in TEXT_QUERIES:
                wanted = sorted({crypto.search_token(t) for t in query_terms(word)})
                a: list[float] = []
                b: list[float] = []
                for _ in range(args.repeat):  # alternately, so the host's load hits both
                    a.append(await time_query(db, intersected(wanted)))
                    b.append(await time_query(db, grouped(wanted)))
                print(
                    f"{word:10} {len(wanted):5d} {statistics.median(a):11.1f} ms"
                    f" {statistics.median(b):10.1f} ms"
                )
        finally:
            await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--pg-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/x")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
