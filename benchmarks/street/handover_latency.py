"""Hand-over latency: from the district centre's 移交 to the department lead's alert (issue 24,
item 4), and the escalation before it: from the street centre's raise to 较大 to the district
centre's 升级上报 alert.

Usage (from the project root)::

    .venv/bin/python benchmarks/street/handover_latency.py --cases 20
    .venv/bin/python benchmarks/street/handover_latency.py --cases 20 \
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench

The whole service runs in this process against the stand-in Bot API over real HTTP, with the
console on a free port and the units file of the joint test (tests/street/units_joint.toml).
Cases are registered through the console's phone form (unmeasured); for each, timed over real
HTTP as a browser would post it: the street centre's raise (POST of the joint page's form) until
the stand-in receives the district centre's alert, then the district centre's hand-over (POST of
the dispatch page's form) until the stand-in receives the 区人社局 member's task card. Send
limits: none (the service's own latency). Prints one JSON object (p50/p95/max in ms) and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks.common import summary  # noqa: E402
from benchmarks.street.common import street_service  # noqa: E402
from harness.steps import link_unit_staff, wait_text  # noqa: E402

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="_csrf" value="([^"]+)"')


class Browser:
    def __init__(self, base: str) -> None:
        self.base = base + "/staff"
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""

    async def get(self, path: str) -> str:
        async with self.http.get(self.base + path) as resp:
            text = await resp.text()
        if m := CSRF.search(text):
            self.csrf = m.group(1)
        return text

    async def post(self, path: str, data: list[tuple[str, str]]) -> None:
        async with self.http.post(
            self.base + path, data=[("_csrf", self.csrf), *data], allow_redirects=False
        ) as resp:
            assert resp.status == 303, (resp.status, (await resp.text())[:300])

    async def login(self, username: str) -> None:
        await self.get("/login")
        await self.post("/login", [("username", username), ("password", PASSWORD)])
        await self.get("/account")


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--cases", type=int, default=20)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    raises: list[float] = []
    handovers: list[float] = []
    async with street_service("units_joint.toml", args.database_url, web_app=True) as (
        standin,
        service,
    ):
        runtime, base = service.runtime, service.base_url
        people = await link_unit_staff(
            runtime,
            standin,
            (
                ("wangge", 9001, "grid", "yuelai-sq"),
                ("yl-centre", 9002, "admin", "yuelai"),
                ("yb-centre", 9003, "admin", "yubei"),
                ("renshe", 9004, "mediator", "yubei"),
            ),
        )
        grid, street, district = Browser(base), Browser(base), Browser(base)
        try:
            await grid.login("wangge")
            await street.login("yl-centre")
            await district.login("yb-centre")
            for n in range(1, args.cases + 1):
                await grid.get("/street/register")
                await grid.post(
                    "/street/register",
                    [
                        ("dispute_type", "labour_wages"),
                        ("place", "渝北区悦来街道 某建筑工地大门"),
                        ("facts", f"第{n}处工地约十名工人反映被拖欠工资。"),
                        ("side0", "applicant"),
                        ("name0", "张秀英"),
                        ("side1", "respondent"),
                    ],
                )
                await grid.get("/street/registered")
                number = f"（2026）悦来调字第{n:04d}号"
                page = f"/street/cases/{n}"
                await street.get(page)
                start = time.perf_counter()
                await street.post(
                    page, [("do", "risk"), ("level", "major"), ("reason", "现场未果")]
                )
                await wait_text(people["yb-centre"], number, timeout=120)
                raises.append(time.perf_counter() - start)
                await district.get("/street/dispatch")
                start = time.perf_counter()
                await district.post(
                    f"/street/dispatch/{n}",
                    [("lead", "yb-renshe"), ("assist", "yl-sifasuo"), ("hours", "24")],
                )
                # Not the escalation alert (it reached the centre's staff, 人社局's
                # member among them): the task card.
                card = await wait_text(people["renshe"], "渝北区人社局（牵头", timeout=120)
                handovers.append(time.perf_counter() - start)
                assert number in (card.text or ""), card.text
        finally:
            for b in (grid, street, district):
                await b.http.close()
    print(
        json.dumps(
            {
                "database": "postgresql" if args.database_url else "sqlite",
                "raise_to_centre_alert": summary(raises),
                "handover_to_department_alert": summary(handovers),
                "load": os.getloadavg()[0],
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
