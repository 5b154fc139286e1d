"""A grid worker without Telegram registers a dispute from the browser chat (issue 24, item 1).

Her staff account has her mobile number registered (``main.py admin set-phone``); she logs in
to the browser chat with it and the one-time code, and the page gives her the buttons of her
work instead of a party's. She presses 代为登记纠纷 and walks the same dialogue as ``/report`` in
Telegram (one implementation, rendered for the browser): the type, the place, what happened
(大概四千八), who was there, the 110 警情号 the police gave, the parties as far as she knows them
(张 秀 英 with a phone; 不知道 for the rest), a photo from her phone, the summary and 确认登记.
Each party's invitation shows on the spot with its QR code, and the party with a phone gets it
by SMS. Then 张秀英 logs in with her own number and the code, confirms the record and consents;
she gets a party's menu, never the grid worker's. Nothing the grid worker reads names a slash
command.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import segno
from sqlalchemy import select

from app.runtime import Runtime
from features.street.models import StreetReport
from storage.models import Case, CaseParty, Evidence
from tests.webchat.harness import TALL_PHONE, TELEGRAM_ONLY, bubble, login, say, shot, standin_chat
from tests.webchat.staff import STREET_UNITS, browser_staff, press_exactly

pytestmark = [pytest.mark.browser, pytest.mark.slow]

GRID_PHONE = "13700007001"
WORKER_PHONE = "13800001111"
NUMBER = "（2026）悦来调字第0001号"
CODE = re.compile(r"邀请码：([A-Z0-9]{4}-[A-Z0-9]{4})")


async def grid_worker(runtime: Runtime) -> None:
    """The community's grid worker, as an admin sets her up: an account and her own number."""
    await browser_staff(runtime, "wangge", "grid", "yuelai-sq", "137 0000 7001", "网格员小王")


async def menu(page: Any) -> list[str]:
    return [str(t) for t in await page.locator("#menu button").all_inner_texts()]


async def answer(page: Any, text: str, then: str) -> str:
    """Type as a person types, send, and wait for the next question."""
    await say(page, text)
    return await bubble(page, then)


async def test_a_grid_worker_registers_a_dispute_in_the_browser(
    database_url: str | None, tmp_path: Path, browser: Any
) -> None:
    photo = tmp_path / "site.png"
    segno.make("悦来 工地大门").save(str(photo), kind="png", scale=8)
    async with standin_chat(
        tmp_path / "var", database_url=database_url, UNITS_FILE=str(STREET_UNITS)
    ) as (_standin, runtime, base, gateway):
        await grid_worker(runtime)
        context = await browser.new_context(viewport=TALL_PHONE, locale="zh-CN")
        page = await context.new_page()
        await login(page, base, GRID_PHONE, gateway)
        buttons = await menu(page)
        assert buttons[:4] == ["代为登记纠纷", "岗位任务", "取消当前填写", "帮助"]
        assert "我的案件" not in buttons and "输入邀请码" not in buttons

        await page.locator("#menu button", has_text="代为登记纠纷").click()
        intro = await bubble(page, "代为登记纠纷：")
        assert "「取消当前填写」" in intro
        await bubble(page, "纠纷类型是？")
        # The intro and the question at the top of the screen, the first types under them.
        intro_bubble = page.locator("li.them", has_text="代为登记纠纷：")
        await intro_bubble.evaluate("li => li.scrollIntoView({block: 'start'})")
        await shot(page, "webchat-staff-report-start.png")
        await press_exactly(page, "劳动争议/欠薪")
        await bubble(page, "发生在哪里")
        await answer(page, "渝北区悦来街道 某建筑工地大门", "发生了什么")
        await answer(
            page, "约十名工人聚在工地大门，说三个月工资没发，每人大概四千八。", "涉及哪些人"
        )
        await answer(page, "约十名工人、项目经理、施工单位", "警情号")
        await answer(page, "J50011220261206001", "下一位是哪一方")
        await press_exactly(page, "申请方")
        await bubble(page, "申请人的姓名")
        await answer(page, "张 秀 英", "手机号？")
        await answer(page, "138 0000 1111", "已登记 1 人")
        await press_exactly(page, "被申请方")
        await bubble(page, "被申请人的姓名")
        await answer(page, "不知道", "手机号？")
        await answer(page, "不知道", "已登记 2 人")
        await press_exactly(page, "当事人登记完毕")
        await bubble(page, "现场照片")
        await page.set_input_files("#file", str(photo))
        await bubble(page, "已保存为证据（共 1 个）")
        await press_exactly(page, "下一步")
        summary = await bubble(page, "请核对登记内容")
        assert "申请人：张秀英，138" in summary, summary
        assert "被申请人：姓名不详，手机号不详" in summary
        assert "J50011220261206001" in summary and "证据：1 个" in summary
        await press_exactly(page, "✅ 确认登记")
        registered = await bubble(page, "登记成功")
        assert NUMBER in registered and "2 名当事人待确认" in registered
        # Each party's invitation on the spot: the link, the code and a QR code to scan.
        await bubble(page, "请当事人扫码确认：被申请人")
        qr = page.locator("img.qr")
        assert await qr.count() == 2
        shown = await page.locator("li.them", has_text="邀请码：").all_inner_texts()
        assert len(shown) == 2
        invitation = next(t for t in shown if "申请人：张秀英" in t)
        code = CODE.search(invitation)
        assert code is not None
        # Under each QR code, the browser's join link (for a party without Telegram).
        scans = await page.locator("li.them", has=qr).all_inner_texts()
        assert all("/chat/join/inv_" in t for t in scans), scans
        await bubble(page, "正在向 138****1111 发送短信邀请")
        # What she shows the party: the registration, then the first invitation and its QR.
        done = page.locator("li.them", has_text="登记成功")
        await done.evaluate("li => li.scrollIntoView({block: 'start'})")
        await shot(page, "webchat-staff-report-done.png")
        said = await page.inner_text("#log")
        assert not TELEGRAM_ONLY.search(said), TELEGRAM_ONLY.findall(said)
        assert [p for p, _, _ in gateway.invitations] == [WORKER_PHONE]

        # 张秀英 logs in with her own number and answers with the code.
        worker = await (await browser.new_context(viewport=TALL_PHONE, locale="zh-CN")).new_page()
        await login(worker, base, WORKER_PHONE, gateway)
        assert "代为登记纠纷" not in await menu(worker)  # a party gets no staff powers
        worker.once("dialog", lambda d: d.accept(code.group(1)))
        await worker.locator("#menu button", has_text="输入邀请码").click()
        await bubble(worker, "用登录手机号")
        await worker.click("#contact-btn")
        record = await bubble(worker, "请核对记录")
        assert "张秀英（申请人）" in record and "工地大门" in record
        await press_exactly(worker, "记录无误，同意调解")
        await bubble(worker, "您已加入案件")

        async with runtime.db.read() as session:
            case = (await session.execute(select(Case))).scalar_one()
            parties = (
                await session.execute(
                    select(CaseParty.side, CaseParty.status).where(CaseParty.case_id == case.id)
                )
            ).all()
            report = (await session.execute(select(StreetReport))).scalar_one()
            evidence = (await session.execute(select(Evidence))).scalars().all()
        assert case.source == "street" and case.number == NUMBER
        assert sorted(parties) == [("applicant", "joined"), ("respondent", "pending")]
        assert report.channel == "web" and report.police_ref == "J50011220261206001"
        assert [(e.kind, e.channel) for e in evidence] == [("photo", "web")]
