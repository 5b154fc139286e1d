"""``main.py demo [--out DIR]``: a whole mediation, played by simulated people, no token needed.

The real service (conversation engine, database, outbox sender, render pool, seal, web server)
runs against the stand-in Bot API shipped in ``standin``; simulated Telegram users register
a dispute, join, talk, and a mediator drafts, revises and signs the agreement; one party signs
on the Mini App page over HTTP (the demo signs its ``initData`` with the demo bot's token, as
Telegram would), the other by typing the name; both apply for 司法确认. The PDFs the people
received are written to the output folder: the 人民调解申请书, the 调解笔录, the signed and
sealed 人民调解协议书 and the 司法确认申请书; then a police officer runs a 治安调解 on a second case.
The scenes are ``app.demo_mediation`` and ``app.demo_police``, on ``app.demo_stage``.

Everything else (the SQLite database, the generated seal key) lives in a temporary directory
that is removed at the end, so the demo never touches a configured database.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.demo_mediation import play
from app.demo_police import police_mediation
from app.demo_stage import DEMO_TOKEN, FILES, DemoResult, Script

if TYPE_CHECKING:
    from core.config import Settings
    from documents.pool import RenderPool
    from documents.seal import Sealer

__all__ = ["DEMO_TOKEN", "FILES", "DemoResult", "add_demo_command", "run_demo"]

#: The demo's settings over the harness's: its own bot token, the statutes loaded as in
#: production, and only warnings from the service's log (the narrative is the output).
DEMO_ENV = {"TELEGRAM_BOT_TOKEN": DEMO_TOKEN, "KB_ENABLED": "1", "LOG_LEVEL": "WARNING"}
#: The demo's units: the committee (default, as in config/units.toml) hosted by a 派出所, whose
#: officers run a 治安调解 on the committee's cases and issue its 协议书 in the station's name.
DEMO_UNITS = """
[[unit]]
code = "default"
name = "示范人民调解委员会"
level = "committee"
parent = "station"
address = "线上调解室"
case_prefix = "示调"
court = "示范区人民法院"
default = true

[[unit]]
code = "station"
name = "示范市公安局示范区分局示范派出所"
level = "station"
kind = "police"
committee = "default"
address = "示范区和平路1号"
case_prefix = "示警调"
court = "示范区人民法院"
"""


def add_demo_command(subparsers: Any) -> None:
    """Register ``demo`` on ``main.py``'s sub-command parser."""
    p = subparsers.add_parser(
        "demo",
        help="play a whole mediation with simulated people (no Telegram token) and write the PDFs",
    )
    p.add_argument(
        "--out", default="demo-output", help="folder for the PDFs (default ./demo-output)"
    )
    p.add_argument("--keep-data", action="store_true", help="keep the temporary data directory")
    p.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    import logging

    logging.getLogger().setLevel(logging.WARNING)  # the narrative, not the service's log
    result = asyncio.run(run_demo(Path(args.out), keep_data=args.keep_data))
    print(f"\n完成 / done in {result.seconds:.1f} s: {len(result.files)} PDF files in {result.out}")
    return 0


async def run_demo(
    out: Path,
    *,
    pool: RenderPool | None = None,
    sealer: Sealer | None = None,
    echo: Callable[[str], None] = print,
    keep_data: bool = False,
    cases: int = 1,
    timings: dict[str, list[float]] | None = None,
) -> DemoResult:
    """Play the mediation and write the four PDFs to ``out``.

    ``cases`` > 1 plays that many mediations in the same service (benchmarks; the files are the
    first case's) and ``timings`` collects how long the signing steps took, in seconds.
    """
    from aiohttp import ClientSession

    from features.agreements.common import services_of
    from harness import running_service
    from standin import StandinBotAPI

    started = time.monotonic()
    await asyncio.to_thread(out.mkdir, parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="mediation-demo-"))
    result = DemoResult(await asyncio.to_thread(out.resolve))
    async with StandinBotAPI() as standin, ClientSession() as http:
        echo(f"本地 Telegram 替身服务器 / stand-in Bot API: {standin.base_url}")
        echo(f"临时数据目录 / temporary data directory: {data_dir}")
        echo("启动服务（PDF 渲染进程池、调解委员会印章、网页）… / starting the service …")
        units = data_dir / "units.toml"
        await asyncio.to_thread(units.write_text, DEMO_UNITS, encoding="utf-8")
        async with running_service(
            data_dir,
            standin=standin,
            env={**DEMO_ENV, "UNITS_FILE": str(units)},
            web_app=True,
            render_pool=pool,
            sealer=sealer,
            kb_ready=False,
        ) as service:
            for index in range(cases):
                quiet = echo if index == 0 else (lambda _text: None)
                script = Script(service, http, quiet, timings)
                await play(script, result, index)
                if index == 0:
                    await police_mediation(script, result)
            if timings is not None:
                for what, seconds in services_of(service.runtime.shared).jobs.timings:
                    timings.setdefault(what, []).append(seconds)
    if keep_data:
        echo(f"数据保留在 / data kept in {data_dir}")
    else:
        shutil.rmtree(data_dir, ignore_errors=True)
    result.seconds = time.monotonic() - started
    for key, path in result.files.items():
        echo(f"  {path}  ({path.stat().st_size // 1024} KB, {key})")
    return result
