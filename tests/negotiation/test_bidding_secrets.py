"""Blind bidding as a worker owed ¥12,000 and the employer would play it (issue 23, item 1):
a second amount typed while one's figure is in never reaches the room; the invitation says up
front what a settlement reveals; after a settlement a party cannot replay the bidding, and an
offer of another amount goes through the mediator; a case has a limited number of biddings."""

from __future__ import annotations

from sqlalchemy import select

from features.negotiation.models import BlindBidding, Offer
from mediation.blind_bidding import MAX_BIDDINGS, BiddingStatus, StartRefusal, may_start
from storage.models import CaseEvent, CaseMessage, InboxUpdate
from tests.negotiation.world import APPLICANT, MEDIATOR, RESPONDENT, World

WORKER, EMPLOYER = APPLICANT, RESPONDENT


async def open_round(world: World) -> str:
    await world.command(EMPLOYER, "bid")
    (invite,) = await world.new(WORKER)
    await world.press(WORKER, "✅ 同意参加")
    await world.drain()
    return invite


async def test_a_second_amount_while_a_figure_is_in_never_reaches_the_room(world: World) -> None:
    await world.text(WORKER, "三个月工资一共一万二，请尽快解决。")  # a room message, recorded
    await open_round(world)
    (receipt,) = await world.text(EMPLOYER, "8000")
    assert "¥8,000.00" in receipt
    # The employer changes their mind and types a bare amount: refused, not relayed.
    (refused,) = await world.text(EMPLOYER, "9000")
    assert "没有发出" in refused and "不能修改" in refused
    for who in (WORKER, MEDIATOR):
        seen = " ".join(await world.new(who))
        assert "9000" not in seen and "9,000" not in seen, seen
    # Nor is it in the room's record, the case events (the console's timeline) or the inbox.
    async with world.db.read() as s:
        record = [f"{m.text} {m.data}" for m in (await s.execute(select(CaseMessage))).scalars()]
        events = [f"{e.kind} {e.data}" for e in (await s.execute(select(CaseEvent))).scalars()]
        inbox = [str(u.payload) for u in (await s.execute(select(InboxUpdate))).scalars()]
    for place in (record, events):
        assert not [x for x in place if "9000" in x or "9,000" in x], place
    assert not [u for u in inbox if "9000" in u]
    # /record, as the worker and the mediator ask for it.
    for who in (WORKER, MEDIATOR):
        await world.command(who, "record")
        shown = " ".join(str(p) for p in await world.payloads(who))
        assert "请尽快解决" in shown  # the record (and the room) carry what was said
        assert "9000" not in shown and "9,000" not in shown, who
    await world.drain()
    # The round still closes on the figure that was in.
    await world.text(WORKER, "7000")
    settled = " ".join(await world.new(MEDIATOR))
    assert "¥7,500.00" in settled  # (8,000 + 7,000) / 2


async def test_the_invitation_says_what_a_settlement_reveals(world: World) -> None:
    invite = await open_round(world)
    assert "算出对方的金额" in invite and "需经调解员同意" in invite


async def test_after_a_settlement_no_replay_and_other_amounts_go_through_the_mediator(
    world: World,
) -> None:
    await open_round(world)
    await world.text(EMPLOYER, "10000")
    await world.text(WORKER, "9000")
    await world.drain()
    # A replayed /bid from either party is refused; the old invitation's button is stale.
    (again,) = await world.command(WORKER, "bid")
    assert "已经通过双盲报价成交" in again
    (stale,) = await world.press(WORKER, "✅ 同意参加")
    assert "按钮已失效" in stale
    async with world.db.read() as s:
        assert len(list((await s.execute(select(BlindBidding))).scalars())) == 1
    # The worker now knows the employer's figure (2 × 9,500 − 9,000) and offers it: held.
    await world.command(WORKER, "offer")
    await world.text(WORKER, "10000\n2026-12-31")
    (held,) = await world.press(WORKER, "📨 发送方案")
    assert "已提交调解员" in held and "¥9,500.00" in held
    assert not any("调解方案 #" in t for t in await world.new(EMPLOYER))
    staff = " ".join(await world.new(MEDIATOR))
    assert "待您转交" in staff and "金额与成交价不同" in staff
    # An offer at the settled amount (adding the date) goes straight to the other side.
    await world.command(EMPLOYER, "offer")
    await world.text(EMPLOYER, "9500\n2026-12-31")
    (sent,) = await world.press(EMPLOYER, "📨 发送方案")
    assert "已发送" in sent
    assert any("调解方案 #2-1" in t for t in await world.new(WORKER))
    async with world.db.read() as s:
        held_flags = [o.held for o in (await s.execute(select(Offer).order_by(Offer.id))).scalars()]
    assert held_flags == [True, False]
    # The mediator may start another bidding (the one who decides it is needed).
    await world.drain()
    (started,) = await world.command(MEDIATOR, "bid")
    assert "等待对方同意" in started


async def test_rounds_per_case_are_limited(world: World) -> None:
    for _ in range(MAX_BIDDINGS):
        await open_round(world)
        for n in range(3):
            await world.text(EMPLOYER, str(5000 + n))
            await world.text(WORKER, str(11000 - n))
        await world.drain()
    (refused,) = await world.command(WORKER, "bid")
    assert f"已经进行过 {MAX_BIDDINGS} 次" in refused
    (refused_staff,) = await world.command(MEDIATOR, "bid")
    assert "不能再发起" in refused_staff


def test_start_rule() -> None:
    ran = (BiddingStatus.NO_OVERLAP, 3)
    declined = (BiddingStatus.CANCELLED, 0)
    assert may_start([declined, declined, declined], by_mediator=False) is None
    assert may_start([ran], by_mediator=False) is None
    assert may_start([ran] * MAX_BIDDINGS, by_mediator=True) is StartRefusal.LIMIT
    settled = (BiddingStatus.SETTLED, 1)
    assert may_start([settled], by_mediator=False) is StartRefusal.SETTLED
    assert may_start([settled], by_mediator=True) is None
