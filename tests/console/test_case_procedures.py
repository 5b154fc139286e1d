"""The case page as staff read it (issue 18): who acts for each party (a 委托代理人 and their
authority, a guardian) and an organisation's code and 法定代表人, masked for those who may not
see names; and the 治安调解 card, which only police use, opening the procedure over HTTP."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from features.agreements.models import PoliceMediation
from features.console.case_actions import CaseActions
from features.console.risk import RiskService
from harness.steps import id_number
from storage.models import Case, CaseParty, PartyAgent
from tests.console.conftest import World, add_case, console_app, csrf_of, login
from tests.console.test_ledger import staff

CREDIT_CODE = "91500107MA5U8XXXXX"
AGENT_ID = id_number("19800101", 7)


async def _page(world: World, username: str, case_id: int) -> str:
    async with TestClient(TestServer(console_app(world))) as client:
        await login(client, username)
        resp = await client.get(f"/staff/cases/{case_id}")
        assert resp.status == 200
        return await resp.text()


def _plain(html: str) -> str:
    return re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", html))


async def test_agents_and_organisations_on_the_case_page(world: World) -> None:
    case_id = world.cases["wage"]
    async with world.runtime.db.write() as s:
        parties = {
            p.side: p
            for p in (await s.execute(select(CaseParty).where(CaseParty.case_id == case_id)))
            .scalars()
            .all()
        }
        org = parties["respondent"]
        org.kind, org.name, org.credit_code = "organisation", "重庆某某建筑公司", CREDIT_CODE
        org.legal_rep, org.legal_rep_title = "周建国", "总经理"
        s.add(
            PartyAgent(
                case_id=case_id,
                party_id=parties["applicant"].id,
                kind="entrusted",
                name="赵律师",
                relation="律师",
                id_number=AGENT_ID,
                authority="special",
                checked_at=datetime(2026, 12, 1, tzinfo=UTC),
                created_at=datetime(2026, 12, 1, tzinfo=UTC),
            )
        )
    text = _plain(await _page(world, "med_c1", case_id))
    for expected in (
        f"统一社会信用代码{CREDIT_CODE}",
        "法定代表人（负责人）周建国（总经理）",
        "委托代理人赵律师（律师）",
        "特别授权",
        "授权已核对",
    ):
        assert expected in text, expected
    assert AGENT_ID not in text and AGENT_ID[:6] in text  # masked like every ID number
    assert "治安调解" not in text  # a mediator runs people's mediation, not the police's
    masked = _plain(await _page(world, "viewer_c1", case_id))
    assert "赵律师" not in masked and "委托代理人赵**（律师）" in masked
    assert "周建国" not in masked


async def test_police_open_a_police_mediation_from_the_case_page(world: World) -> None:
    case_id = await add_case(world, "yjp_ps", 1009, name="王强", other_name="刘伟")
    admin = await staff(world, "admin_city")
    actions = CaseActions(
        world.runtime.db,
        world.runtime.units,
        world.clock,
        RiskService(world.runtime.db, world.runtime.units, world.clock),
    )
    await actions.change_status(admin, case_id, "respondent_accepts", "", "127.0.0.1")
    async with world.runtime.db.read() as s:
        sides = {
            p.side: p.id
            for p in (await s.execute(select(CaseParty).where(CaseParty.case_id == case_id)))
            .scalars()
            .all()
        }
    async with TestClient(TestServer(console_app(world))) as client:
        # An admin of the city may act on any case, but a 治安调解 is the police's (第九条).
        await login(client, "admin_city")
        token = await csrf_of(client, f"/staff/cases/{case_id}")
        resp = await client.post(
            f"/staff/cases/{case_id}/police", data={"_csrf": token, "step": "open"}
        )
        assert resp.status == 400 and "不是公安机关" in await resp.text()
    async with TestClient(TestServer(console_app(world))) as client:
        await login(client, "police_ps")
        page = await client.get(f"/staff/cases/{case_id}")
        html = await page.text()
        assert 'data-testid="police-open"' in html and "因民间纠纷引起" in html
        token = await csrf_of(client, f"/staff/cases/{case_id}")
        form = {
            "_csrf": token,
            "step": "open",
            "violation": "property_damage",
            "civil": "yes",
            "minor": "yes",
            "officers": "1",
            "offender": str(sides["respondent"]),
            "injured": str(sides["applicant"]),
            "time": "12月5日晚",
            "place": "小区车库",
            "cause": "车位纠纷",
            "course": "划伤车辆",
            "result": "车门划痕",
        }
        refused = await client.post(f"/staff/cases/{case_id}/police", data=form)
        assert refused.status == 400
        assert "全程同步录音录像" in await refused.text()  # 第一百零八条: one officer
        done = await client.post(
            f"/staff/cases/{case_id}/police", data={**form, "recording_ref": "PS-0001"}
        )
        assert done.status == 200  # redirected back to the case page
        html = _plain(await done.text())
        assert "已按治安调解处理" in html and "调解中·故意损毁财物·1名民警主持" in html
        # The first mediation fails: the page offers one more, with its deadline and grounds.
        token = await csrf_of(client, f"/staff/cases/{case_id}")
        failed = await client.post(
            f"/staff/cases/{case_id}/police",
            data={"_csrf": token, "step": "failed", "reason": "双方分歧较大"},
        )
        html = _plain(await failed.text())
        assert "已记录第一次调解未达成协议" in html and "第一次调解未达成协议·" in html
        assert "七个工作日内完成" in html and "公安机关认为有必要" in html
        assert 'data-testid="police-again"' in await failed.text()
        assert "不再调解：交回公安机关依法处理" in html
    async with world.runtime.db.read() as s:
        row = (await s.execute(select(PoliceMediation))).scalar_one()
        case = await s.get_one(Case, case_id)
    assert row.status == "failed_once" and row.recording_ref == "PS-0001"
    assert case.status == "mediating"  # the session opened with the police mediation
