"""Offers through the conversation service: propose, counter, accept; back-to-back offers go
through the mediator; bad terms are answered in the person's language; the accepted terms seed
the agreement draft and the payment schedule."""

from __future__ import annotations

from sqlalchemy import select

from features.negotiation.models import Offer, OfferResponse, PaymentInstalment
from storage.models import Conversation, Timer
from tests.negotiation.world import APPLICANT, MEDIATOR, RESPONDENT, World

TERMS = "12000\n2026-12-31 8000\n2027-01-31 4000\n道歉"
COUNTER = "10000；2026-12-31 6000；2027-01-31 4000；道歉"


async def test_offer_counter_accept(world: World) -> None:
    (ask,) = await world.command(APPLICANT, "offer")
    assert "提出调解方案" in ask and "示例" in ask
    (preview,) = await world.text(APPLICANT, TERMS)
    assert "¥12,000.00" in preview and "壹万贰仟元整" in preview
    assert "第1期：2026-12-31前 ¥8,000.00" in preview and "赔礼道歉" in preview
    (sent,) = await world.press(APPLICANT, "📨 发送方案")
    assert "方案 #1-1 已发送" in sent
    (card,) = await world.new(RESPONDENT)
    assert "调解方案 #1-1" in card and "提出方：申请人" in card
    (copy,) = await world.new(MEDIATOR)
    assert "等待对方答复" in copy

    # The card carries the three answers as buttons.
    labels = [b["text"] for row in (await world.payloads(RESPONDENT))[-1]["buttons"] for b in row]
    assert labels == ["✅ 接受", "❌ 拒绝", "↩️ 还价"]
    (ask_counter,) = await world.press(RESPONDENT, "↩️ 还价")
    assert "还价" in ask_counter
    (preview2,) = await world.text(RESPONDENT, COUNTER)
    assert "¥10,000.00" in preview2
    (sent2,) = await world.press(RESPONDENT, "📨 发送方案")
    assert "#1-2" in sent2
    (card2,) = await world.new(APPLICANT)
    assert "调解方案 #1-2" in card2 and "提出方：被申请人" in card2

    await world.press(APPLICANT, "✅ 接受")
    (agreed,) = await world.new(RESPONDENT)
    assert "双方已就调解方案 #1-2" in agreed
    mediator = await world.new(MEDIATOR)
    assert any("起草协议书" in t for t in mediator)
    # The old card's buttons are stale now.
    (stale,) = await world.press(RESPONDENT, "✅ 接受")
    assert "不能答复" in stale

    async with world.db.read() as s:
        offers = list((await s.execute(select(Offer).order_by(Offer.id))).scalars())
        assert [(o.version, o.status) for o in offers] == [(1, "countered"), (2, "accepted")]
        responses = list((await s.execute(select(OfferResponse.response))).scalars())
        assert responses == ["counter", "accept"]
        plan = list(
            (await s.execute(select(PaymentInstalment).order_by(PaymentInstalment.seq))).scalars()
        )
        assert [(str(i.due_on), i.amount_fen) for i in plan] == [
            ("2026-12-31", 600_000),
            ("2027-01-31", 400_000),
        ]
        keys = list(await s.execute(select(Timer.key).where(Timer.kind == "negotiation.pay")))
        assert keys == []  # accepted terms bind nobody yet: tracked once an agreement is in effect

    # The mediator's draft opens with the accepted terms filled in.
    await world.press(MEDIATOR, "📝 起草协议书")
    async with world.db.read() as s:
        conv = (
            await s.execute(select(Conversation).where(Conversation.chat_id == str(MEDIATOR)))
        ).scalar_one()
    draft = conv.state["ag_draft"]["terms"]
    assert draft["terms"][0].startswith(
        "被申请人向申请人支付人民币10,000.00元（大写：壹万元整），分2期"
    )
    assert "2026年12月31日前支付6,000.00元" in draft["terms"][0]
    assert draft["terms"][1] == "被申请人向申请人赔礼道歉。"
    assert draft["deadline"] == "2027-01-31" and draft["method"] == "分期支付"


async def test_bad_terms_are_explained_in_the_users_language(world: World) -> None:
    await world.command(APPLICANT, "offer")
    (err, again) = await world.text(APPLICANT, "12000\n2026-12-31 8000\n2027-01-31 3000")
    assert "各期金额之和与总金额不一致" in err and "重新发送" in again
    (err,) = (await world.text(APPLICANT, "8000\n2020-01-01"))[:1]
    assert "2020-01-01 已经过去" in err
    (err,) = (await world.text(APPLICANT, "八千块 明天"))[:1]
    assert "看不懂这一项" in err
    # The same in English.
    await world.command(RESPONDENT, "language")
    await world.drain()
    async with world.db.write() as s:
        conv = (
            await s.execute(select(Conversation).where(Conversation.chat_id == str(RESPONDENT)))
        ).scalar_one()
        conv.language = "en"
    await world.command(RESPONDENT, "offer")
    (err, _) = await world.text(RESPONDENT, "5000")
    assert "Give the payment date" in err


