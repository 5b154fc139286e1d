"""The joint pages on a phone (390×844) in real headless Chromium, against the whole service.

The street's centre raises a registered wage dispute to 较大 on the joint page; the district
centre hands it to 区人社局 from its dispatch page; the department adds the ten workers to the
roster in one go from the phone and records the outcome; the wall screen (大屏), left open,
shows the new 化解率 by itself without reloading. Screenshots go to docs/screenshots/ with
UPDATE_SCREENSHOTS=1.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from core.clock import FakeClock
from features.street.models import StreetMember
from storage.models import Case
from tests.street.browser import CHROMIUM, SHOTS, add_staff, fill_form, phones, registration_form
from tests.street.service import street_service

PEOPLE = (
    ("wangge", "grid", "yuelai-sq"),
    ("yl-centre", "admin", "yuelai"),
    ("yb-centre", "admin", "yubei"),
    ("renshe", "mediator", "yubei"),
)
ROSTER = "\n".join(
    f"{name} 1380000{2000 + i} {8000 + 100 * i}"
    for i, name in enumerate(
        ["张秀英", "李强", "王伟", "刘洋", "陈杰", "杨勇", "赵磊", "黄军", "周涛", "吴斌"]
    )
)
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


async def test_escalate_dispatch_roster_and_the_wall_screen(tmp_path: Path) -> None:
    from playwright.async_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    async with street_service(tmp_path, "units_joint.toml", clock=FakeClock()) as service:
        runtime, base = service.runtime, service.base_url
        await add_staff(runtime, PEOPLE)
        async with phones(base) as signed_in:
            # The grid worker registers it (the form as in the registration test).
            page = await registration_form(signed_in, base)
            await fill_form(
                page,
                [
                    ("select[name=dispute_type]", "labour_wages"),
                    ("input[name=place]", "渝北区悦来街道 某建筑工地大门"),
                    ("textarea[name=facts]", "约十名工人在工地大门反映被拖欠三个月工资。"),
                    ("select[name=side0]", "applicant"),
                    ("input[name=name0]", "张秀英"),
                    ("select[name=side1]", "respondent"),
                ],
            )
            await page.click("form.street-form button[type=submit]")
            await page.wait_for_selector("[data-testid=registered]")
            async with runtime.db.read() as session:
                case_id = (await session.execute(select(Case.id))).scalar_one()
            joint = f"{base}/staff/street/cases/{case_id}"

            # The wall screen, left open in the district's command room.
            wall = await signed_in("yb-centre")
            await wall.goto(base + "/staff/street/wall?every=5")
            rate = "[data-unit=yubei] [data-k=rate]"
            assert await wall.locator(rate).inner_text() == "—"
            await wall.evaluate("window.__notReloaded = true")

            # The street's centre raises it to 较大: escalated to the district's centre.
            page = await signed_in("yl-centre")
            await page.goto(joint)
            await page.select_option("select[name=level]", "major")
            await page.fill("input[name=reason]", "现场协商未果，工人仍在大门聚集。")
            await page.click("button.warn")
            flash = await page.locator(".flash").inner_text()
            assert "已升级上报至渝北区矛盾纠纷调处中心" in flash

            # The district centre's dispatch page, on the phone.
            page = await signed_in("yb-centre")
            await page.goto(base + "/staff/street/dispatch")
            card = page.locator("[data-testid=to-dispatch]")
            assert await card.count() == 1
            suggested = await page.locator("[data-testid=suggested]").inner_text()
            assert "渝北区人社局 牵头" in suggested
            await page.screenshot(path=str(SHOTS / "street-dispatch.png"), full_page=True)
            await page.click("[data-testid=to-dispatch] button.primary")
            assert "已移交" in await page.locator(".flash").inner_text()
            assert await page.locator("[data-testid=dispatch-empty]").count() == 1

            # The department adds the ten workers in one go, and settles it.
            page = await signed_in("renshe")
            await page.goto(joint)
            await page.fill("input[name=representative]", "张秀英")
            await page.fill("textarea[name=members]", ROSTER)
            await page.click("[data-testid=roster] button[type=submit]:not([name])")
            assert "已添加 10 人" in await page.locator(".flash").inner_text()
            total = await page.locator("[data-testid=total]").inner_text()
            assert total == "诉求合计 84,500.00 元"
            async with runtime.db.read() as session:
                count = len((await session.execute(select(StreetMember))).all())
            assert count == 10
            await page.select_option("select[name=outcome]", "settled")
            await page.fill("textarea[name=text]", "总包单位三日内垫付欠薪。")
            await page.screenshot(path=str(SHOTS / "street-joint-case.png"), full_page=True)
            await page.click("select[name=outcome] >> xpath=../.. >> button.primary")
            assert "处置结果已记录" in await page.locator(".flash").inner_text()

            # The wall shows it by itself, without a reload.
            # (Playwright's locator assertion polls without eval: the console's CSP
            # forbids it.)
            await expect(wall.locator(rate)).to_have_text("100.0%", timeout=30000)
            assert await wall.evaluate("window.__notReloaded === true")
            assert await wall.locator("[data-unit=yubei] [data-k=high_risk]").inner_text() == "1"
            await wall.screenshot(path=str(SHOTS / "street-wall.png"), full_page=True)
