"""Consultations (咨询) without a case, and the optional LLM under citation checks.

- ``/ask`` with no case starts a numbered consultation; every message is a question answered
  from the knowledge base; asking for a lawyer offers it to the on-duty specialist for the
  guessed dispute type; the lawyer and the person talk through the bot; it is all counted.
- A local stand-in of an OpenAI-compatible endpoint answers with a made-up citation
  (《民法典》第九千条) and a real but not retrieved one: neither reaches the person; the grounded
  part does; a failing endpoint changes nothing for the person.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select

from core.clock import FakeClock
from features.lawyers.consultations import counts
from features.lawyers.context import context_of
from features.lawyers.models import AssistantQuestion, ConsultationMessage
from features.lawyers.settings import LawyerSettings
from harness import serving
from legal_kb.imports import LawBatch
from standin import StandinBotAPI
from tests.e2e.harness import assert_quiet, running_service, texts
from tests.lawyers.conftest import make_lawyer, prepare_database

MADE_UP = "《民法典》第九千条"
LLM_TEXT = (
    "根据《劳动合同法》第三十条，用人单位应当按时足额支付工资，拖欠的可以向法院申请支付令。"
    f"依照{MADE_UP}，您还可以要求三倍工资。"
    "另外《劳动法》第五十条也有规定。\n这是法律信息，不是法律意见。"
)


@asynccontextmanager
async def stand_in_llm(answers: list[Any]) -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """An OpenAI-compatible /v1/chat/completions answering from ``answers`` in turn."""
    seen: list[dict[str, Any]] = []

    async def completions(request: web.Request) -> web.Response:
        seen.append({"auth": request.headers.get("Authorization"), **await request.json()})
        answer = answers.pop(0)
        if isinstance(answer, int):
            return web.Response(status=answer, text="stand-in failure")
        body = {"choices": [{"index": 0, "message": {"role": "assistant", "content": answer}}]}
        return web.json_response(body)

    app = web.Application()
    app.router.add_post("/v1/chat/completions", completions)
    async with serving(app) as base_url:
        yield f"{base_url}/v1", seen


async def test_consultation_with_assistant_and_lawyer(tmp_path: Path, law_batch: LawBatch) -> None:
    clock = FakeClock()  # Friday 27 November 2026, 17:00 in Asia/Shanghai
    var = tmp_path / "var"
    await prepare_database(var, law_batch)
    async with StandinBotAPI() as standin, running_service(standin, var, clock=clock) as runtime:
        lawyer = await make_lawyer(
            runtime,
            standin,
            "lawyer_c",
            7401,
            licence="11101201810000011",
            rota="mon-fri 09:00-18:00",
        )
        person = standin.user(7411, first_name="咨询人真名")
        await person.send_command("/ask")
        (started,) = await texts(person, 1)
        assert "已开始法律咨询 （2026）示调咨字第0001号" in started
        await person.send_text("用人单位拖欠劳动报酬怎么办")
        (answer,) = await texts(person, 1)
        assert "《劳动合同法》第三十条" in answer and "不构成法律意见" in answer
        assert [b for b, _ in person.messages[-1].buttons] == ["请律师", "结束咨询"]
        await person.send_sticker()
        assert "用文字" in (await texts(person, 1))[0]

        await person.press("请律师")
        assert "已把您的请求发给 1 位值班律师" in (await texts(person, 1))[0]
        (offer,) = await texts(lawyer, 1)
        assert "法律咨询请求：（2026）示调咨字第0001号" in offer and "劳动争议/欠薪" in offer
        await lawyer.press("接受")
        (accepted,) = await texts(lawyer, 1)
        assert "您已接受咨询" in accepted
        assert "律师已接入您的咨询" in (await texts(person, 1))[0]

        await person.send_text("公司说没钱，我能申请支付令吗？")
        (relayed,) = await texts(lawyer, 1)
        assert relayed == "【（2026）示调咨字第0001号｜咨询人】\n公司说没钱，我能申请支付令吗？"
        await lawyer.send_text("可以，拿着欠条或工资条向法院申请。")
        (answered,) = await texts(person, 1)
        assert answered.startswith("【（2026）示调咨字第0001号｜律师】")
        await lawyer.send_command("/leave")
        assert "已结束咨询" in (await texts(lawyer, 1))[0]
        assert "律师已结束" in (await texts(person, 1))[0]
        await person.send_command("/leave")
        assert "已结束" in (await texts(person, 1))[0]
        await person.send_text("还有一个问题")
        assert "/start" in (await texts(person, 1))[0]  # the core's idle reply: consultation over

        async with runtime.db.read() as session:
            tally = await counts(session)
            kept = (await session.execute(select(ConsultationMessage))).scalars().all()
        assert (tally.total, tally.open, tally.with_lawyer, tally.questions) == (1, 0, 1, 1)
        assert tally.by_dispute_type == {"labour_wages": 1}
        assert [m.author for m in kept] == ["person", "lawyer"]
        assert "咨询人真名" not in "\n".join(m.text or "" for m in lawyer.messages)
        await assert_quiet(lawyer)


async def test_llm_made_up_citation_never_reaches_the_person(
    tmp_path: Path, law_batch: LawBatch, caplog: pytest.LogCaptureFixture
) -> None:
    var = tmp_path / "var"
    await prepare_database(var, law_batch)
    answers: list[Any] = [LLM_TEXT, 500]
    async with (
        stand_in_llm(answers) as (url, seen),
        StandinBotAPI() as standin,
        running_service(standin, var, clock=FakeClock()) as runtime,
    ):
        context = context_of(runtime.shared)
        assert context is not None
        context.settings = LawyerSettings(
            llm_base_url=url, llm_api_key="test-key", llm_model="stand-in"
        )
        person = standin.user(7421)
        caplog.set_level(logging.WARNING, logger="features.lawyers.llm")
        await person.send_command("/ask", "用人单位拖欠劳动报酬怎么办")
        started, answer = await texts(person, 2)
        assert "已开始法律咨询" in started
        assert "《劳动合同法》第三十条" in answer  # the KB's answer comes at once
        await context.drain()
        (phrased,) = await texts(person, 1)
        assert phrased.startswith("💬 通俗解释")
        assert "《劳动合同法》第三十条" in phrased and "支付令" in phrased
        assert "第九千条" not in phrased and "三倍工资" not in phrased
        assert "《劳动法》第五十条" not in phrased  # real, but not among the retrieved articles
        everything = "\n".join(m.text or "" for m in person.messages)
        assert "第九千条" not in everything
        assert "LLM citation removed: 《民法典》第九千条 (no_such_article)" in caplog.text
        assert "LLM citation removed: 《劳动法》第五十条 (not_retrieved)" in caplog.text

        # What the endpoint got: the key, the question and only the retrieved articles' text.
        request = seen[0]
        assert request["auth"] == "Bearer test-key" and request["model"] == "stand-in"
        prompt = json.dumps(request["messages"], ensure_ascii=False)
        assert runtime.shared.kb is not None
        article = await runtime.shared.kb.current_text("劳动合同法", "第三十条")
        assert article is not None
        assert (
            article.text.replace("\n", "\\n") in prompt and "用人单位拖欠劳动报酬怎么办" in prompt
        )

        # A failing endpoint: the person still has the KB answer, and nothing else arrives.
        await person.send_text("用人单位不支付劳动报酬可以申请支付令吗")
        (second,) = await texts(person, 1)
        assert "《劳动合同法》第三十条" in second
        await context.drain()
        await assert_quiet(person)
        async with runtime.db.read() as session:
            rows = (await session.execute(select(AssistantQuestion))).scalars().all()
        assert [(r.llm, r.llm_removed) for r in rows] == [
            ("used", [MADE_UP, "《劳动法》第五十条"]),
            ("failed", []),
        ]
