"""An oral agreement end to end through the stand-in Bot API, on SQLite and PostgreSQL (issue 18,
item 5): the mediator records the content (and the addresses the 笔录 needs), a party objects
and the content is recorded again, each party confirms in the chat, the case is agreed that day,
the 笔录's 核对稿 reaches the parties without claiming they checked it, an objection to it is
printed in the next version, and only the version every party checked says "经核对无误" with who
checked it and when (PDF text checked)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from core.clock import FakeClock
from documents.pool import RenderPool
from documents.seal import Sealer
from harness.steps import choose_outcome, record_oral_agreement
from services.invariants import check
from standin.models import SentMessage
from storage.document_models import Document, DocumentSignature, JudicialConfirmation
from storage.models import Case, CaseEvent
from tests.agreements.flow import agreement_room
from tests.agreements.harness import wait_file, wait_text
from tests.documents.conftest import pdftotext, squash

START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
FIRST = "被申请人于2026年12月31日前支付申请人工资一万元。"
TERMS = "被申请人于2026年12月5日前支付申请人工资八千元。\n余款四千元于2026年12月31日前付清。"


def _text(path: Path, message: SentMessage) -> str:
    path.write_bytes(message.file or b"")
    return squash(pdftotext(path))


async def test_oral_agreement_confirmed_by_each_party_and_a_checked_record(
    tmp_path: Path, render_pool: RenderPool, seal: Sealer, database_url: str | None
) -> None:
    clock = FakeClock(START)
    room = agreement_room(database_url, tmp_path, render_pool, seal, 7700, clock=clock)
    async with room as (runtime, applicant, respondent, mediator):
        # Half an hour of talk (the history check orders same-instant events before messages).
        clock.advance(minutes=30)

        await choose_outcome(mediator, "调解成功")
        await record_oral_agreement(mediator, FIRST)
        await wait_text(mediator, "第 1 版")

        # Version 1: the respondent objects; the mediator hears why.
        asked = await wait_text(respondent, "调解员记录的口头协议")
        assert FIRST in (asked.text or "")
        await respondent.press("✋ 有异议", asked)
        await wait_text(respondent, "异议")
        await respondent.send_text("说好的是先付八千，月底前付清余款。")
        await wait_text(respondent, "已转给调解员")
        assert "先付八千" in ((await wait_text(mediator, "有异议")).text or "")

        # Version 2: recorded again; version 1 can no longer be confirmed.
        await choose_outcome(mediator, "调解成功")
        await wait_text(mediator, "每行一条")
        await mediator.send_text(TERMS)
        await wait_text(mediator, "第 2 版")
        current = {p.user_id: await wait_text(p, "余款四千元") for p in (applicant, respondent)}
        old = next(m for m in applicant.messages if FIRST in (m.text or ""))
        await applicant.press("✅ 确认，这是我同意的内容", old)
        await wait_text(applicant, "第 1 版已不在确认中")
        for party in (applicant, respondent):  # one after the other, as people do
            await party.press("✅ 确认，这是我同意的内容", current[party.user_id])
            await wait_text(party, "确认了口头协议")
        await wait_text(mediator, "确认口头协议")
        effective = await wait_text(applicant, "协议自 2026-11-27 起生效")
        assert "第三百五十四条" in (effective.text or "")

        # The 核对稿: sent to the parties and the mediator; it claims no check yet.
        draft = await wait_file(applicant, timeout=60)
        await wait_text(applicant, "核对稿")
        words = _text(tmp_path / "draft.pdf", draft)
        assert "调解结果：口头协议" in words and "余款四千元" in words
        assert "申请人张三于2026年11月27日" in words and "在线确认" in words
        assert "经核对无误" not in words and "尚待各方当事人确认" in words
        await wait_file(mediator, timeout=60)
        ask = await wait_text(respondent, "核对稿")
        await respondent.press("✋ 有异议", ask)
        await wait_text(respondent, "异议")
        await respondent.send_text("笔录应写明我方同意先付八千元。")
        await wait_text(mediator, "调解笔录有异议")

        # The mediator makes it again; the objection is in it; both check it.
        await mediator.send_command("/documents")
        await wait_text(mediator, "正在生成")
        second = await wait_file(respondent, timeout=60)
        words = _text(tmp_path / "second.pdf", second)
        assert "当事人对笔录的意见" in words and "同意先付八千元" in words
        assert "经核对无误" not in words
        await wait_file(applicant, timeout=60)
        for party, answer in ((applicant, "等待其他当事人"), (respondent, "均已核对")):
            ask = await wait_text(party, "核对稿")
            await party.press("✅ 核对无误", ask)
            await wait_text(party, answer)
        final = await wait_file(applicant, timeout=60)
        words = _text(tmp_path / "final.pdf", final)
        assert "经核对无误" in words and "被申请人李四于2026年11月27日" in words
        assert "尚待" not in words

        async with runtime.db.read() as session:
            case = (await session.execute(select(Case))).scalar_one()
            docs = (await session.execute(select(Document).order_by(Document.id))).scalars()
            kinds = [(d.kind, d.version, d.status) for d in docs]
            answers = (await session.execute(select(DocumentSignature.decision))).scalars().all()
            outcome = (
                await session.execute(select(CaseEvent).where(CaseEvent.kind == "outcome"))
            ).scalar_one()
            offers = (await session.execute(select(JudicialConfirmation))).scalars().all()
        assert case.status == "agreed" and case.outcome == "success"
        assert outcome.data["oral_agreement"] == 2
        assert ("oral_agreement", 1, "superseded") in kinds
        assert ("oral_agreement", 2, "effective") in kinds
        records = [k for k in kinds if k[0] == "mediation_record"]
        assert [s for _, _, s in records] == ["superseded", "checked", "issued"]
        assert sorted(answers) == sorted(
            ["objected", "confirmed", "confirmed", "objected", "checked", "checked"]
        )
        assert offers == []  # no written agreement: nothing to take to court
        # main.py check: the case's history, the confirmations and the checks are consistent.
        report = await check(runtime.db, now=clock.now())
        assert report.ok, report.findings

        # Nobody gave 民族 or 职业: the mediator was told before the 申请书 was made, which
        # says 未提供 there; the button asks each party in the room to give their own.
        gaps = next(m for m in mediator.messages if "标明“未提供”" in (m.text or ""))
        assert "民族" in (gaps.text or "") and "职业或职务" in (gaps.text or "")
        form = next(m for m in mediator.messages if "application" in (m.filename or ""))
        assert "民族未提供" in _text(tmp_path / "application.pdf", form)
        await mediator.press("📨 请当事人本人补填", gaps)
        offer = await wait_text(respondent, "调解员正在制作调解文书")
        assert "✏️ 现在填写" in offer.button_texts
        assert "被申请人" in ((await wait_text(mediator, "已请以下当事人补填")).text or "")
