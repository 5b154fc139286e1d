"""Risk in what is filed and in captions, seen at once (issue 20).

An elderly resident files a dispute whose facts say the other side will wait for her son at
his school: the case is 较大 when it is filed (not at the console's next sweep), the unit's
linked mediator is alerted in the chat with the words and the rule, and she is given the
calm notice with 110 and 12355. In a room, a party who sends a photo captioned with a threat
raises the case as a typed message would, and the record says the words came in a caption.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from features.console.models import Alert
from harness.seed import add_room, linked_mediator
from harness.steps import NEIGHBOUR_INTAKE, wait_text, walk_steps
from standin import StandinBotAPI
from storage.models import Case, CaseEvent, User
from tests.e2e.harness import running_service

THREAT = "他说再不还钱，就天天去学校门口等我儿子，孩子现在都不敢去上学。"


async def test_a_threat_in_the_filed_facts_alerts_at_once(tmp_path: Path) -> None:
    async with StandinBotAPI() as standin:
        async with running_service(standin, tmp_path / "var") as runtime:
            async with runtime.db.write() as s:
                s.add(linked_mediator("med_duty", 8100))
            mediator = standin.user(8100)
            await mediator.send_command("/help")  # the stand-in knows chats that wrote
            await wait_text(mediator, "")
            resident = standin.user(1001, phone="+8613800000000")
            # The facts (answered by 证据's question) carry the threat.
            steps = [
                (action, THREAT if markers == ["证据"] else argument, markers)
                for action, argument, markers in NEIGHBOUR_INTAKE
            ]
            await walk_steps(resident, steps)
            notice = (await wait_text(resident, "12355")).text or ""
            assert "110" in notice and "安全提示" in notice
            alert = (await wait_text(mediator, "风险预警")).text or ""
            assert "学校门口等我儿子" in alert and "未成年人人身安全" in alert
            async with runtime.db.read() as s:
                case = (await s.execute(select(Case))).scalar_one()
                (event,) = (
                    await s.execute(select(CaseEvent).where(CaseEvent.kind == "risk"))
                ).scalars()
                alerts = (await s.execute(select(Alert))).scalars().all()
            assert case.risk == "major"
            assert event.data["source"] == "intake" and "minor_at_risk" in event.data["rules"]
            assert {a.unit_code for a in alerts} == {"default"}


async def test_a_threat_in_a_caption_raises_the_case(tmp_path: Path) -> None:
    async with StandinBotAPI() as standin:
        async with running_service(standin, tmp_path / "var") as runtime:
            async with runtime.db.write() as s:
                case = await add_room(
                    s,
                    User(telegram_id=2001),
                    User(telegram_id=2002),
                    linked_mediator("med_room", 2100),
                )
                await s.flush()
                case_id = case.id
            applicant, respondent = standin.user(2001), standin.user(2002)
            mediator = standin.user(2100)
            for user in (applicant, mediator):
                await user.send_command("/help")
                await wait_text(user, "")
            await respondent.send_photo(caption="看清楚，我兜里揣着刀")
            alert = (await wait_text(mediator, "风险预警")).text or ""
            assert "揣着刀" in alert and "上传文件的说明" in alert and "重大" in alert
            assert "110" in ((await wait_text(applicant, "安全提示")).text or "")
            async with runtime.db.read() as s:
                raised = await s.get_one(Case, case_id)
                (event,) = (
                    await s.execute(select(CaseEvent).where(CaseEvent.kind == "risk"))
                ).scalars()
            assert raised.risk == "critical" and event.data["source"] == "caption"


async def test_back_to_back_the_other_side_is_not_told(tmp_path: Path) -> None:
    """In a back-to-back room the other party never saw the words: the notice goes to the
    writer and the mediator, not to them."""
    async with StandinBotAPI() as standin:
        async with running_service(standin, tmp_path / "var") as runtime:
            async with runtime.db.write() as s:
                await add_room(
                    s,
                    User(telegram_id=3001),
                    User(telegram_id=3002),
                    linked_mediator("med_b2b", 3100),
                    room_mode="separate",
                )
            applicant, respondent = standin.user(3001), standin.user(3002)
            mediator = standin.user(3100)
            for user in (respondent, mediator):
                await user.send_command("/help")
                await wait_text(user, "")
            await applicant.send_text("他再不给钱，我就去他家门口堵他")
            assert "110" in ((await wait_text(applicant, "安全提示")).text or "")
            await wait_text(mediator, "风险预警")
            await wait_text(mediator, "安全提示")
            await applicant.send_text("好的，我等调解员的消息")  # a later, ordinary message
            await wait_text(mediator, "等调解员的消息")
            assert not [m for m in respondent.messages if "安全提示" in (m.text or "")]
