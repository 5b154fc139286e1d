"""Who did what on a street case's timeline, by name, from people's side.

The grid worker's account is ``wangge`` and her name is 王芳; the lead post's member is
``jianguan``, 李建国. She registers a wage dispute from the phone, he accepts the task from its
card, the workers' representative (张秀英) joins by her invitation. Wherever the timeline is
shown — the console's case page, the joint page, the case card in the chat — it says 王芳 and
李建国, never their logins; the representative is named in full to staff who may see parties'
names, masked (张**) on the card in the chat, as the card's list of parties is.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.clock import FakeClock
from harness import running_service
from harness.steps import link_staff, report_in_street, wait_text
from standin import StandinBotAPI
from tests.conftest import backend_url
from tests.street.browser import SHOTS, phones
from tests.street.test_yuelai_joint import signed_in

HERE = Path(__file__).parent
NUMBER = "（2026）悦来调字第0001号"
TOKENS = re.compile(r"start=(inv_[A-Za-z0-9_-]+)")
#: username, Telegram id, role, unit, the name on the account (显示名称).
PEOPLE = (
    ("wangge", 7001, "grid", "yuelai-sq", "王芳"),
    ("jianguan", 7002, "mediator", "yuelai", "李建国"),
    ("laobao", 7003, "mediator", "yuelai", "赵卫东"),
    ("yl-centre", 7005, "admin", "yuelai", "刘洋"),
)
LOGINS = re.compile(r"\b(wangge|jianguan|laobao|yl-centre)\b")


def _timeline(page: str) -> str:
    """The timeline's section of a page (its ``data-testid="timeline"`` element onwards)."""
    at = page.find('data-testid="timeline"')
    assert at >= 0, page[:500]
    return page[at : page.find("</ol>", at)]


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def test_the_timeline_names_people_not_accounts(tmp_path: Path, backend: str) -> None:
    url = await backend_url(backend)
    env = {"UNITS_FILE": str(HERE / "units_joint.toml")}
    async with StandinBotAPI() as standin:
        async with running_service(
            tmp_path / "var",
            standin=standin,
            database_url=url,
            clock=FakeClock(),
            web_app=True,
            env=env,
        ) as service:
            tg = {
                username: await link_staff(
                    service.runtime,
                    standin,
                    username,
                    telegram_id,
                    role=role,
                    unit_code=unit,
                    display_name=name,
                    telegram_username=None,
                )
                for username, telegram_id, role, unit, name in PEOPLE
            }
            grid, jianguan = tg["wangge"], tg["jianguan"]

            await report_in_street(grid)
            shown = await grid.wait_for_messages(6)
            invitation = next(m for m in shown if TOKENS.search(m.text or ""))
            await jianguan.press("接单", await wait_text(jianguan, "市政建管岗（牵头）"))
            await wait_text(jianguan, "已接单：")
            token = TOKENS.search(invitation.text or "")
            assert token is not None
            worker = standin.user(7101, first_name="秀英", phone="+8613800001111")
            await worker.send_command("/start", token.group(1))
            await wait_text(worker, "分享您的手机号")
            await worker.press("📱 分享我的手机号")
            await wait_text(worker, "请核对记录")
            await worker.press("记录无误，同意调解")
            await wait_text(worker, "您已加入案件")

            # The case card in the chat: 李建国 asks for it by its serial.
            await jianguan.send_command("/case", "1")
            card = (await wait_text(jianguan, "📁 案件")).text or ""
            assert "王芳：" in card and "李建国：" in card, card
            assert "张**：" in card and "张秀英" not in card, card
            assert not LOGINS.search(card), card

            # The console's case page and the joint page, as the street's centre reads them.
            centre = await signed_in(service.base_url, "yl-centre")
            try:
                status, case_page = await centre.get("/cases/1")
                assert status == 200
                status, joint_page = await centre.get("/street/cases/1")
                assert status == 200
            finally:
                await centre.http.close()
            for html in (case_page, joint_page):
                timeline = _timeline(html)
                assert "王芳" in timeline and "李建国" in timeline, timeline
                assert "张秀英" in timeline, "the centre may see parties' names"
                assert not LOGINS.search(timeline), timeline
                assert "申请人加入调解室" in timeline and "事件：" not in timeline, timeline

            # On a phone: the joint page's timeline reads as a line per step, with who did it.
            async with phones(service.base_url) as phone:
                page = await phone("yl-centre")
                for path, shot in (
                    ("/staff/street/cases/1", "timeline-names-joint.png"),
                    ("/staff/cases/1", "timeline-names-case.png"),
                ):
                    await page.goto(service.base_url + path)
                    section = page.get_by_test_id("timeline")
                    await section.scroll_into_view_if_needed()
                    text = await section.inner_text()
                    assert "王芳" in text and "李建国" in text, text
                    width = await page.evaluate("document.documentElement.scrollWidth")
                    assert width <= 390, f"the page scrolls sideways on a phone: {width}px"
                    SHOTS.mkdir(parents=True, exist_ok=True)
                    await page.screenshot(path=str(SHOTS / shot))
