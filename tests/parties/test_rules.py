"""mediation.parties: every party bound only by themselves or someone with authority to bind
them (人民调解法 第二十九条; 民法典 第二十三条, 第一百六十五条, 第一百七十一条), and the
统一社会信用代码 check (GB 32100-2015)."""

from __future__ import annotations

from datetime import date

import pytest

from mediation.parties import (
    Acting,
    Agent,
    AgentKind,
    Authority,
    Capacity,
    PartyFacts,
    PartyKind,
    Problem,
    parse_signer_id,
    party_signer_id,
    plan_signing,
)
from mediation.validation import (
    InvalidInput,
    credit_code_check,
    parse_age,
    parse_gender,
    validate_credit_code,
)

TODAY = date(2026, 12, 6)


def person(
    pid: int, side: str = "applicant", member: int | None = None, **kw: object
) -> PartyFacts:
    return PartyFacts(pid, side, f"当事人{pid}", member_id=member, **kw)  # type: ignore[arg-type]


def entrusted(member: int | None, authority: Authority | None, checked: bool) -> Agent:
    return Agent(AgentKind.ENTRUSTED, "张三", member, authority, checked)


def test_every_party_signs_in_person_and_nobody_signs_for_a_side() -> None:
    plan = plan_signing(
        [person(1, member=10), person(2, member=11), person(3, "respondent", 12)], TODAY
    )
    assert plan.ready
    assert plan.signer_ids == ("p1m10", "p2m11", "p3m12")
    assert {s.acting for s in plan.seats} == {Acting.SELF}


def test_a_party_outside_the_room_stops_the_draft() -> None:
    plan = plan_signing([person(1, member=10), person(2), person(3, "respondent", 12)], TODAY)
    assert not plan.ready
    assert plan.problems == ((2, Problem.NOT_PRESENT),)


@pytest.mark.parametrize(
    ("agent", "problem"),
    [
        (entrusted(10, Authority.GENERAL, True), Problem.AGENT_NO_AUTHORITY),
        (entrusted(10, Authority.SPECIAL, False), Problem.AGENT_NO_AUTHORITY),  # not checked
        (entrusted(10, None, False), Problem.AGENT_NO_AUTHORITY),
        (entrusted(None, Authority.SPECIAL, True), Problem.AGENT_NOT_PRESENT),
    ],
)
def test_an_agent_signs_only_with_a_checked_special_authority(
    agent: Agent, problem: Problem
) -> None:
    plan = plan_signing(
        [person(1, member=10), person(2, agents=(agent,)), person(3, "respondent", 12)], TODAY
    )
    assert plan.problems == ((2, problem),)


def test_an_agent_with_special_authority_signs_for_the_absent_party() -> None:
    agent = entrusted(10, Authority.SPECIAL, True)
    plan = plan_signing(
        [person(1, member=10), person(2, agents=(agent,)), person(3, "respondent", 12)], TODAY
    )
    assert plan.ready
    seat = plan.seat_of(2)
    assert seat is not None and seat.member_id == 10 and seat.acting is Acting.ENTRUSTED
    assert seat.signer_id == "p2m10" and seat.agent_name == "张三"
    # The party in the room signs in person even when an agent was appointed.
    both = plan_signing([person(2, member=13, agents=(agent,)), person(3, "respondent", 12)], TODAY)
    assert both.seat_of(2) is not None and both.seat_of(2).acting is Acting.SELF  # type: ignore[union-attr]


def test_an_absent_party_is_recorded_not_bound_and_a_side_cannot_be_all_absent() -> None:
    plan = plan_signing(
        [person(1, member=10), person(2, absent_reason="已另行起诉"), person(3, "respondent", 12)],
        TODAY,
    )
    assert plan.ready and plan.absent == ((2, "已另行起诉"),) and plan.seat_of(2) is None
    gone = plan_signing(
        [person(1, member=10), person(3, "respondent", absent_reason="下落不明")], TODAY
    )
    assert (3, Problem.SIDE_ABSENT) in gone.problems and not gone.ready


@pytest.mark.parametrize(
    ("born", "minor"),
    [(date(2008, 12, 7), True), (date(2008, 12, 6), False), (date(2015, 1, 1), True)],
)
def test_a_minor_by_birth_date_needs_a_guardian_even_in_the_room(born: date, minor: bool) -> None:
    plan = plan_signing([person(1, member=10, birth_date=born), person(3, "respondent", 12)], TODAY)
    assert (not plan.ready) is minor
    if minor:
        assert plan.problems == ((1, Problem.NEEDS_GUARDIAN),)


