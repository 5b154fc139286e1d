"""Default rules follow the code unless an admin edited them (issue 20: deployments seeded with
the old single-string lists must get the phrase families; an admin's edit must survive)."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from features.console.models import RiskRuleRow
from features.console.risk import RiskService
from mediation.risk import DEFAULT_RULES
from tests.console.conftest import World, login


async def test_unedited_defaults_are_refreshed_and_edited_ones_kept(world: World) -> None:
    rt = world.runtime
    risk = RiskService(rt.db, rt.units, rt.clock)
    await risk.ensure_defaults()
    async with rt.db.write() as s:
        rows = {r.code: r for r in (await s.execute(select(RiskRuleRow))).scalars()}
        # As an older release seeded it: the single strings, no notice.
        rows["violence_threat"].keywords, rows["violence_threat"].notice = ["威胁", "恐吓"], ""
        # As an admin edited it.
        rows["self_harm"].keywords = ["自杀", "本地方言的说法"]
        rows["self_harm"].updated_by = "admin_city"
    await risk.ensure_defaults()
    async with rt.db.read() as s:
        rows = {r.code: r for r in (await s.execute(select(RiskRuleRow))).scalars()}
    threat = next(r for r in DEFAULT_RULES if r.code == "violence_threat")
    assert rows["violence_threat"].keywords == list(threat.keywords)
    assert rows["violence_threat"].notice == "violence"
    assert rows["self_harm"].keywords == ["自杀", "本地方言的说法"]
    assert {r.code for r in DEFAULT_RULES} <= set(rows)


async def test_an_admin_writes_a_phrase_rule_with_its_notice(
    client: TestClient[web.Request, web.Application], world: World
) -> None:
    token = await login(client, "admin_city")
    page = await (await client.get("/staff/rules")).text()
    assert 'name="notice"' in page and "(老公|丈夫)" in page  # the syntax is explained
    form = {
        "_csrf": token,
        "name": "讨债上门",
        "level": "major",
        "keywords": "(讨债|要债)*(上门|堵), 讨债公司",
        "notice": "violence",
        "enabled": "on",
    }
    resp = await client.post("/staff/rules", data=form)
    assert "规则已保存" in await resp.text()
    async with world.runtime.db.read() as s:
        row = (
            await s.execute(select(RiskRuleRow).where(RiskRuleRow.name == "讨债上门"))
        ).scalar_one()
    assert row.keywords == ["(讨债|要债)*(上门|堵)", "讨债公司"] and row.notice == "violence"
    bad = await client.post("/staff/rules", data={**form, "name": "坏的", "keywords": "(讨债|"})
    assert "短语写法有误" in await bad.text()
