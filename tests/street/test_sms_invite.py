"""A party registered on the street with a phone number gets the invitation by SMS too (issue
24, item 1): the grid worker is told which number, the text carries the unit and the same code
shown on the spot, and a party without a number gets none. Without a gateway that can send
invitations nothing is promised (the other street tests run so)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

import harness
from core.clock import FakeClock
from features.webchat.otp import MemorySmsGateway
from harness.steps import link_staff, report_in_street, wait_text
from mediation.invitations import format_code
from standin import StandinBotAPI
from storage.models import CaseParty
from tests.street.test_yuelai import UNITS, staff
from tests.street.test_yuelai_joint import signed_in

HERE = Path(__file__).parent


async def test_the_parties_with_a_phone_get_the_invitation_by_sms(tmp_path: Path) -> None:
    gateway = MemorySmsGateway()
    async with StandinBotAPI() as standin:
        async with harness.running_service(
            tmp_path / "var", standin=standin, sms_gateway=gateway, env={"UNITS_FILE": str(UNITS)}
        ) as service:
            grid = (await staff(service.runtime, standin))["grid"]
            await report_in_street(grid)
            told = await wait_text(grid, "短信邀请")
            assert "138****1111" in (told.text or "") and "二维码" in (told.text or "")
            ((phone, unit, code),) = gateway.invitations  # one party of three gave a number
            assert phone == "13800001111" and unit == "悦来街道人民调解委员会"
            shown = [m.text or "" for m in grid.messages if "张秀英" in (m.text or "")]
            assert any(format_code(code) in text for text in shown), "the code shown on the spot"


async def test_the_console_form_texts_the_invitation_and_says_so(tmp_path: Path) -> None:
    """The same from the console's phone-width form: the page of the registered dispute says
    which number got the SMS."""
    gateway = MemorySmsGateway()
    async with StandinBotAPI() as standin:
        async with harness.running_service(
            tmp_path / "var",
            standin=standin,
            clock=FakeClock(),
            web_app=True,
            sms_gateway=gateway,
            env={"UNITS_FILE": str(HERE / "units_joint.toml")},
        ) as service:
            runtime = service.runtime
            await link_staff(
                runtime,
                standin,
                "wangge",
                7301,
                role="grid",
                unit_code="yuelai-sq",
                display_name="wangge",
                telegram_username=None,
            )
            grid = await signed_in(service.base_url, "wangge")
            try:
                await grid.get("/street/register")
                form = {
                    "_csrf": grid.csrf,
                    "dispute_type": "labour_wages",
                    "place": "渝北区悦来街道 某建筑工地",
                    "facts": "工人反映被拖欠三个月工资，已多次找项目经理。",
                    "side0": "applicant",
                    "name0": "张秀英",
                    "phone0": "138 0000 2222",
                    "address0": "渝北区悦来街道 悦来大道 12号",  # as far as the worker knows
                    "side1": "respondent",
                    "address1": "不知道",
                }
                async with grid.http.post(grid.base + "/staff/street/register", data=form) as resp:
                    page = await resp.text()
                assert resp.status == 200 and "已向 138****2222 发送短信邀请" in page
                ((phone, unit, code),) = gateway.invitations
                assert phone == "13800002222" and unit == "悦来街道人民调解委员会"
                assert format_code(code) in page
            finally:
                await grid.http.close()
            async with runtime.db.read() as session:
                rows = await session.execute(select(CaseParty).order_by(CaseParty.id))
                addresses = [p.address for p in rows.scalars()]
            assert addresses == ["渝北区悦来街道悦来大道12号", None]
