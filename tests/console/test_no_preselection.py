"""What the staff console must not choose for a hurried staff member (new-user trial hJ, P4–P6):
the 治安调解 card only where the police mediate, with no suspect and no offence chosen; the
代为登记 form's dispute type and the case's next step (案件进程) left for the person to pick. A
post without the choice is refused with what is missing, in Chinese and in English."""

from __future__ import annotations

import re

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from features.agreements.models import PoliceMediation
from features.console.case_actions import CaseActions
from features.console.risk import RiskService
from storage.models import Case
from tests.console.conftest import World, add_case, console_app, csrf_of, login
from tests.console.test_case_procedures import _page
from tests.console.test_ledger import staff

CARD = 'data-testid="police-card"'


def _select(html: str, name: str) -> str:
    """The ``<select name=…>`` element's markup."""
    found = re.search(rf'<select name="{name}"[^>]*>.*?</select>', html, re.S)
    assert found, f"no select {name}"
    return found.group(0)


def _chosen(box: str) -> list[str]:
    """The values of a select's options marked selected."""
    return re.findall(r'<option value="([^"]*)"[^>]*\sselected', box)


def _actions(world: World) -> CaseActions:
    rt = world.runtime
    return CaseActions(rt.db, rt.units, world.clock, RiskService(rt.db, rt.units, world.clock))


async def test_no_police_card_on_a_committee_case(world: World) -> None:
    """A committee's civil case (the trial's 漏水) shows no 治安调解 to its admin or mediator,
    and a station's case none to the city's admin: neither acts for a police unit."""
    for username in ("admin_city", "admin_c1", "med_c1"):
        html = await _page(world, username, world.cases["neighbour"])
        assert 'data-testid="case-unit"' in html and CARD not in html, username
        assert "治安调解" not in html, username
    station_case = await add_case(world, "yjp_ps", 1101, name="王强", other_name="刘伟")
    assert CARD not in await _page(world, "admin_city", station_case)


async def test_police_card_chooses_nobody_and_says_what_is_missing(world: World) -> None:
    case_id = await add_case(world, "yjp_ps", 1102, name="王强", other_name="刘伟")
    admin = await staff(world, "admin_city")
    await _actions(world).change_status(admin, case_id, "respondent_accepts", "", "127.0.0.1")
    async with TestClient(TestServer(console_app(world))) as client:
        await login(client, "police_ps")
        html = await (await client.get(f"/staff/cases/{case_id}")).text()
        assert CARD in html and 'data-testid="police-open"' in html
        for name in ("violation", "offender", "injured"):
            box = _select(html, name)
            assert _chosen(box) == [""], (name, box)
            assert " required" in box and "请选择（由主持调解的民警选择）" in box
        assert "申请人 王强" in _select(html, "offender")
        token = await csrf_of(client, f"/staff/cases/{case_id}")
        unchosen = dict.fromkeys(("violation", "offender", "injured"), "")
        form = {"_csrf": token, "step": "open", "civil": "yes", "minor": "yes", "officers": "2"}
        form.update(unchosen)
        nothing = await client.post(f"/staff/cases/{case_id}/police", data=form)
        assert nothing.status == 400
        assert "请选择违反治安管理行为的种类" in await nothing.text()
        sides = await client.post(
            f"/staff/cases/{case_id}/police?lang=en", data={**form, "violation": "assault"}
        )
        assert sides.status == 400
        text = await sides.text()
        assert "suspected offender and the injured party" in text, text[-3000:]
    async with world.runtime.db.read() as s:
        assert (await s.execute(select(PoliceMediation))).first() is None


async def test_case_progress_preselects_no_step(world: World) -> None:
    """The case waits for the other side (待加入): the form does not offer their consent as the
    default, and a post without a step records nothing."""
    case_id = world.cases["neighbour"]
    async with TestClient(TestServer(console_app(world))) as client:
        token = await login(client, "med_c1")
        html = await (await client.get(f"/staff/cases/{case_id}")).text()
        box = _select(html, "event")
        assert _chosen(box) == [""] and " required" in box
        assert "对方同意调解（受理）" in box  # still offered, for a consent given offline
        said = await client.post(
            f"/staff/cases/{case_id}/status", data={"_csrf": token, "event": "", "reason": ""}
        )
        assert said.status == 400 and "请选择案件进程的下一步。" in await said.text()
        said = await client.post(
            f"/staff/cases/{case_id}/status?lang=en", data={"_csrf": token, "event": ""}
        )
        assert "Choose the next step for the case." in await said.text()
    async with world.runtime.db.read() as s:
        assert (await s.get_one(Case, case_id)).status == "submitted"


async def test_street_registration_has_no_default_dispute_type(world: World) -> None:
    async with TestClient(TestServer(console_app(world))) as client:
        token = await login(client, "grid_c1")
        html = await (await client.get("/staff/street/register")).text()
        box = _select(html, "dispute_type")
        assert _chosen(box) == [""] and " required" in box and "请选择" in box
        typed = {
            "_csrf": token,
            "dispute_type": "",
            "place": "杨家坪正街 3 栋",
            "facts": "楼上卫生间漏水，天花板泡坏了。",
            "side0": "applicant",
            "name0": "张秀英",
            "phone0": "13800001111",
            "side1": "respondent",
            "name1": "",
            "phone1": "",
        }
        refused = await client.post("/staff/street/register", data=typed)
        assert refused.status == 400
        html = await refused.text()
        assert "请选择纠纷类型。" in html
        assert 'value="杨家坪正街 3 栋"' in html and "楼上卫生间漏水，天花板泡坏了。" in html
        assert 'value="张秀英"' in html and _chosen(_select(html, "dispute_type")) == [""]
        english = await client.post("/staff/street/register?lang=en", data=typed)
        assert "Choose the type of dispute." in await english.text()
    async with world.runtime.db.read() as s:
        cases = (await s.execute(select(Case.place))).scalars().all()
    assert "杨家坪正街 3 栋" not in cases
