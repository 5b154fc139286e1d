"""Reminders and deadlines fire once, across restarts, on an injected clock."""

from __future__ import annotations

from pathlib import Path

from core.clock import FakeClock
from harness.steps import RESPONDENT_PHONE, mediator_takes_case, open_session
from standin import StandinBotAPI
from tests.e2e.harness import assert_quiet, running_service, texts
from tests.e2e.test_intake import walk_intake

NUMBER = "（2026）示调字第0001号"


async def test_reminders_fire_once_across_restarts(tmp_path: Path) -> None:
    clock = FakeClock()
    var = tmp_path / "var"
    async with StandinBotAPI() as standin:
        applicant = standin.user(9001, phone="+8613800009001")
        respondent = standin.user(9002, phone=RESPONDENT_PHONE)
        lonely = standin.user(9003, phone="+8613800009003")
        async with running_service(standin, var, clock=clock) as runtime:
            await walk_intake(applicant)
            mediator = await mediator_takes_case(
                runtime, standin, applicant, respondent, number=NUMBER, mediator=("med9", 9100)
            )
            await open_session(mediator, (applicant, respondent))
            await mediator.press("对被申请人说")
            await texts(mediator, 1)
            await mediator.send_text("请问您最多能付多少？")
            assert "最多能付" in (await texts(respondent, 1))[0]
            # A second case whose invitation nobody answers.
            await walk_intake(lonely)
            # The unit's linked mediator hears of it at once.
            assert "新案件待接手" in (await texts(mediator, 1))[0]

        # Restart 25 hours later: the respondent is reminded once.
        clock.advance(hours=25)
        async with running_service(standin, var, clock=clock) as runtime:
            assert runtime.timers is not None
            assert await runtime.timers.run_due() == 1
            assert "等待您的回复" in (await texts(respondent, 1))[0]
            assert await runtime.timers.run_due() == 0
        async with running_service(standin, var, clock=clock) as runtime:
            assert runtime.timers is not None
            assert await runtime.timers.run_due() == 0
        await assert_quiet(respondent)

        # Seven days after the invitations: the unanswered one expires, once.
        clock.advance(days=6)
        async with running_service(standin, var, clock=clock) as runtime:
            assert runtime.timers is not None
            assert await runtime.timers.run_due() == 1
            (expired,) = await texts(lonely, 1)
            assert "不予受理" in expired and "劳动人事争议仲裁委员会" in expired

        # 27 days after acceptance: the mediator hears "3 days left", once, in an alert with the
        # case's buttons (batched: alerts raised within a minute go out together).
        clock.advance(days=20)
        async with running_service(standin, var, clock=clock) as runtime:
            assert runtime.timers is not None and await runtime.timers.run_due() == 1
            clock.advance(minutes=1)
            assert runtime.timers is not None and await runtime.timers.run_due() == 1
            (alert,) = await mediator.wait_for_messages(1)
            assert "需要您处理的案件（1 件）" in (alert.text or "") and "还有 3 天" in (
                alert.text or ""
            )
            assert [b for b, _ in alert.buttons] == [f"进入 {NUMBER}", "案件详情"]
        # "1 day" and "due" fire together (the service was down): one alert, the nearer mark.
        clock.advance(days=3)
        async with running_service(standin, var, clock=clock) as runtime:
            assert runtime.timers is not None and await runtime.timers.run_due() == 2
            clock.advance(minutes=1)
            assert runtime.timers is not None and await runtime.timers.run_due() == 1
            (due,) = await texts(mediator, 1)
            assert "期限已到" in due and "还有 1 天" not in due
            assert runtime.timers is not None and await runtime.timers.run_due() == 0
        await assert_quiet(mediator)
        await assert_quiet(applicant)