def test_stated_age_or_capacity_need_a_guardian_who_then_signs() -> None:
    for kw in ({"stated_age": 16}, {"capacity": Capacity.LIMITED}, {"capacity": Capacity.NONE}):
        plan = plan_signing([person(1, member=10, **kw), person(3, "respondent", 12)], TODAY)
        assert plan.problems == ((1, Problem.NEEDS_GUARDIAN),)
    guardian = Agent(AgentKind.LEGAL, "王母", 10, Authority.GUARDIAN, True)
    plan = plan_signing(
        [person(1, member=10, stated_age=16, agents=(guardian,)), person(3, "respondent", 12)],
        TODAY,
    )
    seat = plan.seat_of(1)
    assert (
        plan.ready
        and seat is not None
        and seat.acting is Acting.LEGAL
        and seat.agent_name == "王母"
    )
    away = Agent(AgentKind.LEGAL, "王母", None, Authority.GUARDIAN, True)
    plan = plan_signing(
        [person(1, member=10, stated_age=16, agents=(away,)), person(3, "respondent", 12)], TODAY
    )
    assert plan.problems == ((1, Problem.AGENT_NOT_PRESENT),)


def org(**kw: object) -> PartyFacts:
    base: dict[str, object] = {
        "kind": PartyKind.ORGANISATION,
        "member_id": 12,
        "credit_code": "91350100M000100Y43",
        "legal_rep": "赵总",
        "has_seal": True,
        "agents": (Agent(AgentKind.SIGNATORY, "赵总", 12, Authority.LEGAL_REP, True),),
    }
    base.update(kw)
    return PartyFacts(3, "respondent", "某某公司", **base)  # type: ignore[arg-type]


def test_an_organisation_signs_through_an_authorised_person_with_its_seal() -> None:
    plan = plan_signing([person(1, member=10), org()], TODAY)
    seat = plan.seat_of(3)
    assert plan.ready and seat is not None and seat.acting is Acting.SIGNATORY
    staff = Agent(AgentKind.SIGNATORY, "钱经理", 12, Authority.SPECIAL, True)
    assert plan_signing([person(1, member=10), org(agents=(staff,))], TODAY).ready
    for kw, problem in (
        ({"credit_code": ""}, Problem.ORG_DETAILS),
        ({"legal_rep": ""}, Problem.ORG_DETAILS),
        ({"agents": ()}, Problem.ORG_SIGNATORY),
        (
            {"agents": (Agent(AgentKind.SIGNATORY, "钱经理", 12, Authority.GENERAL, True),)},
            Problem.ORG_SIGNATORY,
        ),
        (
            {"agents": (Agent(AgentKind.ENTRUSTED, "钱经理", 12, Authority.LEGAL_REP, True),)},
            Problem.ORG_SIGNATORY,
        ),
        ({"has_seal": False}, Problem.ORG_SEAL),
    ):
        assert plan_signing([person(1, member=10), org(**kw)], TODAY).problems == ((3, problem),)
    # An organisation is never treated as a minor, whatever its "age".
    assert plan_signing([person(1, member=10), org(stated_age=3)], TODAY).ready


def test_signer_ids_name_the_party_and_the_member() -> None:
    assert party_signer_id(12, 34) == "p12m34"
    assert parse_signer_id("p12m34") == (12, 34)
    assert parse_signer_id("m34") == (None, 34)  # versions made before
    assert parse_signer_id("s3") == (None, None)
    assert parse_signer_id("pxm3") == (None, None)


def test_unified_social_credit_code_checksum() -> None:
    assert validate_credit_code("91350100M000100Y43") == "91350100M000100Y43"
    assert validate_credit_code(" 9135 0100 m000 100y43 ") == "91350100M000100Y43"
    assert validate_credit_code("９１３５０１００Ｍ０００１００Ｙ４３") == "91350100M000100Y43"
    with pytest.raises(InvalidInput) as bad:
        validate_credit_code("91350100M000100Y44")
    assert bad.value.key == "error.bad_credit_code_checksum"
    for wrong in ("91350100M000100Y4", "91350100I000100Y43", "91350100M000100Y431", ""):
        with pytest.raises(InvalidInput) as bad:
            validate_credit_code(wrong)
        assert bad.value.key == "error.bad_credit_code_format"
    # Every check value 0–30 is reachable and maps back (31 − 0 wraps to 0).
    assert credit_code_check("00000000000000000") == "0"


def test_a_stated_age_as_people_type_it() -> None:
    assert parse_age("16") == 16 and parse_age(" 16岁 ") == 16 and parse_age("１７周岁") == 17
    for wrong in ("十六", "-1", "131", "", "16.5"):
        with pytest.raises(InvalidInput) as bad:
            parse_age(wrong)
        assert bad.value.key == "error.bad_age"


def test_sex_as_people_type_it() -> None:
    for typed, sex in (("男", "男"), ("女性", "女"), ("M", "男"), ("female", "女"), (" 男 ", "男")):
        assert parse_gender(typed) == sex
    with pytest.raises(InvalidInput) as bad:
        parse_gender("未知")
    assert bad.value.key == "error.bad_gender"
