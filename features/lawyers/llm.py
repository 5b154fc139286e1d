"""Optional plain-words phrasing by an OpenAI-compatible LLM, grounded on retrieved articles.

Why after the answer and not instead of it: the knowledge-base answer is ready in milliseconds
and is correct by construction; an LLM takes seconds and may invent law. So the person gets the
KB answer at once, and the LLM's phrasing follows as a second message — but only after every
citation in it has been checked by the KB and found among the articles it was given. A sentence
with any other citation (made up, repealed, or simply not retrieved) is removed and logged; if
nothing useful remains, nothing is sent. The HTTP call runs outside any database transaction.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import aiohttp
from sqlalchemy import update

from features.lawyers.assistant import Answer
from features.lawyers.context import LawyerContext
from features.lawyers.models import AssistantQuestion
from features.lawyers.settings import LawyerSettings
from legal_kb.service import KnowledgeBase
from mediation.replies import Msg, Reply
from services.delivery import Address
from services.outbox import enqueue, render

log = logging.getLogger(__name__)

MAX_CHARS = 1500
_CLAUSE_END = "。！？!?；;\n"

SYSTEM_PROMPT = (
    "你是人民调解服务中的法律信息助手。只根据用户消息中“条文”部分给出的法律条文，"
    "用通俗易懂的中文向当事人解释这些规定和他们的问题有什么关系、可以怎么做。"
    "引用条文时只能使用给出的条文，写成《法律简称》第X条的形式；不要引用任何其他法律或条文，"
    "不要编造条文内容，不要逐字抄录条文。不超过300字。最后提醒：这是法律信息，不是法律意见。"
)
SYSTEM_PROMPT_EN = (
    "You help parties of a people's mediation service understand the law. Use only the "
    "articles given under 条文; explain in plain English how they relate to the question and "
    "what the person can do. Cite only those articles, written as 《short title》第X条; never "
    "cite anything else or invent content. At most 200 words. End by saying that this is legal "
    "information, not legal advice."
)


class LlmError(Exception):
    pass


def build_messages(result: Answer, language: str) -> list[dict[str, str]]:
    articles = "\n\n".join(f"{a.citation}\n{a.text}" for a in result.articles)
    system = SYSTEM_PROMPT_EN if language == "en" else SYSTEM_PROMPT
    user = f"问题：{result.question}\n\n条文：\n{articles}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


async def complete(settings: LawyerSettings, messages: list[dict[str, str]]) -> str:
    """One chat completion; raises :class:`LlmError` with a reason on any failure."""
    assert settings.llm_base_url is not None
    headers = {"Content-Type": "application/json"}
    if settings.llm_api_key:
        headers["Authorization"] = f"Bearer {settings.llm_api_key}"
    body: dict[str, Any] = {
        "model": settings.llm_model,
        "messages": messages,
        "temperature": 0.2,
    }
    timeout = aiohttp.ClientTimeout(total=settings.llm_timeout)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as http,
            http.post(
                f"{settings.llm_base_url}/chat/completions", json=body, headers=headers
            ) as resp,
        ):
            if resp.status != 200:
                raise LlmError(f"HTTP {resp.status}: {(await resp.text())[:200]}")
            data = await resp.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        raise LlmError(f"{type(exc).__name__}: {exc}") from exc
    try:
        content = data["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError) as exc:
        raise LlmError("no choices[0].message.content in the response") from exc
    if not isinstance(content, str):
        raise LlmError("content is not text")
    return content


def _clause(text: str, start: int, end: int) -> tuple[int, int]:
    """The clause around ``text[start:end]``, to its punctuation on both sides."""
    left = max((text.rfind(ch, 0, start) for ch in _CLAUSE_END), default=-1) + 1
    rights = [i for i in (text.find(ch, end) for ch in _CLAUSE_END) if i >= 0]
    right = min(rights) + 1 if rights else len(text)
    return left, right


async def grounded(
    kb: KnowledgeBase, text: str, allowed: set[tuple[str, int | None, int]]
) -> tuple[str, list[str]]:
    """``text`` without the clauses whose citations fail the check or were not retrieved."""
    text = re.sub(r"[ \t]+\n", "\n", text.strip())
    checks = await kb.check_citations(text)
    cuts: list[tuple[int, int]] = []
    removed: list[str] = []
    for check in checks:
        c = check.citation
        if check.ok and check.in_force and (c.law, c.number, c.suffix) in allowed:
            continue
        why = check.problem or ("not_retrieved" if check.ok else "not_in_force")
        log.warning("LLM citation removed: %s (%s)", c.text, why)
        removed.append(c.text)
        cuts.append(_clause(text, c.start, c.end))
    merged: list[tuple[int, int]] = []
    for left, right in sorted(cuts):
        if merged and left < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(right, merged[-1][1]))
        else:
            merged.append((left, right))
    for left, right in reversed(merged):
        text = text[:left] + text[right:]
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return (text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1] + "…"), removed


async def follow_up(
    ctx: LawyerContext,
    question_id: int,
    address: Address,
    result: Answer,
) -> None:
    """Ask the LLM, keep only grounded text, queue it for the person and deliver it."""
    if ctx.kb is None or not result.articles:
        return
    status, text = "failed", ""
    removed: list[str] = []
    try:
        raw = await complete(ctx.settings, build_messages(result, address.language))
        text, removed = await grounded(ctx.kb, raw, result.grounding())
        status = "used" if text else "empty"
    except LlmError as exc:
        log.warning("LLM phrasing skipped: %s", exc)
    async with ctx.db.write() as session:
        await session.execute(
            update(AssistantQuestion)
            .where(AssistantQuestion.id == question_id)
            .values(llm=status, llm_removed=removed)
        )
        queued = []
        if text:
            reply = Reply(Msg("lawyers.llm_answer", {"text": text}))
            queued = await enqueue(
                session, address.channel, address.chat_id, [render(reply, address.language)]
            )
    if queued and ctx.deliver is not None:
        ctx.deliver(queued)
