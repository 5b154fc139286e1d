"""Steps of a mediation up to a signed agreement, as simulated people do them in Telegram.

Shared by the end-to-end tests of this directory; each step asserts what the person sees.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from app.runtime import Runtime
from core.clock import Clock
from documents.pool import RenderPool
from documents.seal import Sealer
from harness.steps import (
    RESPONDENT_PHONE,
    WAGE_CLAUSE,
    answer_identities,
    draft_from_registration,
    finish_terms,
    id_number,
    mediator_takes_case,
    open_session,
)
from standin import StandinBotAPI
from standin.models import SentMessage
from standin.simulation import SimUser
from tests.agreements.harness import agreement_service, wait_text
from tests.e2e.test_intake import walk_intake

NUMBER = "（2026）示调字第0001号"
LI_ID = id_number("19790620", 12, male=False)


async def open_room(
    runtime: Runtime, standin: StandinBotAPI, base: int
) -> tuple[SimUser, SimUser, SimUser]:
    """Intake (张三 v 李四, unpaid wages), the respondent joins, a mediator takes the case and
    opens the session, and both parties speak."""
    applicant = standin.user(base + 1, first_name="甲", phone=f"+86138000{base + 1:05d}")
    await walk_intake(applicant)
    respondent = standin.user(base + 2, first_name="乙", phone=RESPONDENT_PHONE)
    mediator = await mediator_takes_case(
        runtime, standin, applicant, respondent, number=NUMBER, mediator=(f"med{base}", base + 100)
    )
    await open_session(mediator, (applicant, respondent))
    await speaks(applicant, "老板欠我三个月工资一万二千元，我要求全部付清。", respondent, mediator)
    await speaks(respondent, "公司困难，可以先付八千，其余月底前付清。", applicant, mediator)
    return applicant, respondent, mediator


async def speaks(speaker: SimUser, words: str, *others: SimUser) -> None:
    """``speaker`` says ``words`` in the mediation room, and each of ``others`` receives them."""
    await speaker.send_text(words)
    for other in others:
        await wait_text(other, words)


async def apply_for_confirmation(
    party: SimUser, address: str | None = None, court: str = "示范区人民法院"
) -> SentMessage:
    """``party`` agrees to apply for 司法确认 (the offer already received): the service address
    typed (``address``) or the agreement's own (None), then ``court`` chosen. Returns the
    question that offered the courts."""
    await party.press("同意申请司法确认")
    await wait_text(party, "送达地址")
    if address is None:
        await party.press("使用协议书上的住址")
    else:
        await party.send_text(address)
    asked = await wait_text(party, "受理法院")
    await party.press(f"向{court}申请")
    return asked


@asynccontextmanager
async def agreement_room(
    database_url: str | None,
    tmp_path: Path,
    pool: RenderPool,
    sealer: Sealer,
    base: int,
    *,
    clock: Clock | None = None,
    **env: str,
) -> AsyncIterator[tuple[Runtime, SimUser, SimUser, SimUser]]:
    """The agreements' service on ``database_url`` (None: its own SQLite; data under
    ``tmp_path``; ``env`` its settings) with a session open (:func:`open_room`): yields the runtime, the applicant,
    the respondent and the mediator."""
    async with (
        StandinBotAPI() as standin,
        agreement_service(
            standin, tmp_path / "var", pool, sealer, database_url, clock=clock, **env
        ) as (runtime, _base),
    ):
        applicant, respondent, mediator = await open_room(runtime, standin, base)
        yield runtime, applicant, respondent, mediator


async def draft_first_version(mediator: SimUser, extra_terms: Sequence[str] = ()) -> str:
    """From the outcome step to version 1, step by step, one term from a clause template and
    ``extra_terms`` typed after it; returns the review's text."""
    await mediator.press("结案")
    outcome = await wait_text(mediator, "结果")
    assert "📝 制作书面协议书" in outcome.button_texts and "调解成功" in outcome.button_texts
    await mediator.press("📝 制作书面协议书")
    await wait_text(mediator, "制作书面调解协议书")
    asked = await answer_identities(
        mediator,
        {
            "张三": {"address": "重庆市九龙坡区杨家坪街道西郊路1号"},
            "李四": {"id": LI_ID, "ethnicity": "土家族", "address": "重庆市九龙坡区谢家湾正街8号"},
        },
    )
    # Every party's identity for the court (民诉法解释 第三百五十四条), phones from the intake.
    assert asked == [  # 张三 gave the ID number when filing
        "张三:ethnicity",
        "张三:occupation",
        "张三:address",
        "李四:id",
        "李四:ethnicity",
        "李四:occupation",
        "李四:address",
    ], asked
    await draft_from_registration(mediator, "被申请人未按时足额支付劳动报酬，应当承担支付责任。")
    await wait_text(mediator, "协议内容")
    await mediator.press("支付欠付工资")
    intro = (await wait_text(mediator, "模板：")).text or ""
    assert "【用人单位】" in intro and "{" not in intro  # its blanks named, no raw placeholder
    for field, value in WAGE_CLAUSE:
        await wait_text(mediator, f"「{field}")
        await mediator.send_text(value)
    added = await wait_text(mediator, "已有 1 条")
    assert "12,000.00元（大写：壹万贰仟元整）" in (added.text or "")
    for n, term in enumerate(extra_terms, start=2):
        await mediator.send_text(term)
        await wait_text(mediator, f"已添加第 {n} 条")
    await finish_terms(mediator)
    review = await wait_text(mediator, "协议书草稿")  # copies default to parties + 1 (第二十九条)
    assert "2026-12-31" in (review.text or "") and "份数：3" in (review.text or "")
    await mediator.press("✅ 生成并发送")
    created = await wait_text(mediator, "第 1 版已生成")
    assert re.search(r"[0-9a-f]{64}", created.text or "")
    return review.text or ""
