"""An accepted offer (or a settled blind bid) as the starting point of the agreement draft.

``features.agreements.drafting.start`` asks :func:`negotiated_terms` when a case has no
agreement version yet: the mediator's step-by-step draft then opens with the agreed terms, the
manner of performance and the last date already filled (人民调解法 第二十九条（三）: the terms
and the manner and deadline of performance), and the mediator adds the facts, the matters in
dispute and the responsibilities as usual.

The wording is document text (the agreement is written in Chinese), like the clause templates
of ``documents.clauses``.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from documents.formats import cn_date
from features.negotiation.common import capital, money
from features.negotiation.models import BlindBidding, Offer
from mediation.agreement import MAX_TERM_CHARS, AgreementTerms
from mediation.blind_bidding import BiddingStatus
from mediation.offers import ActionKind, OfferStatus, OfferTerms, Side

PARTY = {Side.APPLICANT: "申请人", Side.RESPONDENT: "被申请人"}
ACTION_TEXT = {
    ActionKind.APOLOGY: "向{payee}赔礼道歉",
    ActionKind.REPAIR: "负责修复",
    ActionKind.MOVE_OUT: "搬离",
    ActionKind.STOP: "停止侵害",
    ActionKind.OTHER: "履行以下义务",
}


def term_texts(terms: OfferTerms) -> list[str]:
    """One agreement term per payment obligation and per undertaking."""
    payer, payee = PARTY[terms.payer], PARTY[terms.payee]
    out: list[str] = []
    if terms.amount_fen:
        total = f"人民币{money(terms.amount_fen)[1:]}元（大写：{capital(terms.amount_fen)}）"
        if terms.instalments:
            parts = "；".join(
                f"第{n}期于{cn_date(i.due)}前支付{money(i.fen)[1:]}元（大写：{capital(i.fen)}）"
                for n, i in enumerate(terms.instalments, 1)
            )
            out.append(f"{payer}向{payee}支付{total}，分{len(terms.instalments)}期支付：{parts}。")
        elif terms.deadline is not None:
            out.append(f"{payer}于{cn_date(terms.deadline)}前一次性向{payee}支付{total}。")
    for action in terms.actions:
        # Undertakings are the payer's unless stated otherwise in the detail.
        verb = ACTION_TEXT[action.kind].format(payee=payee)
        when = f"于{cn_date(action.deadline)}前" if action.deadline else ""
        detail = f"：{action.detail}" if action.detail else ""
        out.append(f"{payer}{when}{verb}{detail}。")
    # A 备注 is what the proposer wanted to say about the offer ("按双盲报价成交价"), not an
    # obligation anyone accepted as a clause: it stays on the offer's card, out of the terms.
    return [t[:MAX_TERM_CHARS] for t in out]


def agreement_terms(terms: OfferTerms) -> AgreementTerms:
    last = terms.last_date()
    method = ""
    if terms.amount_fen:
        method = "分期支付" if len(terms.instalments) > 1 else "一次性支付"
    return AgreementTerms(
        terms=tuple(term_texts(terms)),
        method=method,
        deadline=last.isoformat() if last else "",
    )


async def negotiated_terms(session: AsyncSession, case_id: int) -> AgreementTerms | None:
    """The newest accepted offer's terms; else a settled blind bid's amount; else None."""
    offer = (
        await session.execute(
            select(Offer)
            .where(Offer.case_id == case_id, Offer.status == OfferStatus.ACCEPTED.value)
            .order_by(Offer.decided_at.desc(), Offer.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if offer is not None:
        return agreement_terms(OfferTerms.from_json(offer.terms))
    bid = (
        await session.execute(
            select(BlindBidding)
            .where(
                BlindBidding.case_id == case_id,
                BlindBidding.status == BiddingStatus.SETTLED.value,
            )
            .order_by(BlindBidding.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if bid is not None and bid.settled_fen:
        payer = Side(bid.payer_side)
        text = (
            f"{PARTY[payer]}向{PARTY[payer.other]}支付人民币{money(bid.settled_fen)[1:]}元"
            f"（大写：{capital(bid.settled_fen)}）。"
        )
        return AgreementTerms(terms=(text,))
    return None
