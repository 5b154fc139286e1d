"""End to end at night: a party asks for a lawyer at 03:00 with nobody on duty; the assistant
answers at once with verified citations; the request widens by timer; in the morning two
lawyers get the offer, the first to accept joins the room as 律师 and posts an article card, the
other sees it taken; the lawyer talks to one party, comments on the draft and leaves."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from core.clock import FakeClock
from features.lawyers.models import AssistantQuestion, LawyerOffer, LawyerRequest
from harness.steps import RESPONDENT_PHONE, mediator_takes_case
from legal_kb.imports import LawBatch
from standin import StandinBotAPI
from storage.models import CaseMember, CaseMessage
from tests.e2e.harness import assert_quiet, running_service, texts
from tests.e2e.test_intake import walk_intake
from tests.lawyers.conftest import make_lawyer, prepare_database

#: Saturday 28 November 2026, 03:00 in Asia/Shanghai.
NIGHT = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)
CITATION_RE = re.compile(r"《[^》]+》第[一二三四五六七八九十百千零]+条")

NUMBER = "（2026）示调字第0001号"


async def test_night_request_assistant_widening_and_morning_lawyer(
    tmp_path: Path, law_batch: LawBatch
) -> None:
    clock = FakeClock(NIGHT)
    var = tmp_path / "var"
    await prepare_database(var, law_batch)
    async with StandinBotAPI() as standin, running_service(standin, var, clock=clock) as runtime:
        timers = runtime.timers
        assert timers is not None
        # A labour specialist on duty Saturday mornings; a colleague reachable at weekends;
        # a family lawyer on weekdays only. Nobody is on duty or reachable at 03:00.
        duty = await make_lawyer(
            runtime,
            standin,
            "lawyer_duty",
            7301,
            licence="11101201810000001",
            rota="sat 09:00-12:00",
            availability="mon-fri 09:00-18:00",
        )
        weekend = await make_lawyer(
            runtime,
            standin,
            "lawyer_weekend",
            7302,
            licence="11101201810000002",
            availability="sat-sun 09:00-17:00",
        )
        family = await make_lawyer(
            runtime,
            standin,
            "lawyer_family",
            7303,
            licence="11101201810000003",
            specialties=("marriage_family",),
            rota="mon-fri 09:00-12:00",
        )
        applicant = standin.user(7311, first_name="甲真名", phone="+8613800007311")
        await walk_intake(applicant, hints=True)  # a wage dispute
        respondent = standin.user(7312, first_name="乙真名", phone=RESPONDENT_PHONE)
        mediator = await mediator_takes_case(
            runtime, standin, applicant, respondent, number=NUMBER, mediator=("med_night", 7320)
        )

        # 03:00: nobody on duty. The party is told when a lawyer is expected.
        await applicant.send_command("/lawyer")
        (answer,) = await texts(applicant, 1)
        assert "现在没有值班律师" in answer and "10 分钟" in answer
        assert "11月28日（周六）09:00" in answer
        assert "请求律师协助" in (await texts(mediator, 1))[0]
        await applicant.send_command("/lawyer")
        assert "已经在为您联系律师" in (await texts(applicant, 1))[0]

        # The assistant answers at once, privately, with citations the KB vouches for.
        await applicant.press("问法律助手")
        assert "只发给法律助手" in (await texts(applicant, 1))[0]
        await applicant.send_text("公司拖欠我三个月工资不发，我该怎么办？")
        (reply,) = await texts(applicant, 1)
        assert "法律信息（不是法律意见）" in reply and "不构成法律意见" in reply
        cited = CITATION_RE.findall(reply)
        assert cited and all("劳动" in c for c in cited)
        kb = runtime.shared.kb
        assert kb is not None
        for citation in cited:
            verdict = await kb.lookup(citation)
            assert verdict is not None and verdict.ok and verdict.in_force, citation
        assert "劳动人事争议仲裁委员会" in reply and "工资条" in reply  # routes, evidence
        assert "建筑工人追讨拖欠工资" in reply  # a similar typical case…
        assert "第九千条" not in reply  # …without its made-up citation
        assert any(b == "请律师" for b, _ in applicant.messages[-1].buttons)
        await assert_quiet(respondent)  # the room did not see the question
        await assert_quiet(mediator)

        # 03:11: the request widens, but nobody can be reached before 09:00.
        clock.advance(minutes=11)
        assert await timers.run_due() == 1
        (widened,) = await texts(applicant, 1)
        assert "暂时没有可以联系的律师" in widened and "11月28日（周六）09:00" in widened
        for lawyer in (duty, weekend, family):
            await assert_quiet(lawyer)

        # 09:00: both lawyers reachable now get the offer; the family lawyer does not.
        clock.advance(hours=5, minutes=49)
        assert await timers.run_due() == 1
        for lawyer in (duty, weekend):
            (offer,) = await texts(lawyer, 1)
            assert "（2026）示调字第0001号" in offer and "劳动争议/欠薪" in offer
            assert "甲真名" not in offer and "乙真名" not in offer
        await assert_quiet(family)

        clock.advance(minutes=4)
        await weekend.press("接受")
        accepted, panel = await texts(weekend, 2)
        assert "以“律师”身份加入案件" in accepted and "｜律师】" in accepted
        # Information for everyone, representation for no one (律师法 第三十九条; issue 18).
        assert "不担任任何一方的代理人" in accepted and "第三十九条" in accepted
        assert "发言对象：全体" in panel
        assert [b for b, _ in weekend.messages[-1].buttons][:3] == [
            "对全体说",
            "对申请人说",
            "对被申请人说",
        ]
        for person in (applicant, respondent, mediator):
            joined = (await texts(person, 1))[0]
            assert "律师已加入调解室" in joined and "不代理任何一方" in joined
        (taken,) = await texts(duty, 1)
        assert "已由其他律师接受" in taken
        await duty.press("接受")
        assert "已由其他律师接受了" in (await texts(duty, 1))[0]

        # The lawyer looks up an article and posts the card to the room.
        await weekend.send_command("/law", "劳动合同法第三十条")
        (card,) = await texts(weekend, 1)
        article = await kb.current_text("劳动合同法", "第三十条")
        assert article is not None and article.text in card
        await weekend.press("发到调解室：《劳动合同法》第三十条")
        assert "已把《劳动合同法》第三十条发到调解室" in (await texts(weekend, 1))[0]
        for person in (applicant, respondent, mediator):
            (posted,) = await texts(person, 1)
            assert posted.startswith("【（2026）示调字第0001号｜律师】")
            assert article.text in posted

        # Talking to one party only; a comment on the draft reaches the mediator only.
        await weekend.press("对申请人说")
        await texts(weekend, 1)
        await weekend.send_text("您可以先准备考勤记录和工资条。")
        assert "考勤记录" in (await texts(applicant, 1))[0]
        assert "考勤记录" in (await texts(mediator, 1))[0]
        await weekend.send_command("/review", "协议应写明付款期限和逾期责任。")
        assert "意见已发给调解员" in (await texts(weekend, 1))[0]
        assert "付款期限" in (await texts(mediator, 1))[0]
        await assert_quiet(respondent)

        await weekend.send_command("/leave")
        assert "您已离开" in (await texts(weekend, 1))[0]
        for person in (applicant, respondent, mediator):
            assert "律师已离开调解室" in (await texts(person, 1))[0]

        # The record: response times, the draft comment as a note, the card.
        async with runtime.db.read() as session:
            request = (await session.execute(select(LawyerRequest))).scalar_one()
            offers = (await session.execute(select(LawyerOffer))).scalars().all()
            lawyer_member = (
                await session.execute(select(CaseMember).where(CaseMember.role == "lawyer"))
            ).scalar_one()
            notes = (
                (await session.execute(select(CaseMessage).where(CaseMessage.kind == "note")))
                .scalars()
                .all()
            )
            asked = (await session.execute(select(AssistantQuestion))).scalar_one()
        assert request.status == "done" and request.stage == "wide"
        assert request.wait_seconds == 6 * 3600 + 4 * 60
        assert sorted((o.status, o.response_seconds) for o in offers) == [
            ("accepted", 240),
            ("taken", None),
        ]
        assert lawyer_member.status == "removed"
        assert [n.data for n in notes] == [{"about": "agreement_draft"}]
        assert asked.question.startswith("公司拖欠")
        assert asked.citations == cited[: len(asked.citations)]  # the rest: the typical case's
        # No Telegram identity crossed: parties never saw the lawyers' names, nor they theirs.
        seen_by_parties = "\n".join(
            m.text or "" for u in (applicant, respondent) for m in u.messages
        )
        assert "lawyer_weekend" not in seen_by_parties and "真名" not in seen_by_parties
        assert "甲真名" not in "\n".join(m.text or "" for m in weekend.messages)
