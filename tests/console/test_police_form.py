"""The 治安调解 form as the officer meets it (trials of the staff console): a refused form comes
back as it was typed, with every problem at once, each next to its field, in Chinese and in
English."""

from __future__ import annotations

import re

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from features.agreements.models import PoliceMediation
from features.console.case_actions import CaseActions
from features.console.risk import RiskService
from harness.steps import id_number
from storage.models import CaseParty
from tests.console.conftest import World, add_case, console_app, csrf_of, login
from tests.console.test_ledger import staff

INCIDENT = {
    "time": "2026年12月5日晚8时许",
    "place": "杨家坪正街3号小区地下车库",
    "cause": "因车位归属发生口角",
    "course": "刘伟用钥匙划伤王强的车门",
    "circumstances": "未造成人身伤害",
    "result": "左前车门划痕约40厘米",
}


async def accepted_case(world: World, number: int) -> tuple[int, dict[str, int]]:
    """A police station's case the other side agreed to (受理), and its parties by side."""
    case_id = await add_case(world, "yjp_ps", number, name="王强", other_name="刘伟")
    admin = await staff(world, "admin_city")
    rt = world.runtime
    actions = CaseActions(rt.db, rt.units, world.clock, RiskService(rt.db, rt.units, world.clock))
    await actions.change_status(admin, case_id, "respondent_accepts", "", "127.0.0.1")
    async with rt.db.read() as s:
        rows = await s.execute(select(CaseParty).where(CaseParty.case_id == case_id))
        return case_id, {p.side: p.id for p in rows.scalars()}


def _value(html: str, name: str) -> str:
    found = re.search(rf'<input name="{name}"[^>]*value="([^"]*)"', html)
    assert found, f"no input {name}"
    return found.group(1)


def _selected(html: str, name: str) -> list[str]:
    box = re.search(rf'<select name="{name}"[^>]*>.*?</select>', html, re.S)
    assert box, f"no select {name}"
    return re.findall(r'<option value="([^"]*)"[^>]*\sselected', box.group(0))


async def test_a_refused_form_keeps_what_the_officer_typed(world: World) -> None:
    case_id, sides = await accepted_case(world, 1201)
    async with TestClient(TestServer(console_app(world))) as client:
        await login(client, "police_ps")
        token = await csrf_of(client, f"/staff/cases/{case_id}")
        form = {
            "_csrf": token,
            "step": "open",
            "violation": "property_damage",
            "civil": "yes",
            "exclusion": "repeated",
            "offender": str(sides["respondent"]),
            "injured": str(sides["applicant"]),
            "officers": "1",
            **INCIDENT,
        }
        refused = await client.post(f"/staff/cases/{case_id}/police", data=form)
        assert refused.status == 400
        html = await refused.text()
        for name, typed in INCIDENT.items():
            assert _value(html, name) == typed, name
        assert _value(html, "officers") == "1" and _value(html, "recording_ref") == ""
        assert _selected(html, "violation") == ["property_damage"]
        assert _selected(html, "offender") == [str(sides["respondent"])]
        assert _selected(html, "injured") == [str(sides["applicant"])]
        assert re.search(r'name="civil" value="yes" checked', html)
        assert not re.search(r'name="minor" value="yes" checked', html)
        assert re.search(r'name="exclusion" value="repeated" checked', html)
        assert not re.search(r'name="exclusion" value="hired" checked', html)
        # A fresh page starts empty again.
        fresh = await (await client.get(f"/staff/cases/{case_id}")).text()
        assert _value(fresh, "place") == "" and _selected(fresh, "violation") == [""]
    async with world.runtime.db.read() as s:
        assert (await s.execute(select(PoliceMediation))).first() is None


async def test_a_refused_draft_keeps_its_terms(world: World) -> None:
    case_id, sides = await accepted_case(world, 1202)
    async with TestClient(TestServer(console_app(world))) as client:
        await login(client, "police_ps")
        token = await csrf_of(client, f"/staff/cases/{case_id}")
        opening = {
            "_csrf": token,
            "step": "open",
            "violation": "property_damage",
            "civil": "yes",
            "minor": "yes",
            "offender": str(sides["respondent"]),
            "injured": str(sides["applicant"]),
            "officers": "2",
            **INCIDENT,
        }
        opened = await client.post(f"/staff/cases/{case_id}/police", data=opening)
        assert opened.status == 200 and 'data-testid="police-draft"' in await opened.text()
        terms = "刘伟赔偿王强修车费800元\n刘伟向王强赔礼道歉"
        draft = {
            "_csrf": token,
            "step": "draft",
            "terms": terms,
            "method": "现金当面支付",
            "deadline": "",
            f"address_{sides['applicant']}": "九龙坡区杨家坪正街3号",
        }
        refused = await client.post(f"/staff/cases/{case_id}/police", data=draft)
        assert refused.status == 400
        html = await refused.text()
        assert f"required>{terms}</textarea>" in html
        assert _value(html, "method") == "现金当面支付"
        assert _value(html, f"address_{sides['applicant']}") == "九龙坡区杨家坪正街3号"
        assert _value(html, f"address_{sides['respondent']}") == ""


