"""The kill -9 run at any size: whole mediations while the service is SIGKILLed at random.

The CI test (tests/reliability/test_kill9.py) runs 100 cases, 10 signed agreements and 12
kills; this script runs the same workload with any numbers and prints its figures as JSON.
Exit status 1 if any invariant finding or unexplained duplicate remains.

    .venv/bin/python benchmarks/reliability/kill9.py --cases 100 --sign 100 --kills 20
    .venv/bin/python benchmarks/reliability/kill9.py --database postgresql+asyncpg://…/db
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.reliability.workload import run_kill9  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--sign", type=int, default=100, help="cases ending in a signed agreement")
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--concurrency", type=int, default=20, help="cases in progress at once")
    parser.add_argument("--database", default=None, help="DATABASE_URL (default: SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(
            run_kill9(
                Path(tmp),
                cases=args.cases,
                sign=args.sign,
                kills=args.kills,
                seed=args.seed,
                concurrency=args.concurrency,
                database_url=args.database,
            )
        )
    report = result.pop("report")
    print(json.dumps(result, ensure_ascii=False))
    if result["invariant_findings"] or result["duplicates_unexplained"]:
        print(report, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
