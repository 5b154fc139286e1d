"""A case a court referred (委派调解) with a clause no court confirms, end to end through the
stand-in Bot API on SQLite and PostgreSQL (issue 18, item 4): the mediator records the referring
court, the draft review warns about the ownership clause with its article and the 给付 form, the
offer names only the referring court, and the 司法确认申请书 (checked by its extracted text) asks
the court to confirm exactly clause 1, says why clause 2 is left out, and declares only what is
true of the clause applied for."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from core.clock import FakeClock
from documents.pool import RenderPool
from documents.seal import Sealer
from standin.simulation import SimUser
from storage.document_models import JudicialConfirmation
from storage.models import Case, CaseEvent, Timer
from tests.agreements.flow import agreement_room, apply_for_confirmation, draft_first_version
from tests.agreements.harness import wait_file, wait_text
from tests.documents.conftest import pdftotext, squash

START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
COURT = "重庆市九龙坡区人民法院"
OWNERSHIP = "双方确认张三使用的工作电脑归张三所有。"


async def sign_typed(person: SimUser, name: str, version: int = 1) -> None:
    """Sign version ``version`` by typing the full name, as a person without the Mini App."""
    prompt = next(
        m for m in reversed(person.messages) if f"第 {version} 版" in (m.text or "") and m.buttons
    )
    await person.press("⌨️ 输入全名签署", prompt)
    await wait_text(person, "全名")
    await person.send_text(name)


async def test_court_referred_case_applies_to_its_court_for_the_confirmable_clause(
    tmp_path: Path, render_pool: RenderPool, seal: Sealer, database_url: str | None
) -> None:
    clock = FakeClock(START)
    room = agreement_room(database_url, tmp_path, render_pool, seal, 7500, clock=clock)
    async with room as (runtime, applicant, respondent, mediator):
        # The mediator records the referral; a court's name is checked, the room is told.
        await mediator.send_text("/referral 委派")
        assert "当前：本案不是" in ((await wait_text(mediator, "用法")).text or "")
        await mediator.send_text("/referral 委派 九龙坡区居委会")
        await wait_text(mediator, "法院")
        await mediator.send_text(f"/referral 委派 {COURT}")
        await wait_text(mediator, "已记录")
        await wait_text(applicant, f"本案系{COURT}委派调解")
        await applicant.send_text(f"/referral 委派 {COURT}")  # not the party's to say
        await wait_text(applicant, "不认识这个命令")

        review = await draft_first_version(mediator, [OWNERSHIP])
        assert "⚠️ 第2条" in review and "第三百五十五条第一款第（五）项" in review
        assert "协助" in review  # the 给付 form is suggested

        for person, name in ((applicant, "张三"), (respondent, "李四")):
            await wait_text(person, "签署即表示")
            await sign_typed(person, name)
            await wait_text(person, "您已签署协议书第 1 版")
        # The mediator signs two days after the draft: the seal block prints that day.
        clock.advance(days=2)
        await wait_text(mediator, "请您签署")
        await sign_typed(mediator, "王调解")
        signed = await wait_file(applicant, timeout=60)
        for person in (applicant, respondent):
            await wait_text(person, "已生效")
        path = tmp_path / "signed.pdf"
        path.write_bytes(signed.file or b"")
        words = squash(pdftotext(path))
        assert "即于2026年11月29日生效" in words
        # The mediator's signature date, then the seal block's: both the day it took effect.
        seal_block = words.split("人民调解员（签名）")[1].split("签署存证")[0]
        assert seal_block.startswith("日期：2026年11月29日2026年11月29日张三（电子签名）")

        # The offer names the referring court only, and warns about clause 2.
        offer = await wait_text(applicant, "司法确认")
        assert COURT in (offer.text or "") and "委派调解的人民法院" in (offer.text or "")
        assert "第2条" in (offer.text or "")
        for person in (applicant, respondent):
            if person is respondent:
                await wait_text(person, "司法确认")
            asked = await apply_for_confirmation(person, "重庆市九龙坡区杨家坪街道西郊路1号", COURT)
            assert f"向{COURT}申请" in asked.button_texts
            assert not [b for b in asked.button_texts if "住所地" in b or "标的物" in b]
        application = await wait_file(applicant, timeout=60)
        path = tmp_path / "application.pdf"
        path.write_bytes(application.file or b"")
        words = squash(pdftotext(path))
        assert "人民调解协议第1条有效" in words
        assert f"本案系{COURT}委派调解的案件" in words
        assert "调解协议第2条涉及权属的确认，不在本次申请确认的范围内" in words
        assert "申请确认的调解协议第1条不涉及身份关系的确认" in words
        assert "工作电脑" not in words.split("申请确认的协议条款如下")[1]

        async with runtime.db.read() as session:
            case = (await session.execute(select(Case))).scalar_one()
            jc = (await session.execute(select(JudicialConfirmation))).scalar_one()
            events = (
                (await session.execute(select(CaseEvent.kind).where(CaseEvent.case_id == case.id)))
                .scalars()
                .all()
            )
        assert (case.source, case.referring_court) == ("court_referral", COURT)
        assert (jc.status, jc.court, jc.court_basis) == ("applied", COURT, "inviting_court")
        assert jc.effective_on.isoformat() == "2026-11-29"
        assert jc.flags == {"1": ["property_right"]}
        assert events.count("court_referral") == 1

        # The parties say they handed it in: no reminder of the window follows (item 7).
        await wait_text(applicant, "申请书已生成")
        await applicant.press("📮 已向法院提交")
        assert COURT in ((await wait_text(applicant, "不再提醒")).text or "")
        await wait_text(respondent, "已提交")
        seen = len(applicant.messages)
        clock.advance(days=31)
        assert runtime.timers is not None
        # 7 and 2 days before, the last day (and the mediator's alert of the mediation period)
        assert await runtime.timers.run_due() == 4
        await applicant.send_command("/confirm")
        await wait_text(applicant, "已经提交人民法院")
        assert not [m for m in applicant.messages[seen:] if "提醒" in (m.text or "")]
        async with runtime.db.read() as session:
            jc = (await session.execute(select(JudicialConfirmation))).scalar_one()
        assert jc.status == "submitted"

        # The court rules: the applicant says so; the room hears it, and from then on the
        # service speaks of enforcement (人民调解法 第三十三条), never of the window.
        await applicant.press("📜 法院已裁定协议有效")
        told = await wait_text(applicant, "申请强制执行")
        assert COURT in (told.text or "") and "第三十三条" in (told.text or "")
        await wait_text(respondent, "已裁定确认调解协议有效")
        await applicant.press("法院裁定协议无效")  # pressed late: the ruling stands
        await wait_text(applicant, "已裁定确认调解协议有效")
        await applicant.send_command("/confirm")
        await wait_text(applicant, "申请强制执行")
        async with runtime.db.read() as session:
            jc = (await session.execute(select(JudicialConfirmation))).scalar_one()
        assert jc.status == "confirmed"

        # After the offer the referral can no longer change.
        await mediator.send_text(f"/referral 委托 {COURT}")
        await wait_text(mediator, "不能再更改")


async def test_case_entrusted_after_registration_goes_back_to_the_court(
    tmp_path: Path, render_pool: RenderPool, seal: Sealer
) -> None:
    """委托调解 (特邀调解规定 第二十条): the court makes a 调解书 itself; the parties are told so
    and are offered no 司法确认, and no reminder of a window is scheduled."""
    room = agreement_room(None, tmp_path, render_pool, seal, 7600, clock=FakeClock(START))
    async with room as (runtime, applicant, respondent, mediator):
        await mediator.send_text(f"/referral 委托 {COURT}")
        await wait_text(mediator, "已记录")
        await wait_text(applicant, "立案后委托调解")
        await draft_first_version(mediator)
        preview = await wait_file(applicant, timeout=60)
        path = tmp_path / "entrusted.pdf"
        path.write_bytes(preview.file or b"")
        words = squash(pdftotext(path))
        assert f"本案系{COURT}立案后委托调解的案件" in words and "制作调解书" in words
        assert "申请司法确认" not in words
        for person, name in ((applicant, "张三"), (respondent, "李四")):
            await wait_text(person, "签署即表示")
            await sign_typed(person, name)
            await wait_text(person, "您已签署协议书第 1 版")
        await wait_text(mediator, "请您签署")
        await sign_typed(mediator, "王调解")
        told = await wait_text(applicant, "制作调解书")
        assert COURT in (told.text or "") and "第二十条" in (told.text or "")
        assert not told.button_texts
        await applicant.send_command("/confirm")
        await wait_text(applicant, "无需申请司法确认")
        async with runtime.db.read() as session:
            jc = (await session.execute(select(JudicialConfirmation))).scalar_one()
            timers = (await session.execute(select(Timer.key))).scalars().all()
        assert (jc.status, jc.default_court) == ("entrusted", COURT)
        assert not [t for t in timers if t.startswith("jc:")]
