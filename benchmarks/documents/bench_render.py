"""Benchmark document rendering and sealing.

    .venv/bin/python benchmarks/documents/bench_render.py [--quick]

Measures, for the 2-page 人民调解协议书 sample:
  * warm render latency (p50/p95) through RenderPool (prepare + IPC + layout), target ≤150 ms,
    and the layout alone as CPU time in-process (robust to other load on the host);
  * render + seal latency (p50/p95), target ≤300 ms;
  * cold start: a fresh Python process to its first PDF, in-process and through a pool, ≤1.5 s;
  * worker RSS across 500 renders (should stay flat);
  * throughput (docs/s) with 2 workers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from documents.pool import RenderPool  # noqa: E402
from documents.registry import load_sample  # noqa: E402
from documents.render import DocumentRenderer  # noqa: E402
from documents.seal import Sealer  # noqa: E402
from documents.worker import worker_rss_kb  # noqa: E402
from legal_kb.statutes import LawsDbStatutes  # noqa: E402

KEY = "mediation_agreement"

_COLD_DIRECT = """
import sys, time
sys.path.insert(0, {root!r})
from documents.render import DocumentRenderer
from documents.registry import load_sample
from documents import worker
from legal_kb.statutes import LawsDbStatutes
prepared = DocumentRenderer(LawsDbStatutes()).prepare({key!r}, load_sample({key!r}))
pdf = worker.render_pdf(prepared.html, prepared.stylesheets)
print(time.time(), len(pdf))
"""

_COLD_POOL = """
import asyncio, sys, time
sys.path.insert(0, {root!r})
from documents.pool import RenderPool
from documents.registry import load_sample
from legal_kb.statutes import LawsDbStatutes

async def main():
    pool = RenderPool(1, statutes=LawsDbStatutes())
    pdf = await pool.render({key!r}, load_sample({key!r}))
    print(time.time(), len(pdf), flush=True)
    await pool.close()

if __name__ == "__main__":
    asyncio.run(main())
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def cold_start(code: str, runs: int) -> list[float]:
    """Seconds from launching a fresh interpreter to its first PDF (reported by the child)."""
    out = []
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(code.format(root=str(ROOT), key=KEY))
        script = handle.name
    try:
        for _ in range(runs):
            start = time.time()
            result = subprocess.run(
                [sys.executable, script], capture_output=True, text=True, check=True, cwd=ROOT
            )
            done = float(result.stdout.split()[0])
            out.append(done - start)
    finally:
        os.unlink(script)
    return out


def fresh_context(i: int) -> dict[str, object]:
    """The sample with a new verify URL each time, so no QR code comes from the cache."""
    ctx = load_sample(KEY)
    ctx["verify_url"] = f"https://mediation.example.org/verify/AGR-{i:06d}?k=bench{i:08d}"
    return ctx


async def latency(pool: RenderPool, n: int, sealer: Sealer | None) -> list[float]:
    times = []
    for i in range(n):
        ctx = fresh_context(i + (100_000 if sealer else 0))
        start = time.perf_counter()
        pdf = await pool.render(KEY, ctx)
        if sealer is not None:
            pdf = await sealer.seal(pdf, reason="人民调解协议书", location="示范人民调解委员会")
        times.append(time.perf_counter() - start)
    return times


async def main(quick: bool) -> dict[str, object]:
    statutes = LawsDbStatutes()
    results: dict[str, object] = {
        "date": time.strftime("%Y-%m-%d"),
        "cpus": os.cpu_count(),
        "loadavg_start": os.getloadavg(),
    }
    n = 30 if quick else 200
    with tempfile.TemporaryDirectory() as tmp:
        sealer = Sealer.from_directory(Path(tmp) / "keys", organisation="示范人民调解委员会")
        async with RenderPool(2, statutes=statutes) as pool:
            ctx = load_sample(KEY)
            pdf = await pool.render(KEY, ctx)
            results["pdf_bytes"] = len(pdf)
            results["sealed_bytes"] = len(
                await sealer.seal(pdf, reason="人民调解协议书", location="示范人民调解委员会")
            )
            await latency(pool, 10, None)  # warm both workers and the template cache
            prep = []
            for i in range(n):
                fresh = fresh_context(200_000 + i)
                start = time.perf_counter()
                pool.prepare(KEY, fresh)
                prep.append(time.perf_counter() - start)
            warm = await latency(pool, n, None)
            sealed = await latency(pool, n, sealer)
            total = 40 if quick else 200
            start = time.perf_counter()
            await asyncio.gather(
                *(pool.render(KEY, fresh_context(300_000 + i)) for i in range(total))
            )
            results["docs_per_s_2_workers"] = round(total / (time.perf_counter() - start), 1)
        for name, values in (("prepare", prep), ("warm_render", warm), ("render_and_seal", sealed)):
            results[f"{name}_ms"] = {
                "n": len(values),
                "p50": round(statistics.median(values) * 1000, 1),
                "p95": round(percentile(values, 95) * 1000, 1),
            }

    # Layout alone, in this process, as CPU time: insensitive to other processes on the host.
    from documents import worker

    worker.init_worker()
    prepared = DocumentRenderer(statutes).prepare(KEY, fresh_context(400_000))
    cpu = []
    for i in range(n // 2 + 3):
        start_cpu = time.process_time()
        pdf = worker.render_pdf(prepared.html, prepared.stylesheets)
        if i >= 3:
            cpu.append(time.process_time() - start_cpu)
    seal_times = []
    with tempfile.TemporaryDirectory() as tmp:
        sealer = Sealer.from_directory(Path(tmp) / "keys", organisation="示范人民调解委员会")
        for _ in range(n // 2):
            start = time.perf_counter()
            await sealer.seal(pdf, reason="人民调解协议书", location="示范人民调解委员会")
            seal_times.append(time.perf_counter() - start)
    for name, values in (("layout_cpu", cpu), ("seal_only", seal_times)):
        results[f"{name}_ms"] = {
            "n": len(values),
            "p50": round(statistics.median(values) * 1000, 1),
            "p95": round(percentile(values, 95) * 1000, 1),
        }

    async with RenderPool(1, statutes=statutes) as single:
        rss = []
        renders = 100 if quick else 500
        for i in range(renders + 1):
            if i % 50 == 0:
                rss.append((i, (await single.call(worker_rss_kb))[1] // 1024))
            if i < renders:
                await single.render(KEY, ctx)
        results["worker_rss_mb_by_render"] = rss

    runs = 2 if quick else 5
    direct = cold_start(_COLD_DIRECT, runs)
    pooled = cold_start(_COLD_POOL, runs)
    results["cold_start_s"] = {
        "in_process_median": round(statistics.median(direct), 2),
        "in_process_all": [round(x, 2) for x in direct],
        "via_pool_median": round(statistics.median(pooled), 2),
        "via_pool_all": [round(x, 2) for x in pooled],
    }
    results["loadavg_end"] = os.getloadavg()
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Benchmark document rendering")
    parser.add_argument("--quick", action="store_true", help="fewer iterations (smoke test)")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.quick)), ensure_ascii=False, indent=2))
