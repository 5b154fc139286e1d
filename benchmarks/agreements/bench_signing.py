"""Signing and sealing timings through the real service (stand-in Bot API, SQLite, render pool).

Plays ``--cases`` whole mediations with ``app.demo`` in one running service and
reports, per step, p50 / p95 / max in milliseconds:

- ``webapp_sign_http``: a Mini App signature POST (initData HMAC, replay check, PNG stored,
  signature row and outbox in one transaction) until the HTTP answer;
- ``typed_sign_chat``: a typed-name signature from the party's message to the bot's
  confirmation arriving in the chat (two stand-in round trips included);
- ``mediator_sign_to_signed_pdf``: the mediator's signature to the sealed PDF arriving in a
  party's chat (render with signatures + PAdES seal + delivery);
- ``preview`` / ``render_signed`` / ``seal``: the render job's own measures;
- ``verify_upload_check``: re-checking an uploaded copy (pyHanko validation + hash), in-process;
- ``init_data_check_us``: one initData HMAC check, in microseconds.

Usage: ``.venv/bin/python benchmarks/agreements/bench_signing.py [--cases 8]`` (JSON on stdout).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.common import summary


async def main(cases: int) -> dict[str, object]:
    from app.demo import DEMO_TOKEN, run_demo
    from documents.seal import Sealer
    from documents.verify import verify_async
    from features.agreements.initdata import check_init_data, sign_init_data

    timings: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "out"
        keys = Path(folder) / "keys"
        sealer = Sealer.from_directory(keys, organisation="示范人民调解委员会")
        started = time.perf_counter()
        result = await run_demo(
            out, sealer=sealer, echo=lambda _t: None, cases=cases, timings=timings
        )
        total = time.perf_counter() - started
        pdf = result.files["mediation_agreement"].read_bytes()
        changed = bytearray(pdf)
        changed[len(changed) // 2] ^= 1
        for copy in (pdf, bytes(changed)) * 10:
            began = time.perf_counter()
            await verify_async(copy, trusted=[sealer.certificate_pem])
            timings.setdefault("verify_upload_check", []).append(time.perf_counter() - began)
    raw = sign_init_data(DEMO_TOKEN, {"id": 1}, auth_date=int(time.time()))
    now = datetime.now(UTC)
    began = time.perf_counter()
    for _ in range(1000):
        check_init_data(raw, DEMO_TOKEN, now=now, max_age=timedelta(hours=1))
    per_check_us = (time.perf_counter() - began) / 1000 * 1e6
    return {
        "date": datetime.now(UTC).date().isoformat(),
        "cases": cases,
        "total_s": round(total, 1),
        "init_data_check_us": round(per_check_us, 1),
        "steps": {name: summary(values) for name, values in sorted(timings.items())},
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=8)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.cases)), ensure_ascii=False, indent=2))
