"""The offer rules: what people type becomes the same terms the card shows (round trip,
property-tested), every validation names its problem, and the answer rules as a full matrix."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mediation.offer_text import parse_terms
from mediation.offers import (
    ActionKind,
    Instalment,
    OfferAction,
    OfferRefusal,
    OfferStatus,
    OfferTerms,
    OfferView,
    Response,
    Side,
    TermsInvalid,
    addressees,
    may_withdraw,
    respond,
)
from mediation.validation import InvalidInput

TODAY = date(2026, 11, 27)
WORD = {
    ActionKind.APOLOGY: "道歉",
    ActionKind.REPAIR: "修复",
    ActionKind.MOVE_OUT: "搬离",
    ActionKind.STOP: "停止",
}


def as_text(terms: OfferTerms) -> str:
    """How a person would type these terms (one item per line)."""
    lines = []
    if terms.payer is Side.APPLICANT:
        lines.append("申请人支付")
    if terms.instalments:
        lines += [f"{i.due.isoformat()} {Decimal(i.fen) / 100}" for i in terms.instalments]
    elif terms.amount_fen:
        assert terms.deadline is not None  # a single payment has its date
        lines += [str(Decimal(terms.amount_fen) / 100), terms.deadline.isoformat()]
    for a in terms.actions:
        lines.append(
            " ".join(
                x for x in (WORD[a.kind], a.detail, a.deadline and a.deadline.isoformat()) if x
            )
        )
    return "\n".join(lines)


days = st.integers(min_value=0, max_value=3000).map(lambda d: TODAY + timedelta(days=d))
fen = st.integers(min_value=1, max_value=10**12)


@st.composite
def terms(draw: st.DrawFn) -> OfferTerms:
    payer = draw(st.sampled_from(list(Side)))
    dates = sorted(draw(st.sets(days, min_size=0, max_size=6)))
    amounts = [draw(fen) for _ in dates]
    actions = tuple(
        OfferAction(kind, draw(st.sampled_from(["", "墙面", "噪音"])), draw(st.none() | days))
        for kind in draw(st.lists(st.sampled_from(list(WORD)), max_size=3))
    )
    if len(dates) >= 2:
        insts = tuple(Instalment(d, f) for d, f in zip(dates, amounts, strict=True))
        return OfferTerms(sum(amounts), payer, insts, dates[-1], actions)
    if dates:
        return OfferTerms(amounts[0], payer, (), dates[0], actions)
    if not actions:
        actions = (OfferAction(ActionKind.APOLOGY),)
    return OfferTerms(0, payer, (), None, actions)


@given(terms())
def test_typed_terms_round_trip(t: OfferTerms) -> None:
    parsed = parse_terms(as_text(t), TODAY)
    assert parsed.amount_fen == t.amount_fen and parsed.payer is t.payer
    assert parsed.schedule() == t.schedule()
    assert parsed.actions == t.actions
    assert OfferTerms.from_json(parsed.to_json()) == parsed


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("12000\n2026-12-31 8000\n2027-01-31 3000", "negotiation.err_instalment_sum"),
        ("8000", "negotiation.err_no_date"),
        ("8000\n2020-01-01", "negotiation.err_date_past"),
        ("8000\n2046-01-01", "negotiation.err_date_far"),
        ("8000\n2026-02-30", "negotiation.err_date_format"),
        ("2026-12-31 100\n2026-12-31 200", "negotiation.err_instalment_order"),
        ("8000\n9000\n2026-12-31", "negotiation.err_two_totals"),
        ("八千块 明天", "negotiation.err_segment"),
        ("备注 随便", "negotiation.err_empty"),
    ],
)
def test_bad_terms_name_the_problem(text: str, key: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_terms(text, TODAY)
    assert exc.value.key == key


def test_people_type_terms_as_they_would_on_a_phone() -> None:
    """Issue 23, item 4: Chinese punctuation, dates without a year, 月底/年底, 前付清, a note."""
    t = parse_terms("12000，12月31日前付清，道歉", TODAY)
    assert t.amount_fen == 1_200_000 and t.deadline == date(2026, 12, 31)
    assert [a.kind for a in t.actions] == [ActionKind.APOLOGY]
    assert parse_terms("12000、2026年12月31日前付清", TODAY).deadline == date(2026, 12, 31)
    assert parse_terms("一次性支付12000元，月底", TODAY).deadline == date(2026, 11, 30)
    assert parse_terms("12000，下月底前还清", TODAY).deadline == date(2026, 12, 31)
    assert parse_terms("12000；年底", TODAY).deadline == date(2026, 12, 31)
    # A day already past this year is next year's.
    assert parse_terms("8000，3月1日", TODAY).deadline == date(2027, 3, 1)
    assert parse_terms("8000，11月27日", TODAY).deadline == date(2026, 11, 27)
    plan = parse_terms("12月31日 8000，1月31日 4000", TODAY)
    assert [(i.due, i.fen) for i in plan.instalments] == [
        (date(2026, 12, 31), 800_000),
        (date(2027, 1, 31), 400_000),
    ]
    # An ASCII thousands comma stays an amount; a note keeps its commas and is not a clause.
    t = parse_terms("12,000，12月31日前付清，备注：按双盲报价成交价，尽快", TODAY)
    assert t.amount_fen == 1_200_000 and t.note == "按双盲报价成交价，尽快"
    # A non-money undertaking with its own date, and one continued after a 、.
    t = parse_terms("修复天花板 2027-03-20", TODAY)
    assert t.actions == (OfferAction(ActionKind.REPAIR, "天花板", date(2027, 3, 20)),)
    t = parse_terms("修复 墙面、天花板 2027-03-20", TODAY)
    assert t.actions == (OfferAction(ActionKind.REPAIR, "墙面、天花板", date(2027, 3, 20)),)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(TermsInvalid) as exc:
        parse_terms("12000，很多钱，2月30日，2020-01-01 3000", TODAY)
    assert [(p.key, p.params) for p in exc.value.problems] == [
        ("negotiation.err_segment", {"segment": "很多钱"}),
        ("negotiation.err_date_format", {"date": "2月30日"}),
        ("negotiation.err_date_past", {"date": "2020-01-01"}),
    ]
    with pytest.raises(TermsInvalid) as exc:
        parse_terms("12000\n2026-12-31 8000\n2026-12-31 3000", TODAY)
    assert {p.key for p in exc.value.problems} == {
        "negotiation.err_instalment_sum",
        "negotiation.err_instalment_order",
    }


def test_people_type_terms_in_many_ways() -> None:
    t = parse_terms("￥1.2万；2026年12月31日前；赔礼道歉；搬离 2027/3/1", TODAY)
    assert t.amount_fen == 1_200_000 and t.deadline == date(2026, 12, 31)
    assert [a.kind for a in t.actions] == [ActionKind.APOLOGY, ActionKind.MOVE_OUT]
    assert t.actions[1].deadline == date(2027, 3, 1)
    # Instalments may come in any order; the total is their sum when not given.
    t = parse_terms("2027-01-31 4000\n2026-12-31 8000", TODAY)
    assert t.amount_fen == 1_200_000 and [i.due.month for i in t.instalments] == [12, 1]


SIDES: list[Side | None] = [Side.APPLICANT, Side.RESPONDENT, None]


@pytest.mark.parametrize("proposer", SIDES)
@pytest.mark.parametrize("answerer", SIDES)
@pytest.mark.parametrize("response", list(Response))
@pytest.mark.parametrize("held", [False, True])
def test_answer_matrix(
    proposer: Side | None, answerer: Side | None, response: Response, held: bool
) -> None:
    offer = OfferView(OfferStatus.PROPOSED, proposer, addressees(proposer), held=held)
    result = respond(offer, answerer, response)
    if answerer is None:
        assert result is OfferRefusal.NOT_ADDRESSEE  # the mediator proposes, never answers
    elif answerer is proposer:
        assert result is OfferRefusal.OWN_OFFER
    elif held:
        assert result is OfferRefusal.HELD
    else:
        assert isinstance(result, OfferView)
        expected = {
            Response.REJECT: OfferStatus.REJECTED,
            Response.COUNTER: OfferStatus.COUNTERED,
            # A party's offer needs the other side; the mediator's, both parties.
            Response.ACCEPT: OfferStatus.ACCEPTED if proposer else OfferStatus.PROPOSED,
        }[response]
        assert result.status is expected
    closed = OfferView(OfferStatus.ACCEPTED, proposer, addressees(proposer))
    assert respond(closed, answerer, response) is OfferRefusal.NOT_OPEN


def test_mediator_proposal_accepted_by_both_and_withdrawal() -> None:
    offer = OfferView(OfferStatus.PROPOSED, None, addressees(None))
    once = respond(offer, Side.APPLICANT, Response.ACCEPT)
    assert isinstance(once, OfferView) and once.status is OfferStatus.PROPOSED
    assert respond(once, Side.APPLICANT, Response.ACCEPT) is OfferRefusal.ALREADY_ANSWERED
    twice = respond(once, Side.RESPONDENT, Response.ACCEPT)
    assert isinstance(twice, OfferView) and twice.status is OfferStatus.ACCEPTED
    assert may_withdraw(offer, None, True) and not may_withdraw(offer, Side.APPLICANT, False)
    party = OfferView(OfferStatus.PROPOSED, Side.APPLICANT, addressees(Side.APPLICANT))
    assert may_withdraw(party, Side.APPLICANT, False)
    assert not may_withdraw(party, Side.RESPONDENT, False)
