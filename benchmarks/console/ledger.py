"""Ledger page latency with 100,000 cases, on SQLite and PostgreSQL.

    .venv/bin/python -m benchmarks.console.ledger --db sqlite
    .venv/bin/python -m benchmarks.console.ledger --db postgres \\
        --pg-url postgresql+asyncpg://postgres@127.0.0.1:5432/console_dev

What it does: builds a fresh database with the real schema plus the indexes the console asks
for (``recommended_indexes()``, to be added to storage/models.py), a unit tree of 88 units
(city → 3 districts → 12 streets → 60 committees + 12 police stations), 60 staff accounts and
``--cases`` cases with two parties each (phones encrypted and blind-indexed exactly as intake
does) and one ``created`` event each, bulk-inserted with SQLAlchemy Core. Then it serves the
real aiohttp app (console mounted, risk sweeper off) on a real port, signs in over HTTP and
times full ledger page requests (HTTP round trip, session check, queries, Jinja rendering) for
typical views: first page, a deep page reached by cursor, filters, the three kinds of search,
a committee's and a district's scope. Reports p50/p95/max per view; exits non-zero if any p95
is above ``--budget-ms`` (150).

The client runs in the same process and on the same 2 cores as the server, so the numbers
include its overhead; they are an upper bound of the server's own time.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
from cryptography.fernet import Fernet
from sqlalchemy import Index, insert

from app.features import metadata
from core import crypto
from core.clock import SystemClock
from core.config import Settings
from features.console import search_index
from features.console.models import CaseSearchToken
from harness import serving
from harness.service import reset_postgres
from mediation.numbering import format_case_number
from services.staff import hash_password
from services.units import load_units, sync_units
from storage.base import table_of
from storage.db import Database
from storage.models import Case, CaseEvent, CaseParty, StaffAccount

#: Facts and claims the cases cycle through (the text search's tokens are bulk-inserted with
#: them, as filing a case writes them), and the words the text search is timed with.
FACTS = (
    "楼上邻居每天深夜装修，电钻噪音很大，多次沟通无果。",
    "老板拖欠我们三个月工资共三万六千元，多次催要都说没钱。",
    "房东不退押金，说墙面有污渍要扣两千元。",
    "楼上卫生间漏水，把我家天花板泡坏了，物业不管。",
    "对方驾驶电动车撞伤我的腿，医药费花了八千元。",
    "借给朋友五万元，约定去年年底归还，至今未还。",
    "买的冰箱用了一个月就坏了，商家拒绝退货。",
    "邻居在楼道堆放杂物，堵住了消防通道。",
    "离婚后孩子的抚养费对方半年没有给。",
    "装修公司工期拖延两个月，墙面开裂。",
    "宅基地边界有争议，对方的围墙占了半米地。",
    "小区门口的烧烤店油烟很大，晚上吵到十二点。",
)
CLAIMS = (
    "请求对方停止侵害并赔偿损失",
    "支付拖欠的工资",
    "退还押金",
    "赔偿医药费和误工费",
    "归还借款本金",
    "赔礼道歉",
    "退货退款",
)
TEXT_QUERIES = ("装修", "拖欠工资", "押金", "漏水", "噪音", "抚养费", "赔偿损失")


def recommended_indexes() -> tuple[Index, ...]:
    """Indexes the ledger needs on tables of storage/models.py (the lead adds them there).

    Made on call: an ``Index`` on model columns attaches itself to the table's metadata, and
    it should only do so in this benchmark's process, before ``create_all``.
    """
    return (
        Index("ix_cases_created_id", Case.created_at, Case.id),
        Index("ix_cases_updated_id", Case.updated_at, Case.id),
        Index("ix_cases_unit_created_id", Case.unit_code, Case.created_at, Case.id),
        Index("ix_cases_mediator_created", Case.mediator_id, Case.created_at),
        # Covering index for the ledger's filters and their counts (SQLite skip-scans it when
        # the leading column is not filtered; PostgreSQL combines it with the others).
        Index(
            "ix_cases_filters",
            Case.status,
            Case.dispute_type,
            Case.risk,
            Case.created_at,
            Case.unit_code,
            Case.mediator_id,
        ),
        Index(
            "ix_case_parties_name", CaseParty.name, postgresql_ops={"name": "varchar_pattern_ops"}
        ),
    )


TYPES = (
    "marriage_family",
    "neighbour",
    "labour_wages",
    "private_lending",
    "traffic_accident",
    "property_lease",
    "consumer",
    "injury_damage",
    "land_housing",
    "other",
)
STATUSES = (
    ("closed", 40),
    ("failed", 10),
    ("agreed", 8),
    ("mediating", 10),
    ("accepted", 8),
    ("submitted", 12),
    ("signing", 3),
    ("withdrawn", 5),
    ("rejected", 3),
    ("transferred", 1),
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅建国志红文"
PASSWORD = "benchmark-password"
CSRF = re.compile(r'name="_csrf" value="([^"]+)"')


def write_units(path: Path) -> None:
    lines = [
        '[[unit]]\ncode = "city"\nname = "示范市人民调解委员会"\nlevel = "city"\n'
        'case_prefix = "市调"\ncourt = "示范市中级人民法院"\ndefault = true\n'
    ]
    for d in range(3):
        lines.append(
            f'[[unit]]\ncode = "d{d}"\nname = "第{d + 1}区人民调解委员会"\nlevel = "district"\n'
            f'parent = "city"\ncase_prefix = "区{d}调"\ncourt = "第{d + 1}区人民法院"\n'
        )
        for s in range(4):
            street = f"d{d}s{s}"
            lines.append(
                f'[[unit]]\ncode = "{street}"\nname = "第{d + 1}区{s + 1}街道调委会"\n'
                f'level = "street"\nparent = "d{d}"\ncase_prefix = "街{d}{s}调"\n'
            )
            lines.append(
                f'[[unit]]\ncode = "{street}ps"\nname = "第{d + 1}区{s + 1}街道派出所"\n'
                f'level = "station"\nparent = "{street}"\ncase_prefix = "警{d}{s}调"\n'
            )
            for c in range(5):
                lines.append(
                    f'[[unit]]\ncode = "{street}c{c}"\nname = "第{d + 1}区{s + 1}街道{c + 1}社区调委会"\n'
                    f'level = "committee"\nparent = "{street}"\ncase_prefix = "社{d}{s}{c}调"\n'
                )
    path.write_text("\n".join(lines), encoding="utf-8")


async def analyse(db: Database) -> None:
    """Statistics for the planner, as a running service has them (PostgreSQL's autovacuum;
    SQLite's ANALYZE / PRAGMA optimize, which the lead may run at start-up)."""
    async with db.write_engine.connect() as conn:
        if db.dialect == "postgresql":
            auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await auto.exec_driver_sql("VACUUM ANALYZE")
        else:
            await conn.exec_driver_sql("ANALYZE")
            await conn.commit()


async def build(db: Database, units_file: Path, n_cases: int, seed: int) -> dict[str, Any]:
    """Schema, indexes, units, staff and ``n_cases`` cases; returns facts for the requests."""
    rng = random.Random(seed)
    tables = metadata()
    if "ix_cases_created_id" not in {i.name for i in table_of(Case).indexes}:
        recommended_indexes()
    async with db.write_engine.begin() as conn:
        await conn.run_sync(tables.create_all)
    units = load_units(units_file)
    async with db.write() as session:
        await sync_units(session, units)
    leaves = [u.code for u in units.units if u.level.value in ("committee", "station")]
    pw = hash_password(PASSWORD)
    staff_rows = [
        {"username": "root", "display_name": "市管理员", "role": "admin", "unit_code": "city"},
        {"username": "district", "display_name": "区管理员", "role": "admin", "unit_code": "d0"},
    ]
    for i, leaf in enumerate(leaves[:58]):
        staff_rows.append(
            {
                "username": f"m{i}",
                "display_name": f"调解员{i}",
                "role": "mediator",
                "unit_code": leaf,
            }
        )
    async with db.write() as session:
        await session.execute(
            insert(StaffAccount),
            [{**r, "password_hash": pw, "active": True, "language": "zh-CN"} for r in staff_rows],
        )
    mediators = list(range(3, 3 + 58))
    now = datetime.now(UTC)
    counters: dict[str, int] = {}
    statuses = [s for s, w in STATUSES for _ in range(w)]
    phones: list[str] = []
    names: list[str] = []
    numbers: list[str] = []
    token_sets: dict[tuple[str, str], list[int]] = {}
    n_tokens = 0
    t0 = time.perf_counter()
    batch = 2000
    for start in range(0, n_cases, batch):
        cases, parties, events = [], [], []
        tokens: list[dict[str, int]] = []
        for i in range(start, min(start + batch, n_cases)):
            unit = rng.choice(leaves)
            counters[unit] = counters.get(unit, 0) + 1
            prefix = units.by_code[unit].case_prefix
            created = now - timedelta(seconds=rng.randint(0, 730 * 86400))
            status = rng.choice(statuses)
            closed = (
                created + timedelta(days=rng.randint(1, 40))
                if status
                in (
                    "closed",
                    "failed",
                    "withdrawn",
                    "rejected",
                    "transferred",
                )
                else None
            )
            number = format_case_number(created.year, prefix, counters[unit])
            case_id = i + 1
            cases.append(
                {
                    "id": case_id,
                    "number": number,
                    "unit_code": unit,
                    "dispute_type": rng.choice(TYPES),
                    "status": status,
                    "risk": rng.choice(("normal",) * 17 + ("major", "major", "critical")),
                    "source": "party",
                    "facts": FACTS[i % len(FACTS)],
                    "claims": CLAIMS[i % len(CLAIMS)],
                    "amount": Decimal(rng.randint(500, 200000)),
                    "place": "示范市",
                    "language": "zh-CN",
                    "mediator_id": rng.choice(mediators) if rng.random() < 0.7 else None,
                    "outcome": status if closed else None,
                    "created_at": created,
                    "updated_at": created + timedelta(days=rng.randint(0, 30)),
                    "closed_at": closed,
                    "room_mode": "joint",
                    "session_open": False,
                }
            )
            for side in ("applicant", "respondent"):
                phone = f"1{rng.choice('3578')}{rng.randint(0, 999_999_999):09d}"
                name = (
                    rng.choice(SURNAMES)
                    + rng.choice(GIVEN)
                    + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
                )
                parties.append(
                    {
                        "case_id": case_id,
                        "side": side,
                        "ordinal": 1,
                        "status": "joined",
                        "name": name,
                        "phone": phone,
                        "phone_hash": crypto.blind_index(phone),
                    }
                )
                if i % 997 == 0:
                    phones.append(phone)
                    names.append(name)
            if i % 997 == 0:
                numbers.append(number)
            pair = (FACTS[i % len(FACTS)], CLAIMS[i % len(CLAIMS)])
            if pair not in token_sets:
                token_sets[pair] = sorted(search_index.tokens(pair))
            tokens.extend({"token": t, "case_id": case_id} for t in token_sets[pair])
            events.append(
                {
                    "case_id": case_id,
                    "at": created,
                    "kind": "created",
                    "actor": "user:0",
                    "data": {},
                }
            )
        async with db.write() as session:
            await session.execute(insert(Case), cases)
            await session.execute(insert(CaseParty), parties)
            await session.execute(insert(CaseEvent), events)
            await session.execute(insert(CaseSearchToken), tokens)
        n_tokens += len(tokens)
    load_s = time.perf_counter() - t0
    async with db.write_engine.begin() as conn:
        if db.dialect == "postgresql":
            await conn.exec_driver_sql("SELECT setval('cases_id_seq', (SELECT max(id) FROM cases))")
    await analyse(db)
    return {
        "phones": phones,
        "names": names,
        "numbers": numbers,
        "load_s": load_s,
        "tokens_per_case": n_tokens / max(1, n_cases),
    }


async def login(http: aiohttp.ClientSession, base: str, username: str) -> None:
    async with http.get(base + "/staff/login") as resp:
        token = CSRF.search(await resp.text())
    assert token
    async with http.post(
        base + "/staff/login",
        data={"_csrf": token.group(1), "username": username, "password": PASSWORD},
        allow_redirects=False,
    ) as resp:
        assert resp.status == 303, await resp.text()


async def timed(http: aiohttp.ClientSession, url: str) -> tuple[float, str]:
    t0 = time.perf_counter()
    async with http.get(url) as resp:
        body = await resp.text()
        assert resp.status == 200, (url, resp.status, body[:500])
    return (time.perf_counter() - t0) * 1000, body


async def measure(base: str, facts: dict[str, Any], n: int, seed: int) -> dict[str, list[float]]:
    rng = random.Random(seed)
    results: dict[str, list[float]] = {}
    jar_root, jar_district, jar_committee = (aiohttp.CookieJar(unsafe=True) for _ in range(3))
    async with (
        aiohttp.ClientSession(cookie_jar=jar_root) as root,
        aiohttp.ClientSession(cookie_jar=jar_district) as district,
        aiohttp.ClientSession(cookie_jar=jar_committee) as committee,
    ):
        await login(root, base, "root")
        await login(district, base, "district")
        await login(committee, base, "m0")
        # A deep page: follow "next" 40 pages (2,000 rows) and keep that cursor.
        url = base + "/staff/cases"
        for _ in range(40):
            _, body = await timed(root, url)
            m = re.search(r'href="(/staff/cases\?[^"]*after=[^"]+)" rel="next"', body)
            assert m, "no next page"
            url = base + m.group(1).replace("&amp;", "&")
        deep = url
        views: dict[str, Callable[[], tuple[aiohttp.ClientSession, str]]] = {
            "first page (city admin, all 100k)": lambda: (root, base + "/staff/cases"),
            "page 41 by cursor": lambda: (root, deep),
            "sort by number, oldest first": lambda: (
                root,
                base + "/staff/cases?sort=number&order=asc",
            ),
            "district admin (25 units)": lambda: (district, base + "/staff/cases"),
            "committee mediator (1 unit)": lambda: (committee, base + "/staff/cases"),
            "filter status+type+risk": lambda: (
                root,
                base + "/staff/cases?status=mediating&type=neighbour&risk=major",
            ),
            "filter date range + unit": lambda: (
                root,
                base + "/staff/cases?unit=d1s2&from=2026-01-01&to=2026-06-30",
            ),
            "filter mediator": lambda: (root, base + f"/staff/cases?mediator={rng.randint(3, 60)}"),
            "search phone (blind index)": lambda: (
                root,
                base + "/staff/cases?q=" + rng.choice(facts["phones"]),
            ),
            "search name prefix": lambda: (
                root,
                base + "/staff/cases?q=" + rng.choice(facts["names"]),
            ),
            "search case number": lambda: (
                root,
                base + "/staff/cases?q=" + rng.choice(facts["numbers"]),
            ),
            "search serial digits": lambda: (root, base + f"/staff/cases?q={rng.randint(1, 1500)}"),
            "search facts/claims (tokens)": lambda: (
                root,
                base + "/staff/cases?q=" + rng.choice(TEXT_QUERIES),
            ),
        }
        for name, make in views.items():
            session, first = make()
            for _ in range(3):  # warm-up
                await timed(session, first)
            samples = []
            for _ in range(n):
                session, u = make()
                ms, _ = await timed(session, u)
                samples.append(ms)
            results[name] = samples
    return results


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run(args: argparse.Namespace) -> int:
    crypto.configure((Fernet.generate_key().decode(),), "benchmark-secret")
    with tempfile.TemporaryDirectory(prefix="console-bench-") as tmp:
        tmp_path = Path(tmp)
        units_file = tmp_path / "units.toml"
        write_units(units_file)
        if args.db == "sqlite":
            url = f"sqlite+aiosqlite:///{tmp_path / 'ledger.db'}"
        else:
            url = args.pg_url
            await reset_postgres(url)
        db = Database(url)
        print(f"building {args.cases:,} cases on {db.dialect} …", flush=True)
        facts = await build(db, units_file, args.cases, args.seed)
        print(f"  bulk insert took {facts['load_s']:.1f} s", flush=True)
        print(f"  {facts['tokens_per_case']:.1f} search tokens per case", flush=True)
        settings = Settings.from_env(
            {"DATA_DIR": str(tmp_path / "var"), "UNITS_FILE": str(units_file), "DATABASE_URL": url}
        )
        from app.runtime import assemble_runtime
        from features.console.web import add_console
        from web.app import create_app

        units = load_units(units_file)
        clock = SystemClock()
        runtime = assemble_runtime(settings, db, units, clock)
        app = create_app(runtime)
        add_console(app, runtime, sweep_interval=None)
        try:
            async with serving(app) as base_url:
                results = await measure(base_url, facts, args.requests, args.seed)
        finally:
            await db.dispose()
    worst = 0.0
    print(f"\n{'view':40} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}   (n={args.requests} each)")
    for name, samples in results.items():
        p95 = pct(samples, 0.95)
        worst = max(worst, p95)
        print(f"{name:40} {statistics.median(samples):8.1f} {p95:8.1f} {max(samples):8.1f}")
    print(f"\nworst p95: {worst:.1f} ms (budget {args.budget_ms:.0f} ms)")
    return 0 if worst <= args.budget_ms else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--pg-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/console_dev"
    )
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--budget-ms", type=float, default=150.0)
    parser.add_argument("--seed", type=int, default=7)
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