async def test_every_problem_at_once_next_to_its_field(world: World) -> None:
    case_id, sides = await accepted_case(world, 1203)
    async with TestClient(TestServer(console_app(world))) as client:
        await login(client, "police_ps")
        token = await csrf_of(client, f"/staff/cases/{case_id}")
        page = await (await client.get(f"/staff/cases/{case_id}")).text()
        form_tag = re.search(r'<form[^>]*data-testid="police-open"[^>]*>', page)
        assert form_tag and " novalidate" in form_tag.group(0)  # the browser stops at one
        assert f'action="/staff/cases/{case_id}/police#police-card"' in form_tag.group(0)
        # No offence, neither tick, the same party on both sides, one officer, no recording,
        # and the course of events far too long.
        form = {
            "_csrf": token,
            "step": "open",
            "violation": "",
            "offender": str(sides["respondent"]),
            "injured": str(sides["respondent"]),
            "officers": "1",
            **INCIDENT,
            "course": "刘伟" * 300,
        }
        refused = await client.post(f"/staff/cases/{case_id}/police", data=form)
        assert refused.status == 400
        html = await refused.text()
        assert "未能按治安调解处理：有 6 处需要修改" in html
        expected = {
            "violation": "请选择违反治安管理行为的种类",
            "civil": "因民间纠纷引起的违反治安管理行为",
            "minor": "情节较轻",
            "recording_ref": "全程同步录音录像",
            "injured": "请分别选择违法嫌疑人和被侵害人",
            "course": "每项最多 500 字",
        }
        for name, said in expected.items():
            found = re.findall(rf'data-testid="problem-{name}">([^<]*)<', html)
            assert found and said in found[0], (name, found)
        assert len(re.findall(r'data-testid="problem-', html)) == 6
        assert _value(html, "course") == "刘伟" * 300  # kept, to be shortened
        english = await client.post(f"/staff/cases/{case_id}/police?lang=en", data=form)
        text = await english.text()
        assert "Police mediation was not opened: 6 things to correct" in text
        for said in (
            "Choose the kind of public-order violation",
            "arising from a civil dispute",
            "only minor violations",
            "full synchronous audio and video recording",
            "Choose the suspected offender and the injured party",
            "at most 500 characters",
        ):
            assert said in text, said
    async with world.runtime.db.read() as s:
        assert (await s.execute(select(PoliceMediation))).first() is None


async def test_no_form_before_the_case_is_accepted(world: World) -> None:
    """The other side has not agreed yet (已申请，待对方同意): the card says so in one line and
    offers no form that would fail; a post anyway is still refused."""
    case_id = await add_case(world, "yjp_ps", 1204, name="王强", other_name="刘伟")
    async with TestClient(TestServer(console_app(world))) as client:
        await login(client, "police_ps")
        html = await (await client.get(f"/staff/cases/{case_id}")).text()
        assert 'data-testid="police-card"' in html and 'data-testid="police-open"' not in html
        line = re.search(r'data-testid="police-unavailable">([^<]*)<', html)
        assert line and line.group(1) == (
            "本案尚未受理（当前：已申请，待对方同意），对方同意调解、案件受理后才能按治安调解处理。"
        )
        english = await (await client.get(f"/staff/cases/{case_id}?lang=en")).text()
        assert "The case is not accepted yet" in english
        token = await csrf_of(client, f"/staff/cases/{case_id}")
        posted = await client.post(
            f"/staff/cases/{case_id}/police", data={"_csrf": token, "step": "open"}
        )
        assert posted.status == 400  # the English page was chosen above
        assert "can start only once it is accepted" in await posted.text()
    accepted, _ = await accepted_case(world, 1205)
    async with TestClient(TestServer(console_app(world))) as client:
        await login(client, "police_ps")
        html = await (await client.get(f"/staff/cases/{accepted}")).text()
        assert 'data-testid="police-open"' in html and "police-unavailable" not in html


async def test_a_problem_about_no_field_is_said_above_the_form(world: World) -> None:
    """A minor without a recorded guardian (第一百八十一条) is about the case, not a field: it is
    listed above the form, with the form's own problems under their fields."""
    case_id, sides = await accepted_case(world, 1206)
    async with world.runtime.db.write() as s:
        minor = await s.get_one(CaseParty, sides["respondent"])
        minor.id_number = id_number("20150101", 3)  # eleven years old
    async with TestClient(TestServer(console_app(world))) as client:
        await login(client, "police_ps")
        token = await csrf_of(client, f"/staff/cases/{case_id}")
        form = {
            "_csrf": token,
            "step": "open",
            "violation": "insult",
            "civil": "yes",
            "offender": str(sides["respondent"]),
            "injured": str(sides["applicant"]),
            "officers": "2",
            **INCIDENT,
        }
        refused = await client.post(f"/staff/cases/{case_id}/police", data=form)
        html = await refused.text()
        assert refused.status == 400 and "有 2 处需要修改" in html
        general = re.search(r'data-testid="problems-general">(.*?)</ul>', html, re.S)
        assert general and "应当通知其父母或者其他监护人到场" in general.group(1)
        assert "情节较轻" in _said_under(html, "minor")


def _said_under(html: str, name: str) -> str:
    found = re.search(rf'data-testid="problem-{name}">([^<]*)<', html)
    assert found, name
    return found.group(1)
