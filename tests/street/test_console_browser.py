"""The street pages on a phone (390×844) in real headless Chromium, against the whole service.

A grid worker signs in on the phone, registers the 悦来 dispute in the form (a name typed with
spaces, a name not known, a 110 number, a 3.5 MB camera photo the page scales down) and gets one QR code per party; the lead
post's member, linked to Telegram, hears of the task at once and works it on the console
(accept, record, finish); the helper post returns its task with a reason. Screenshots go to
docs/screenshots/street-*.png with UPDATE_SCREENSHOTS=1.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageFilter
from sqlalchemy import select

from core.clock import FakeClock
from features.street.models import StreetReport, StreetTask, StreetTaskNote
from harness.steps import link_staff, wait_text
from storage.models import Case, CaseParty, Evidence
from tests.street.browser import CHROMIUM, SHOTS, add_staff, fill_form, phones, registration_form
from tests.street.service import street_with_bot


def phone_photo() -> bytes:
    """A photo as a phone camera takes it: 3000×2000, several MB (over the form's 1 MB)."""
    noise = Image.effect_noise((3000, 2000), 60).filter(ImageFilter.GaussianBlur(1))
    out = io.BytesIO()
    noise.convert("RGB").save(out, "JPEG", quality=98)
    return out.getvalue()


PHOTO = phone_photo()
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


async def test_register_and_work_tasks_on_a_phone(tmp_path: Path) -> None:
    from playwright.async_api import FilePayload

    SHOTS.mkdir(parents=True, exist_ok=True)
    async with (
        street_with_bot(tmp_path, "units.toml", clock=FakeClock()) as (standin, runtime, base),
    ):
        await add_staff(
            runtime,
            (
                ("wangge", "grid", "yuelai-sq"),
                ("laobao", "mediator", "yuelai"),
            ),
        )
        jianguan = await link_staff(
            runtime, standin, "jianguan", 7202, unit_code="yuelai", display_name="赵建管"
        )
        async with phones(base) as signed_in:
            # The grid worker: a form without parties is refused with a clear message (the
            # dispute type has no default and the browser asks for it first).
            page = await registration_form(signed_in, base)
            await fill_form(
                page,
                [
                    ("select[name=dispute_type]", "labour_wages"),
                    ("select[name=side0]", ""),
                    ("select[name=side1]", ""),
                    ("input[name=place]", "渝北区悦来街道"),
                    ("textarea[name=facts]", "工人讨薪"),
                ],
            )
            await page.click("form.street-form button[type=submit]")
            assert "每一方至少登记一人" in await page.locator(".flash.error").inner_text()
            await page.goto(base + "/staff/street/register")

            await fill_form(
                page,
                [
                    ("select[name=dispute_type]", "labour_wages"),
                    ("input[name=place]", "渝北区悦来街道 某建筑工地大门"),
                    (
                        "textarea[name=facts]",
                        "约十名工人聚集在工地大门，反映被拖欠三个月工资，情绪激动。",
                    ),
                    ("input[name=involved]", "约十名工人、项目经理、施工单位"),
                    ("input[name=police_ref]", "j500112 20261206001"),
                    ("select[name=side0]", "applicant"),
                    ("input[name=name0]", "张 秀 英"),
                    ("input[name=phone0]", "138 0000 1111"),
                    ("select[name=side1]", "applicant"),
                    ("input[name=name1]", "不知道"),
                    ("select[name=side2]", "respondent"),
                ],
            )
            await page.set_input_files(
                "input[name=files]",
                files=[FilePayload(name="gate.jpg", mimeType="image/jpeg", buffer=PHOTO)],
            )
            await page.screenshot(path=str(SHOTS / "street-register.png"), full_page=True)
            await page.click("form.street-form button[type=submit]")
            await page.wait_for_selector("[data-testid=registered]")
            heading = await page.locator("[data-testid=registered]").inner_text()
            assert "（2026）悦来调字第0001号" in heading
            assert await page.locator("[data-testid=invite] svg").count() == 3
            cards = await page.locator("[data-testid=invite]").all_inner_texts()
            assert "张秀英" in cards[0] and "待确认" in cards[0]
            assert "姓名不详" in cards[1] and "姓名不详" in cards[2]
            body = await page.locator("main").inner_text()
            assert "市政建管岗牵头" in body and "政务劳保岗协办" in body
            await page.screenshot(path=str(SHOTS / "street-registered.png"), full_page=True)
            # A refresh shows the form again: the dispute is not registered twice.
            await page.reload()
            await page.wait_for_selector("form.street-form")

            # The lead post's member hears of it in Telegram at once…
            card = await wait_text(jianguan, "市政建管岗（牵头")
            assert "悦来调字第0001号" in (card.text or "")

            # …and works it on the console.
            page = await signed_in("jianguan")
            await page.goto(base + "/staff/street/tasks")
            task = page.locator("[data-testid=task]")
            assert await task.count() == 1
            assert "待接单" in await task.inner_text()
            await page.click("button[value=accept]")
            await page.wait_for_selector(".task-accepted")
            await page.fill("textarea[name=text]", "下午与派出所、社区、施工单位到现场协商。")
            await page.click("button[value=note]")
            await page.wait_for_selector("text=下午与派出所")
            await page.screenshot(path=str(SHOTS / "street-tasks.png"), full_page=True)
            await page.click("button[value=done]")
            await page.wait_for_selector(".task-done")

            # The helper returns its task; a return without a reason is refused.
            page = await signed_in("laobao")
            await page.goto(base + "/staff/street/tasks")
            await page.click("button[value=return]")
            assert "请写明退回原因" in await page.locator(".flash.error").inner_text()
            await page.fill("textarea[name=text]", "应由区人社局劳动监察牵头。")
            await page.click("button[value=return]")
            await page.wait_for_selector(".task-returned")
            assert "应由区人社局" in await page.locator("[data-testid=task]").inner_text()

            # The case's history shows who held it when.
            await page.goto(base + "/staff/cases")
            await page.click("text=（2026）悦来调字第0001号")
            history = await page.locator("main").inner_text()
            for line in (
                "派单：市政建管岗牵头，协办：政务劳保岗",
                "市政建管岗（牵头）接单",
                "市政建管岗记录处置情况",
                "市政建管岗（牵头）办结",
                "政务劳保岗（协办）退回任务",
            ):
                assert line in history, line

        async with runtime.db.read() as session:
            case = (await session.execute(select(Case))).scalar_one()
            assert (case.source, case.status, case.unit_code) == (
                "street",
                "submitted",
                "yuelai",
            )
            parties = (await session.execute(select(CaseParty).order_by(CaseParty.id))).scalars()
            assert [(p.side, p.name, p.status) for p in parties] == [
                ("applicant", "张秀英", "pending"),
                ("applicant", "", "pending"),
                ("respondent", "", "pending"),
            ]
            report = (await session.execute(select(StreetReport))).scalar_one()
            assert (report.police_ref, report.channel) == ("J50011220261206001", "console")
            (photo,) = (await session.execute(select(Evidence))).scalars()
            assert photo.kind == "photo" and photo.stored_path is not None
            kept = await runtime.files.get(photo.stored_path)
            assert kept[:3] == b"\xff\xd8\xff" and len(kept) < 1024 * 1024
            with Image.open(io.BytesIO(kept)) as image:
                assert image.size == (1600, 1067)  # scaled down in the page
            statuses = {
                t.desk_code: t.status for t in (await session.execute(select(StreetTask))).scalars()
            }
            assert statuses == {"yl-jianguan": "done", "yl-laobao": "returned"}
            assert len((await session.execute(select(StreetTaskNote))).all()) == 1
