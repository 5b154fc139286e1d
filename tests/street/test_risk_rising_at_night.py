"""A dispute that turns dangerous after its notices were held for the morning, from people's side.

At 23:00 a grid worker registers an ordinary wage dispute: its posts' task cards wait for the
morning (quiet hours 22:00–08:00). At 23:20 the workers' representative, who joined by her
invitation, writes in the room that she will take a knife to the builder: the risk watch raises
the case to 重大, and the cards held for 市政建管岗 and 政务劳保岗 go at once, saying so — the
lead accepts from the card in the night. A second dispute, registered at 23:30, is raised to 较大
by the street's centre on the console's case page: its held cards go at once too. At 08:00 the
morning's digest does not tell either again.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from core.clock import FakeClock
from features.street.models import StreetTask
from harness import running_service
from harness.steps import link_unit_staff, wait_text
from standin import StandinBotAPI
from storage.models import Case
from tests.conftest import backend_url
from tests.street.test_night_notices import queued_to, report_calmly, units_file
from tests.street.test_yuelai_joint import PEOPLE, signed_in

FIRST, SECOND = "（2026）悦来调字第0001号", "（2026）悦来调字第0002号"
TOKENS = re.compile(r"start=(inv_[A-Za-z0-9_-]+)")


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def test_held_cards_go_at_once_when_the_case_turns_dangerous(
    tmp_path: Path, backend: str
) -> None:
    clock = FakeClock()  # 17:00 in Asia/Shanghai
    url = await backend_url(backend)
    env = {"UNITS_FILE": str(units_file(tmp_path, 12)), "STAFF_QUIET_HOURS": "22:00-08:00"}
    async with StandinBotAPI() as standin:
        async with running_service(
            tmp_path / "var", standin=standin, database_url=url, clock=clock, web_app=True, env=env
        ) as service:
            runtime, db = service.runtime, service.runtime.db
            linked = await link_unit_staff(runtime, standin, PEOPLE.values())
            grid, jianguan, laobao = linked["wangge"], linked["jianguan"], linked["laobao"]
            ids = {key: person[1] for key, person in PEOPLE.items()}

            # 23:00: an ordinary wage dispute; its cards wait for the morning.
            clock.advance(hours=6)
            await report_calmly(grid)
            shown = await grid.wait_for_messages(4)
            invitations = [m for m in shown if TOKENS.search(m.text or "")]
            assert invitations, [m.text for m in shown]
            assert await runtime.timers.run_due() == 0  # type: ignore[union-attr]
            for who in ("jianguan", "laobao"):
                assert not [t for t in await queued_to(db, ids[who]) if FIRST in t]

            # 23:20: the workers' representative joins and writes a threat in the room.
            clock.advance(minutes=20)
            token = TOKENS.search(invitations[0].text or "")
            assert token is not None
            worker = standin.user(7101, first_name="秀英", phone="+8613800001111")
            await worker.send_command("/start", token.group(1))
            await wait_text(worker, "分享您的手机号")
            await worker.press("📱 分享我的手机号")
            await wait_text(worker, "请核对记录")
            await worker.press("记录无误，同意调解")
            await wait_text(worker, "您已加入案件")
            await worker.send_text("再不给钱，我就拿刀砍了那个包工头。")
            await wait_text(worker, "【安全提示】")  # the room's safety notice: the watch saw it
            async with db.read() as session:
                case = (
                    await session.execute(select(Case).where(Case.number == FIRST))
                ).scalar_one()
                assert case.risk == "critical"

            # The held cards go now (the timer loop sends what is due within its second).
            assert await runtime.timers.run_due() >= 2  # type: ignore[union-attr]
            card = await wait_text(jianguan, "风险已升为重大")
            text = card.text or ""
            assert FIRST in text and "市政建管岗（牵头）的任务待接单" in text, text
            helper = await wait_text(laobao, "风险已升为重大")
            assert FIRST in (helper.text or "") and "政务劳保岗（协办" in (helper.text or "")
            await jianguan.press("接单", card)
            accepted = await wait_text(jianguan, "已接单：")
            assert FIRST in (accepted.text or "")

            # 23:30: a second one; the street's centre raises it to 较大 on the console.
            clock.advance(minutes=10)
            await report_calmly(grid)
            assert not [t for t in await queued_to(db, ids["jianguan"]) if SECOND in t]
            async with db.read() as session:
                second = (
                    await session.execute(select(Case.id).where(Case.number == SECOND))
                ).scalar_one()
            centre = await signed_in(service.base_url, "yl-centre")
            try:
                said = await centre.post(
                    f"/cases/{second}/risk", {"level": "major", "reason": "工人扬言堵路。"}
                )
            finally:
                await centre.http.close()
            assert "error" not in said, said
            assert await runtime.timers.run_due() >= 2  # type: ignore[union-attr]
            card = await wait_text(jianguan, "风险已升为较大")
            assert SECOND in (card.text or "") and "待接单" in (card.text or "")
            await wait_text(laobao, "风险已升为较大")

            # 08:00: the morning's digest does not repeat them.
            clock.advance(hours=8, minutes=30)
            await runtime.timers.run_due()  # type: ignore[union-attr]
            for who in ("jianguan", "laobao"):
                said_to = await queued_to(db, ids[who])
                for number in (FIRST, SECOND):
                    assert sum(number in t and "待接单" in t for t in said_to) == 1, said_to
            async with db.read() as session:
                first = await session.get_one(StreetTask, 1)
                assert first.status == "accepted", "accepted from the card sent in the night"
