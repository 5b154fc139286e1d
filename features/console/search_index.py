"""Full-text search of cases' facts and claims through keyed tokens (a blind index of terms).

Why tokens: facts and claims are encrypted (``EncryptedText``), so SQL cannot look inside them,
and decrypting every case to answer one search is what a ledger of 100,000 cases cannot afford
(issue 20: "装修" found nothing because facts were not searched at all). When a case is filed
its text's terms (``mediation.search_terms``: character pairs and words) are stored as keyed
64-bit tokens (``core.crypto.search_token``) in ``case_search_tokens``; a query's terms are
tokenised the same way and a case matches when it has all of them — one indexed range per
term, nothing decrypted.

What it costs in secrecy: someone with the database but not ``SECRET_KEY`` learns how many
terms a case has and which cases share a term, not the terms. What it costs in precision: a
query of several pairs also matches a case that has each pair in different places (rare for
the few words people search by); it never misses a case that contains the query.

Cases filed before the table existed are indexed once when the console starts
(:func:`index_missing`, in batches); after a ``SECRET_KEY`` change ``main.py keys rotate
--reindex`` must be followed by a restart, which rebuilds them (:func:`reindex_all`).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, and_, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import crypto
from features.console.models import CaseSearchToken
from mediation.search_terms import query_terms, terms
from services.case_watch import on_case_stored
from storage.db import Database, insert_for, session_dialect
from storage.models import Case

BATCH = 200


def tokens(texts: Iterable[str]) -> set[int]:
    found: set[str] = set()
    for text in texts:
        found |= terms(text or "")
    return {crypto.search_token(t) for t in found}


async def index_case(session: AsyncSession, case_id: int, texts: Iterable[str]) -> None:
    """(Re)write a case's tokens in the caller's transaction. A case whose text has no terms
    gets the token of the empty string (never a query's), so it counts as indexed."""
    await session.execute(delete(CaseSearchToken).where(CaseSearchToken.case_id == case_id))
    found = tokens(texts) or {crypto.search_token("")}
    rows = [{"token": t, "case_id": case_id} for t in sorted(found)]
    stmt = insert_for(session_dialect(session))(CaseSearchToken)
    await session.execute(stmt.on_conflict_do_nothing(), rows)


@on_case_stored
async def index_stored(session: AsyncSession, case: Case) -> None:
    """Every case is searchable from the moment it is stored, whichever route filed it."""
    await index_case(session, case.id, [case.facts, case.claims])


async def index_missing(db: Database, batch: int = BATCH) -> int:
    """Index the cases that have no tokens yet (filed before the table existed); how many.
    Only those cases are decrypted, each once."""
    done = 0
    while True:
        async with db.write() as session:
            cases = list(
                (
                    await session.execute(
                        select(Case)
                        .where(
                            ~select(CaseSearchToken.case_id)
                            .where(CaseSearchToken.case_id == Case.id)
                            .exists()
                        )
                        .order_by(Case.id)
                        .limit(batch)
                    )
                ).scalars()
            )
            for case in cases:
                await index_case(session, case.id, [case.facts, case.claims])
        done += len(cases)
        if len(cases) < batch:
            return done


async def reindex_all(db: Database) -> int:
    """Drop every token and index every case again (after a ``SECRET_KEY`` change)."""
    async with db.write() as session:
        await session.execute(delete(CaseSearchToken))
    return await index_missing(db)


def matching(query: str) -> ColumnElement[bool] | None:
    """A condition on ``Case.id``: the cases whose facts or claims have every term of
    ``query``; ``None`` when the query has no terms."""
    wanted = sorted({crypto.search_token(t) for t in query_terms(query)})
    if not wanted:
        return None
    # One indexed range of the (token, case_id) key per term, intersected: cheaper than a
    # GROUP BY over every row of the common terms (measured: docs/benchmarks.md).
    return and_(
        *(
            Case.id.in_(select(CaseSearchToken.case_id).where(CaseSearchToken.token == t))
            for t in wanted
        )
    )
