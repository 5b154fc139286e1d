"""How often the statute hints sent after filing are right (issue 19, item 8).

Usage (from the project root; the knowledge base is laws.db + the shipped corpus in
``--data-dir``, imported and indexed on the first run, keyword search as on a service whose dense
index is not built)::

    nice -n 19 .venv/bin/python benchmarks/intake_hints.py            # the hints as shipped
    nice -n 19 .venv/bin/python benchmarks/intake_hints.py --dump     # + every candidate
    # before issue 19: the same script run in an export of the earlier tree
    mkdir -p /tmp/before && git archive f36422e | tar -x -C /tmp/before && cd /tmp/before && \\
        nice -n 19 /work/h19input/.venv/bin/python /work/h19input/benchmarks/intake_hints.py \\
        --before --data-dir /work/h19input/var

Each intake of :mod:`intake_hints_cases` (facts + claims, as the service joins them) gets the
articles the service would show; a shown article is right when the case's labels accept it.
Reported: the share of cases shown any article, precision of the shown articles, and the share
of cases whose every shown article is right. ``--before`` applies the selection of the service
before issue 19 (in-force hits of the type's search scope, the topic rules first, three shown)
with the type the old menu offered (装修 and 合同 were "其他", 物业 was "物业/租赁").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path.cwd()))  # the tree under test: the worktree, or an export of it
sys.path.insert(0, str(Path(__file__).resolve().parent))

from intake_hints_cases import CASES, IntakeFacts

from core.config import Settings
from legal_kb import store
from legal_kb.importers import corpus
from legal_kb.imports import ensure_kb
from legal_kb.records import Hit
from legal_kb.service import KnowledgeBase
from storage.db import Database

REGIONS = ("重庆",)


def accepted(case: IntakeFacts, hit: Hit) -> bool:
    spec = case.accept.get(hit.law_short)
    if spec is None or hit.number is None:
        return False
    for item in spec:
        lo, hi = item if isinstance(item, tuple) else (item, item)
        if lo <= hit.number <= hi:
            return True
    return False


async def before(kb: KnowledgeBase, case: IntakeFacts) -> list[Hit]:
    """The selection of ``features.intake.hints.suggest_law`` before issue 19."""
    summary = f"{case.facts}\n{case.claims}"
    hits = [h for h in await kb.articles_for_dispute(case.old_kind, summary, top=5) if h.in_force]
    rules = await kb.key_rules(summary, case.old_kind)
    hits = rules + [h for h in hits if all(h.id != r.id for r in rules)]
    return hits[:3]


async def after(kb: KnowledgeBase, case: IntakeFacts) -> list[Hit]:
    from features.intake.hints import select_articles

    return await select_articles(kb, case.kind, f"{case.facts}\n{case.claims}")


async def candidates(kb: KnowledgeBase, case: IntakeFacts) -> list[dict[str, Any]]:
    """Every hit the search gives the case's type, with what a confidence could be made of."""
    from features.intake.hints import confidence, in_field

    summary = f"{case.facts}\n{case.claims}"
    hits = [h for h in await kb.articles_for_dispute(case.kind, summary, top=10) if h.in_force]
    return [
        {
            "case": case.key,
            "rank": i,
            "citation": h.citation,
            "score": h.score,
            "confidence": round(confidence(h, hits, summary), 3),
            "in_field": in_field(case.kind, h),
            "right": accepted(case, h),
        }
        for i, h in enumerate(hits)
    ]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    url = f"sqlite+aiosqlite:///{args.data_dir / 'kb-hints.db'}"
    db = Database(url)
    await store.create_tables(db)
    await ensure_kb(
        db, Settings(data_dir=args.data_dir, database_url=url), corpus_source=corpus.ARCHIVE
    )
    kb = KnowledgeBase(db, args.data_dir, regions=REGIONS)
    await kb.start()
    rows: list[dict[str, Any]] = []
    dumped: list[dict[str, Any]] = []
    try:
        for case in CASES:
            shown = await (before(kb, case) if args.before else after(kb, case))
            rows.append(
                {
                    "case": case.key,
                    "kind": case.old_kind if args.before else case.kind,
                    "shown": [h.citation for h in shown],
                    "right": [accepted(case, h) for h in shown],
                }
            )
            if args.dump:
                dumped += await candidates(kb, case)
    finally:
        await kb.close()
        await db.dispose()
    shown_n = sum(len(r["shown"]) for r in rows)
    right_n = sum(sum(r["right"]) for r in rows)
    with_hint = [r for r in rows if r["shown"]]
    report = {
        "mode": "before" if args.before else "after",
        "cases": len(rows),
        "cases_with_hint": len(with_hint),
        "share_with_hint": round(len(with_hint) / len(rows), 3),
        "articles_shown": shown_n,
        "articles_right": right_n,
        "precision": round(right_n / shown_n, 3) if shown_n else None,
        "cases_all_right": sum(1 for r in with_hint if all(r["right"])),
        "cases_any_wrong": sum(1 for r in with_hint if not all(r["right"])),
        "rows": rows,
    }
    if args.dump:
        report["candidates"] = dumped
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("var").resolve())
    parser.add_argument("--before", action="store_true", help="the selection before issue 19")
    parser.add_argument("--dump", action="store_true", help="also every candidate, for tuning")
    parser.add_argument("--json", type=Path, help="write the whole report here")
    args = parser.parse_args()
    report = asyncio.run(run(args))
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    for row in report["rows"]:
        marks = " ".join(
            f"{c}{'✓' if ok else '✗'}" for c, ok in zip(row["shown"], row["right"], strict=True)
        )
        print(f"{row['case']:4} {row['kind']:20} {marks or '—'}")
    summary = {k: v for k, v in report.items() if k not in ("rows", "candidates")}
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
