"""What the intake was told, shown truthfully on the console: an amount typed as 大概四千八 is
约 ¥4,800.00 (not a bare figure), one answered 不知道 is 不详, and a party's detail the
applicant did not know is 不详 (a detail never asked stays a dash) — on the case page, in the
ledger and in its export, in Chinese and in English."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from features.console.export import Exporter
from features.console.ledger import LedgerQuery
from storage.models import Case, CaseParty
from tests.console.conftest import PASSWORD, World, add_case, console_app, login
from tests.console.test_ledger import ledger, staff
from tests.console.test_police_form_browser import SHOTS, served
from tests.webchat.conftest import ARGS, CHROMIUM

__all__ = ["served"]  # the browser test's fixture: the console on a real port


def _said(html: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}">([^<]*)<', html)
    assert found, testid
    return found.group(1).strip()


async def _filed(world: World) -> tuple[int, int]:
    """Two cases as the intake files them: 大概四千八 with the other side's name and phone not
    known; an amount answered 不知道 and the applicant's own ID number 不知道."""
    approx = await add_case(
        world,
        "yjp_c1",
        1401,
        dispute_type="renovation",
        amount="4800.00",
        amount_approx=True,
        other_name="",
        other_name_note="就是1202的",
        other_phone=None,
    )
    unknown = await add_case(
        world, "yjp_c1", 1402, amount=None, id_number=None, unknown=["amount", "id_number"]
    )
    return approx, unknown


async def test_the_intake_keeps_what_it_was_told(world: World) -> None:
    approx, unknown = await _filed(world)
    async with world.runtime.db.read() as s:
        cases = {c.id: c for c in (await s.execute(select(Case))).scalars()}
        parties = {(p.case_id, p.side): p for p in (await s.execute(select(CaseParty))).scalars()}
    assert (
        cases[approx].amount_stated == "approximate" and cases[unknown].amount_stated == "unknown"
    )
    assert cases[world.cases["wage"]].amount_stated is None
    assert parties[(approx, "respondent")].unknown == "name,phone"
    assert parties[(approx, "applicant")].unknown is None
    assert parties[(unknown, "applicant")].unknown == "id_number"
    assert parties[(unknown, "respondent")].unknown is None  # 李四, with a phone


async def test_the_case_page_says_about_and_not_known(world: World) -> None:
    approx, unknown = await _filed(world)
    async with TestClient(TestServer(console_app(world))) as client:
        await login(client, "med_c1")
        html = await (await client.get(f"/staff/cases/{approx}")).text()
        assert _said(html, "case-amount") == "约 ¥4,800.00"
        assert _said(html, "unknown-respondent-phone") == "不详"
        assert "unknown-respondent-address" not in html  # never asked: a dash
        assert "姓名不详（待补充）" in html and "就是1202的" in html
        html = await (await client.get(f"/staff/cases/{unknown}")).text()
        assert _said(html, "case-amount") == "不详"
        assert _said(html, "unknown-applicant-id_number") == "不详"
        wage = await (await client.get(f"/staff/cases/{world.cases['wage']}")).text()
        assert _said(wage, "case-amount") == "¥120,000.00"
        english = await (await client.get(f"/staff/cases/{approx}?lang=en")).text()
        assert _said(english, "case-amount") == "about ¥4,800.00"
        assert _said(english, "unknown-respondent-phone") == "not known"
        ledger_page = await (await client.get("/staff/cases?lang=zh-CN")).text()
        row = re.search(rf'href="/staff/cases/{approx}".*?</tr>', ledger_page, re.S)
        assert row and re.search(r'data-label="被申请人">不详</td>', row.group(0)), row


async def test_the_export_says_about_and_not_known(world: World) -> None:
    approx, unknown = await _filed(world)
    exporter = Exporter(ledger(world), world.runtime.units, world.runtime.settings.tz)
    me = await staff(world, "med_c1")
    raw = b"".join([chunk async for chunk in exporter.csv_chunks(me, LedgerQuery(), "zh-CN")])
    rows = {r[0]: r for r in csv.reader(io.StringIO(raw.decode("utf-8-sig")))}
    async with world.runtime.db.read() as s:
        numbers = {c.id: c.number for c in (await s.execute(select(Case))).scalars()}
    amount, respondent = (
        rows["案件编号"].index("涉及金额（元）"),
        rows["案件编号"].index("被申请人"),
    )
    assert rows[numbers[approx]][amount] == "约 4800.00"
    assert rows[numbers[approx]][respondent] == "不详"
    assert rows[numbers[unknown]][amount] == "不详"
    assert rows[numbers[world.cases["wage"]]][amount] == "120000.00"


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
async def test_a_mediator_reads_the_case_on_a_phone(served: tuple[str, World]) -> None:
    """In Chromium at 390×844: the overview's 涉及金额 reads 约 ¥4,800.00 and the other side's
    phone 不详 (screenshot ``stated-details.png`` under SHOTS)."""
    from playwright.async_api import async_playwright

    base, world = served
    approx, _ = await _filed(world)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = await browser.new_context(
                viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN"
            )
            page = await context.new_page()
            await page.goto(base + "/staff/login")
            await page.fill("input[name=username]", "med_c1")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button[type=submit]")
            await page.goto(base + f"/staff/cases/{approx}")
            assert await page.get_by_test_id("case-amount").inner_text() == "约 ¥4,800.00"
            respondent = page.get_by_test_id("party-respondent")
            assert (
                "不详" in await respondent.get_by_test_id("unknown-respondent-phone").inner_text()
            )
            await respondent.scroll_into_view_if_needed()
            await page.screenshot(path=str(SHOTS / "stated-details.png"), full_page=True)
        finally:
            await browser.close()
