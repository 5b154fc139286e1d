"""The 悦来 example end to end (issue 24, items 3-6), on both databases, with a fake clock.

The grid worker reports about ten workers at a site gate over unpaid wages; the rule dispatches
it (市政建管岗 leads, 政务劳保岗 assists); that afternoon the lead holds a joint visit on site —
no agreement; the lead's deadline passes and the district's centre hears of it; next morning the
street's command centre raises the risk to 较大, which escalates the case to the district's
operations centre; the centre hands it to 区人社局 from its dispatch page (the police station
and the 司法所's lawyer assist, as the rule suggests); the department records the ten workers'
roster (the representative's authority from each), and by noon it mediates jointly with the
police and the lawyer on site: settled. Every hand-over and alert reaches the person it names,
each role sees what it may, the 流转记录 shows who held the case when, and the operations
picture counts it.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import select

from core.clock import FakeClock
from features.street.models import StreetHandover, StreetMember, StreetSession, StreetTask
from harness.steps import link_unit_staff, report_in_street, wait_text
from standin.simulation import SimUser
from storage.models import Case
from tests.e2e.harness import assert_quiet
from tests.street.service import street_with_bot

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="_csrf" value="([^"]+)"')
FLASH = re.compile(r'<div class="flash (\w+)" role="status">([^<]*)</div>')

#: (username, Telegram id, role, unit) — the posts' and departments' members as in the units file.
PEOPLE = {
    "grid": ("wangge", 7001, "grid", "yuelai-sq"),
    "jianguan": ("jianguan", 7002, "mediator", "yuelai"),
    "laobao": ("laobao", 7003, "mediator", "yuelai"),
    "district": ("yb-centre", 7004, "admin", "yubei"),
    "street": ("yl-centre", 7005, "admin", "yuelai"),
    "renshe": ("renshe", 7006, "mediator", "yubei"),
    "police": ("minjing", 7007, "police", "yuelai"),
    "lawyer": ("lvshi", 7008, "lawyer", "yuelai"),
}


class Console:
    """One person signed in to the console over HTTP, as their browser would be."""

    def __init__(self, base: str, http: aiohttp.ClientSession, username: str) -> None:
        self.base, self.http, self.csrf, self.username = base, http, "", username

    async def login(self) -> None:
        """Sign in (again: the console's session ends after hours idle, as the clock moves)."""
        await self.get("/login")
        async with self.http.post(
            self.base + "/staff/login",
            data={"_csrf": self.csrf, "username": self.username, "password": PASSWORD},
            allow_redirects=False,
        ) as resp:
            assert resp.status == 303, await resp.text()
        await self.get("/account")

    async def get(self, path: str) -> tuple[int, str]:
        async with self.http.get(self.base + "/staff" + path) as resp:
            text = await resp.text()
            if m := CSRF.search(text):
                self.csrf = m.group(1)
            return resp.status, text

    async def post(self, path: str, data: dict[str, Any] | list[tuple[str, str]]) -> str:
        """Post a form and follow the redirect; returns the page's flash messages."""
        fields = list(data.items()) if isinstance(data, dict) else list(data)
        async with self.http.post(
            self.base + "/staff" + path, data=[("_csrf", self.csrf), *fields]
        ) as resp:
            text = await resp.text()
            assert resp.status == 200, (resp.status, text[:500])
        if m := CSRF.search(text):
            self.csrf = m.group(1)
        return " ".join(f"{kind}:{msg}" for kind, msg in FLASH.findall(text))


async def signed_in(base: str, username: str) -> Console:
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    console = Console(base, http, username)
    await console.login()
    return console


async def next_day(web: dict[str, Console]) -> None:
    for console in web.values():
        await console.login()


async def test_yuelai_joint_escalation_and_settlement(
    tmp_path: Path, database_url: str | None
) -> None:
    clock = FakeClock()
    async with street_with_bot(
        tmp_path, "units_joint.toml", database_url=database_url, clock=clock
    ) as (standin, runtime, base):
        linked = await link_unit_staff(runtime, standin, PEOPLE.values())
        tg = {key: linked[person[0]] for key, person in PEOPLE.items()}
        consoles = {k: await signed_in(base, PEOPLE[k][0]) for k in PEOPLE if k != "lawyer"}
        try:
            await _the_example(runtime, clock, tg, consoles)
        finally:
            for c in consoles.values():
                await c.http.close()


async def _the_example(
    runtime: Any, clock: FakeClock, tg: dict[str, SimUser], web: dict[str, Console]
) -> None:
    grid, jianguan, laobao = tg["grid"], tg["jianguan"], tg["laobao"]
    district, renshe, police, lawyer = tg["district"], tg["renshe"], tg["police"], tg["lawyer"]

    # Morning: the grid worker reports from the phone; the rule dispatches it at once.
    await report_in_street(grid)
    await grid.wait_for_messages(6)  # each party's invitation and its QR code, shown on the spot
    number = "（2026）悦来调字第0001号"
    await wait_text(jianguan, "市政建管岗（牵头")
    await wait_text(laobao, "政务劳保岗（协办")
    async with runtime.db.read() as session:
        case = (await session.execute(select(Case))).scalar_one()
    page = f"/street/cases/{case.id}"
    await jianguan.press("接单")
    await wait_text(jianguan, "已接单：")
    await laobao.press("接单")
    await wait_text(laobao, "已接单：")

    # Each role's view: the grid worker has no task on it; the helper sees names, not phones.
    status, text = await web["grid"].get(page)
    assert status == 404 and "没有任务" in text
    status, text = await web["laobao"].get(page)
    assert status == 200 and "协办岗位" in text and "流转记录" in text
    assert "13800001111" not in text and "138****1111" in text
    status, text = await web["jianguan"].get(page)
    assert "牵头" in text and "13800001111" in text and "群体纠纷名册" in text

    # Afternoon: the lead schedules a joint visit on site; the helper is told.
    clock.advance(hours=3)
    local = clock.now().astimezone(runtime.settings.tz)
    at = (local + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    said = await web["jianguan"].post(
        page, {"do": "session", "kind": "site", "at": at, "place": "工地大门"}
    )
    assert "联合调处已安排" in said
    notice = await wait_text(laobao, "【联合调处】")
    assert number in (notice.text or "") and "工地大门" in (notice.text or "")
    async with runtime.db.read() as session:
        visit = (await session.execute(select(StreetSession))).scalar_one()
    said = await web["laobao"].post(
        page,
        [
            ("do", "record"),
            ("session", str(visit.id)),
            ("desks", "yl-jianguan"),
            ("desks", "yl-laobao"),
            ("others", "派出所、社区、施工单位"),
            ("summary", "到现场与派出所、社区、施工单位协商，施工单位称总包未拨款，未达成一致。"),
            ("result", "no_agreement"),
        ],
    )
    assert "调处情况已记录" in said

    # The lead's four hours pass: overdue, the district's centre hears of it (once).
    clock.advance(hours=2)
    assert await runtime.timers.run_due() == 2  # both tasks were still owed
    overdue = await wait_text(district, "任务超期")
    assert number in (overdue.text or "")
    await wait_text(district, "任务超期")

    # Next morning: the street's command centre raises the risk to 较大 → the district centre.
    clock.advance(hours=14)
    await next_day(web)
    status, text = await web["jianguan"].get(page)
    assert 'name="level"' in text, "the lead may raise the risk too"
    said = await web["street"].post(
        page, {"do": "risk", "level": "major", "reason": "现场协商未果，工人仍聚集，涉及十余人。"}
    )
    assert "已升级上报至渝北区矛盾纠纷调处中心" in said
    escalated = await wait_text(district, "【升级上报】")
    assert number in (escalated.text or "") and "较大" in (escalated.text or "")
    assert "悦来街道人民调解委员会" in (escalated.text or "")

    # The district centre's dispatch page: the case, with the rule's suggestion.
    status, text = await web["district"].get("/street/dispatch")
    assert status == 200 and number in text
    assert "渝北区人社局 牵头，悦来派出所、悦来司法所 协办" in text
    assert "劳动保障监察条例" in text
    status, text = await web["street"].get("/street/dispatch")
    assert number not in text, "the street no longer holds it"
    said = await web["district"].post(
        f"/street/dispatch/{case.id}",
        [
            ("lead", "yb-renshe"),
            ("assist", "yl-paichusuo"),
            ("assist", "yl-sifasuo"),
            ("hours", "6"),
        ],
    )
    assert "已移交，派出 3 个任务" in said
    status, text = await web["district"].get("/street/dispatch")
    assert number not in text
    handed = await wait_text(jianguan, "已由上级中心移交渝北区人社局牵头")
    assert number in (handed.text or "")
    card = await wait_text(renshe, "渝北区人社局（牵头")
    assert "待接单" in (card.text or "")
    await wait_text(police, "悦来派出所（协办")
    await wait_text(lawyer, "悦来司法所（协办")

    # Views after the hand-over: the department leads; the police assist as a department (no
    # roster, no phones, no 流转记录); the old lead now helps.
    status, text = await web["renshe"].get(page)
    assert "渝北区人社局（渝北区矛盾纠纷调处中心） · 移交承办" in text
    status, text = await web["police"].get(page)
    assert status == 200 and "协办部门" in text
    assert "群体纠纷名册" not in text and "流转记录" not in text and "13800001111" not in text
    status, text = await web["jianguan"].get(page)
    assert "协办岗位" in text and 'name="level"' not in text and "已移交" in text

    # The department accepts, and records the ten workers (one line refused first: nothing is
    # added until it is fixed); the total is the sum; one member's special authority checked.
    await renshe.press("接单")
    await wait_text(renshe, "已接单：")
    await wait_text(renshe, "【已接单】")
    names = ["张秀英", "李强", "王伟", "刘洋", "陈杰", "杨勇", "赵磊", "黄军", "周涛", "吴斌"]
    lines = [f"{n} 1380000{2000 + i} {8000 + 100 * i}" for i, n in enumerate(names)]
    lines[0] = "张秀英 13800001111 8600"
    said = await web["renshe"].post(
        page,
        {"do": "roster", "representative": "张秀英", "members": "\n".join([*lines, "王五 八千"])},
    )
    assert "第 11 行没有看懂" in said
    said = await web["renshe"].post(
        page, {"do": "roster", "representative": "张秀英", "members": "\n".join(lines)}
    )
    assert "已添加 10 人。" in said, "already 较大: the group rule raises nothing more"
    async with runtime.db.read() as session:
        members = (
            (await session.execute(select(StreetMember).order_by(StreetMember.ordinal)))
            .scalars()
            .all()
        )
    total = sum(m.amount_cents for m in members)
    assert len(members) == 10 and total == (8600 + sum(8000 + 100 * i for i in range(1, 10))) * 100
    said = await web["renshe"].post(
        page, {"do": "authority", "member": str(members[1].id), "authority": "special"}
    )
    assert "授权已记录" in said
    said = await web["renshe"].post(
        page, {"do": "authority", "member": str(members[2].id), "authority": "general"}
    )
    assert "授权已记录" in said
    status, text = await web["renshe"].get(page)
    assert "诉求合计 85,100.00 元" in text and "1 人已出具经核实的特别授权" in text
    assert text.count("特别授权（可代为和解）") == 1 and text.count("一般授权（只能代为陈述）") == 1
    status, text = await web["laobao"].get(page)
    assert "李强" in text and "诉求合计" not in text and "13800002001" not in text

    # By noon: a joint session on site with the department, the police and the lawyer; settled.
    clock.advance(hours=1)
    at = (clock.now().astimezone(runtime.settings.tz) + timedelta(hours=2)).strftime(
        "%Y-%m-%dT%H:%M"
    )
    said = await web["renshe"].post(
        page, {"do": "session", "kind": "site", "at": at, "place": "悦来工地项目部"}
    )
    assert "联合调处已安排" in said
    for person in (police, lawyer, jianguan, laobao):
        await wait_text(person, "【联合调处】")
    async with runtime.db.read() as session:
        noon = (
            (await session.execute(select(StreetSession).order_by(StreetSession.id.desc())))
            .scalars()
            .first()
        )
    assert noon is not None
    said = await web["police"].post(
        page,
        [
            ("do", "record"),
            ("session", str(noon.id)),
            ("desks", "yb-renshe"),
            ("desks", "yl-paichusuo"),
            ("desks", "yl-sifasuo"),
            ("others", "施工单位、总包单位"),
            ("summary", "总包单位同意三日内垫付全部欠薪，工人撤离工地大门。"),
            ("result", "agreed"),
        ],
    )
    assert "调处情况已记录" in said
    said = await web["police"].post(
        page, {"do": "outcome", "outcome": "settled", "text": "已达成一致"}
    )
    assert "角色不能做这一步" in said, "a helping department does not decide the outcome"
    said = await web["renshe"].post(
        page, {"do": "outcome", "outcome": "settled", "text": "总包单位三日内垫付欠薪 89,200 元。"}
    )
    assert "处置结果已记录" in said
    for person in (police, lawyer, jianguan, laobao):
        done = await wait_text(person, "已记录处置结果：化解成功")
        assert number in (done.text or "")
    said = await web["street"].post(page, {"do": "outcome", "outcome": "unsettled", "text": "重复"})
    assert "一个案件只有一个结果" in said
    said = await web["renshe"].post(page, {"do": "roster", "members": "孙七 9000"})
    assert "不能再做这一步" in said

    # The 流转记录: who held it when.
    status, text = await web["district"].get(page)
    history = text[text.index('data-testid="handovers"') :]
    history = history[: history.index("</section>")]
    steps = [
        "登记受理：悦来街道人民调解委员会",
        "派单承办：市政建管岗（悦来街道人民调解委员会）",
        "升级上报：渝北区矛盾纠纷调处中心（现场协商未果",
        "移交承办：渝北区人社局（渝北区矛盾纠纷调处中心）",
        "办结：渝北区人社局（渝北区矛盾纠纷调处中心）",
    ]
    positions = [history.index(s) for s in steps]
    assert positions == sorted(positions)
    async with runtime.db.read() as session:
        kinds = [
            h.kind
            for h in (
                await session.execute(select(StreetHandover).order_by(StreetHandover.id))
            ).scalars()
        ]
        assert kinds == ["reported", "dispatched", "escalated", "handed", "concluded"]
        tasks = {
            t.desk_code: t.status for t in (await session.execute(select(StreetTask))).scalars()
        }
        assert tasks == {
            "yl-jianguan": "handed",
            "yl-laobao": "done",
            "yb-renshe": "done",
            "yl-paichusuo": "done",
            "yl-sifasuo": "done",
        }
        case = (await session.execute(select(Case))).scalar_one()
        assert case.risk == "major" and case.unit_code == "yuelai"

    # Nothing more fires: the new tasks' deadlines were cancelled with the outcome.
    clock.advance(hours=24)
    assert await runtime.timers.run_due() == 0
    await next_day(web)
    for person in (district, renshe, police, lawyer, jianguan, laobao, grid):
        await assert_quiet(person)

    # The operations picture after it: one case, settled, nothing overdue, no open group.
    status, text = await web["district"].get("/street/wall.json")
    units = {u["unit"]: u for u in __import__("json").loads(text)["units"]}
    for code in ("yubei", "yuelai"):
        u = units[code]
        assert (u["cases"], u["open"], u["settled"], u["concluded"], u["rate"]) == (
            1,
            0,
            1,
            1,
            100.0,
        )
        assert (u["overdue_tasks"], u["open_groups"], u["high_risk"]) == (0, 0, 1)
        assert u["types"] == {"labour_wages": 1}
    status, text = await web["district"].get("/")
    assert 'data-testid="street-picture"' in text and "化解率 = 化解成功件数 ÷ 已办结件数" in text
    status, text = await web["district"].get("/street/wall")
    assert status == 200 and "street-wall.js" in text and "100.0%" in text