async def test_back_to_back_offers_go_through_the_mediator(world: World) -> None:
    async with world.db.write() as s:
        from storage.models import Case

        case = await s.get_one(Case, world.case_id)
        case.room_mode = "separate"
    await world.command(APPLICANT, "offer")
    await world.text(APPLICANT, "9000\n2026-12-31")
    (sent,) = await world.press(APPLICANT, "📨 发送方案")
    assert "已提交调解员" in sent
    assert await world.new(RESPONDENT) == []
    (held,) = await world.new(MEDIATOR)
    assert "待您转交" in held
    (done,) = await world.press(MEDIATOR, "➡️ 转交对方")
    assert "已转交" in done
    (card,) = await world.new(RESPONDENT)
    assert "调解员转交" in card and "¥9,000.00" in card
    await world.press(RESPONDENT, "❌ 拒绝")
    # Back-to-back: the rejection reaches the mediator, not the proposer.
    assert await world.new(APPLICANT) == []
    assert any("拒绝了调解方案 #1-1" in t for t in await world.new(MEDIATOR))


async def test_mediator_proposal_needs_both_parties(world: World) -> None:
    await world.command(MEDIATOR, "offer")
    await world.text(MEDIATOR, "11000\n2026-12-31\n道歉")
    await world.press(MEDIATOR, "📨 发送方案")
    await world.drain()
    (waiting,) = await world.press(APPLICANT, "✅ 接受")
    assert "等待另一方" in waiting
    assert any("申请人已接受" in t for t in await world.new(MEDIATOR))
    await world.press(RESPONDENT, "✅ 接受")
    assert any("双方已就调解方案 #1-1" in t for t in await world.new(APPLICANT))
    async with world.db.read() as s:
        assert (await s.execute(select(Offer.status))).scalar_one() == "accepted"


async def test_who_may_propose_and_answer(world: World) -> None:
    from sqlalchemy import update

    from storage.models import Case, CaseMember

    # A muted party cannot propose (人民调解法 第二十二条: the mediator conducts the room).
    async with world.db.write() as s:
        await s.execute(
            update(CaseMember).where(CaseMember.role == "applicant").values(status="muted")
        )
    (refused,) = await world.command(APPLICANT, "offer")
    assert "禁言" in refused
    async with world.db.write() as s:
        await s.execute(
            update(CaseMember).where(CaseMember.role == "applicant").values(status="active")
        )
    # The respondent proposes; the applicant may withdraw nothing of theirs, answer only.
    await world.command(RESPONDENT, "offer", "9000；2026-12-31")
    await world.press(RESPONDENT, "📨 发送方案")
    async with world.db.read() as s:
        offer_id = (await s.execute(select(Offer.id))).scalar_one()
    assert "自己提出" in (await world.action(RESPONDENT, f"ng:a:{offer_id}"))[-1]
    assert "不能答复" in (await world.action(APPLICANT, f"ng:w:{offer_id}"))[-1]
    assert "不是发给您" in (await world.action(MEDIATOR, f"ng:a:{offer_id}"))[-1]
    # /offers shows the history with the buttons each person may use.
    listing = await world.command(APPLICANT, "offers")
    assert "#1-1 被申请人 · 待答复" in listing[0]
    assert "调解方案 #1-1" in listing[1]
    # Once the case has moved on, offers can no longer be answered.
    async with world.db.write() as s:
        case = await s.get_one(Case, world.case_id)
        case.status = "failed"
    assert "不能提出或答复" in (await world.action(APPLICANT, f"ng:a:{offer_id}"))[-1]


async def test_a_side_with_a_representative_answers_through_them(world: World) -> None:
    from storage.models import CaseMember, CaseParty, User

    async with world.db.write() as s:
        other = User(telegram_id=7010)
        s.add(other)
        await s.flush()
        party = CaseParty(
            case_id=world.case_id, user_id=other.id, side="applicant", name="张四", ordinal=2
        )
        s.add(party)
        await s.flush()
        s.add(
            CaseMember(
                case_id=world.case_id,
                role="applicant",
                ordinal=2,
                party_id=party.id,
                user_id=other.id,
            )
        )
        first = (
            await s.execute(select(CaseMember).where(CaseMember.user_id != other.id).limit(1))
        ).scalar_one()
        first.is_representative = True  # 申请人 (the first) speaks for the side
    await world.command(RESPONDENT, "offer", "9000；2026-12-31")
    await world.press(RESPONDENT, "📨 发送方案")
    (refused,) = (await world.press(7010, "✅ 接受"))[-1:]
    assert "由代表人" in refused
    await world.press(APPLICANT, "✅ 接受")
    async with world.db.read() as s:
        assert (await s.execute(select(Offer.status))).scalar_one() == "accepted"


async def test_terms_typed_as_a_worker_would(world: World) -> None:
    """Issue 23, item 4: every problem at once; Chinese punctuation and a date without a year;
    a 备注 shown on the card but never written into the agreement."""
    await world.command(APPLICANT, "offer")
    (problems, again) = await world.text(APPLICANT, "12000，很多钱，2月30日，2020-01-01 3000")
    assert "3 处需要修改" in problems and "请修改后重新发送" in again
    for part in ("很多钱", "2月30日", "2020-01-01"):
        assert part in problems, part
    (preview,) = await world.text(APPLICANT, "12000，12月31日前付清，道歉，备注：按双盲报价成交价")
    assert "一次付清：2026-12-31前" in preview and "备注：按双盲报价成交价" in preview
    await world.press(APPLICANT, "📨 发送方案")
    await world.press(RESPONDENT, "✅ 接受")
    await world.press(MEDIATOR, "📝 起草协议书")
    async with world.db.read() as s:
        conv = (
            await s.execute(select(Conversation).where(Conversation.chat_id == str(MEDIATOR)))
        ).scalar_one()
    terms = conv.state["ag_draft"]["terms"]["terms"]
    assert terms[0].startswith("被申请人于2026年12月31日前一次性向申请人支付人民币12,000.00元")
    assert not [t for t in terms if "成交价" in t]
