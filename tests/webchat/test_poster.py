"""QR posters (一码解纠纷): the console makes a printable A4 PDF per mediation unit whose QR
code decodes (zbarimg) to the browser chat with that unit set; a resident who scans it and
reports a dispute has the case filed with that unit, whatever place they type."""

from __future__ import annotations

import asyncio
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from harness.accounts import PASSWORD, add_account
from storage.models import Case, Evidence
from tests.qr_codes import first_page_png, needs_zbar, qr_codes
from tests.webchat.harness import PHONE_VIEWPORT, bubble, login, shot, standin_chat
from tests.webchat.test_mixed_room import PNG, browser_intake

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.pdf]

UNITS_FILE = Path(__file__).resolve().parents[1] / "console" / "units.toml"
UNIT = "jfb_c1"


def run(*command: str) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def decode_qr(pdf: Path) -> list[str]:
    """Rasterise page 1 (poppler) and read every QR code on it (zbar)."""
    return qr_codes(first_page_png(pdf, pdf.with_suffix("")))


@needs_zbar
async def test_poster_pdf_and_its_qr_open_intake_for_the_unit(
    tmp_path: Path, browser: Any, render_pool: Any, seal: Any
) -> None:
    async with standin_chat(
        tmp_path / "var", pool=render_pool, sealer=seal, UNITS_FILE=str(UNITS_FILE)
    ) as (_standin, runtime, base, gateway):
        await add_account(runtime, "admin_city", "admin", unit="cq", name="市管理员")
        ctx = await browser.new_context(locale="zh-CN", accept_downloads=True)
        page = await ctx.new_page()
        await page.goto(base + "/staff/login")
        await page.fill("input[name=username]", "admin_city")
        await page.fill("input[name=password]", PASSWORD)
        await page.click("button[type=submit]")
        await page.click("a[href='/staff/posters']")
        row = page.locator(f"[data-testid=poster-{UNIT}]")
        assert f"{base}/chat?unit={UNIT}" in await row.inner_text()
        await shot(page, "console-posters.png")
        async with page.expect_download() as info:
            await row.locator("a.button").click()
        download = await info.value
        pdf = tmp_path / "poster.pdf"
        await download.save_as(pdf)
        assert pdf.read_bytes().startswith(b"%PDF")
        text = await asyncio.to_thread(run, "pdftotext", "-layout", str(pdf), "-")
        unit = runtime.units.by_code[UNIT]
        assert "一码解纠纷" in text and unit.name in text and "人民调解不收费" in text
        info_text = await asyncio.to_thread(run, "pdfinfo", str(pdf))
        assert re.search(r"Pages:\s+1\n", info_text) and "595.276 x 841.89" in info_text
        assert await asyncio.to_thread(decode_qr, pdf) == [f"{base}/chat?unit={UNIT}"]
        await ctx.close()

        # A resident scans it: the chat opens with the unit set and files the case there,
        # although the place typed (九龙坡区杨家坪街道) would route it elsewhere.
        phone_ctx = await browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN")
        resident = await phone_ctx.new_page()
        await resident.goto(f"{base}/chat?unit={UNIT}")
        assert unit.name in await resident.inner_text("#unit-note")
        await login(resident, base, "13600006001", gateway, path=f"/chat?unit={UNIT}")
        assert unit.name in await bubble(resident, "您好")
        await browser_intake(resident, start=False, evidence=True)  # the link started it
        async with runtime.db.read() as session:
            cases = list((await session.execute(select(Case))).scalars())
            evidence = list((await session.execute(select(Evidence))).scalars())
        assert [c.unit_code for c in cases] == [UNIT]
        # The photo is kept as the case's evidence, stored under DATA_DIR for this person.
        assert [(e.kind, e.channel, e.file_name) for e in evidence] == [
            ("photo", "web", "现场.png")
        ]
        stored = runtime.settings.data_dir / evidence[0].file_ref.removeprefix("web:")
        assert stored.read_bytes() == PNG
        await phone_ctx.close()
