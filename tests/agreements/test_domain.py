"""mediation.agreement: drafting completeness, who signs, and the 司法确认 rules."""

from __future__ import annotations

from datetime import date

import pytest

from mediation.agreement import (
    AgreementTerms,
    CourtBasis,
    CourtChoice,
    Section,
    allowed_bases,
    check_court,
    confirmation_deadline,
    default_court,
    details_from_id,
    iso_date_or_text,
    joint_court,
    minimum_copies,
    next_version,
    parse_deadline,
    reminder_days,
)
from mediation.validation import InvalidInput

TODAY = date(2026, 11, 27)


def test_a_draft_is_complete_only_with_every_section_of_article_29() -> None:
    terms = AgreementTerms()
    assert terms.missing(2) == tuple(Section)
    terms = terms.with_text(Section.FACTS, "2025年借款三万元未还清。", today=TODAY)
    terms = terms.with_text(Section.DISPUTES, "剩余借款的归还", today=TODAY)
    terms = terms.with_text(Section.RESPONSIBILITIES, "乙方应当还款", today=TODAY)
    terms = terms.add_term("乙方于2026年12月31日前归还二万五千元。")
    terms = terms.with_text(Section.METHOD, "银行转账", today=TODAY)
    terms = terms.with_text(Section.PLACE, "甲方住所地", today=TODAY)
    terms = terms.with_text(Section.DEADLINE, "2026年12月31日前", today=TODAY)
    assert terms.deadline == "2026-12-31"
    assert terms.missing(2) == (Section.COPIES,)
    assert terms.with_copies(3, 2).missing(2) == ()
    assert AgreementTerms.from_json(terms.to_json()) == terms
    assert terms.add_term("双方再无争议。").drop_last_term() == terms


def test_copies_one_per_party_plus_the_committee() -> None:
    assert minimum_copies(2) == 3 and minimum_copies(5) == 6
    with pytest.raises(InvalidInput):
        AgreementTerms().with_copies(2, 2)
    with pytest.raises(InvalidInput):
        AgreementTerms().with_copies("三", 2)


@pytest.mark.parametrize("typed", ["2027-04-30", "2027/4/30", "2027.04.30", "2027年4月30日前"])
def test_deadlines_as_people_type_them(typed: str) -> None:
    assert parse_deadline(typed, TODAY) == date(2027, 4, 30)


@pytest.mark.parametrize("typed", ["2026-11-26", "明年", "2027-02-30"])
def test_bad_deadlines_are_refused(typed: str) -> None:
    with pytest.raises(InvalidInput):
        parse_deadline(typed, TODAY)


def test_clause_blanks_keep_text_that_is_not_a_date() -> None:
    assert iso_date_or_text("2026年12月5日") == "2026-12-05"
    assert iso_date_or_text("每月月底") == "每月月底"


def test_versions_are_numbered_without_reuse() -> None:
    assert next_version([]) == 1
    assert next_version([1, 2, 3]) == 4


def test_thirty_days_from_the_day_after_taking_effect() -> None:
    assert confirmation_deadline(date(2026, 11, 27)) == date(2026, 12, 27)
    assert reminder_days(date(2026, 11, 27), date(2026, 11, 27)) == (
        (7, date(2026, 12, 20)),
        (2, date(2026, 12, 25)),
    )
    assert reminder_days(date(2026, 11, 27), date(2026, 12, 22)) == ((2, date(2026, 12, 25)),)


def test_courts_of_article_205() -> None:
    assert default_court("示范区人民法院") == CourtChoice("示范区人民法院", CourtBasis.ORGANISATION)
    assert allowed_bases(referred_by_court=True) == (CourtBasis.INVITING_COURT,)
    with pytest.raises(InvalidInput):
        check_court(CourtChoice("甲区人民法院", CourtBasis.PARTY_DOMICILE), referred_by_court=True)
    with pytest.raises(InvalidInput):
        check_court(CourtChoice("居委会", CourtBasis.PARTY_DOMICILE), referred_by_court=False)
    chosen = check_court(
        CourtChoice(" 甲区人民法院 ", CourtBasis.PARTY_DOMICILE), referred_by_court=False
    )
    assert chosen.court == "甲区人民法院"
    a, b = CourtChoice("甲区人民法院", CourtBasis.PARTY_DOMICILE), default_court("示范区人民法院")
    assert joint_court({"m1": b, "m2": b}, ["m1", "m2"]) == b
    assert joint_court({"m1": a, "m2": b}, ["m1", "m2"]) is None
    assert joint_court({"m1": b, "m2": None}, ["m1", "m2"]) is None


def test_gender_and_age_from_an_id_number() -> None:
    details = details_from_id("11010519491231002X", TODAY)
    assert details is not None and details.gender == "女" and details.age == 76
    assert details_from_id(None, TODAY) is None
    assert details_from_id("110105194913310021", TODAY) is None


def test_what_to_say_about_judicial_confirmation() -> None:
    """Issue 18, item 7: the stage comes from the offer's real status and last day."""
    from mediation.agreement import ConfirmationStage as S
    from mediation.agreement import confirmation_stage

    last = date(2026, 12, 27)
    assert confirmation_stage("offered", last, date(2026, 12, 27)) is S.OPEN
    assert confirmation_stage("offered", last, date(2026, 12, 28)) is S.CLOSED  # timer not run
    assert confirmation_stage("expired", last, date(2026, 12, 28)) is S.CLOSED
    assert confirmation_stage("not_confirmable", last, date(2026, 12, 1)) is S.CLOSED
    assert confirmation_stage("applied", last, date(2026, 12, 1)) is S.APPLIED
    assert confirmation_stage("submitted", last, date(2027, 3, 1)) is S.APPLIED
    assert confirmation_stage("entrusted", last, date(2026, 12, 1)) is S.COURT
    assert confirmation_stage(None, None, date(2026, 12, 1)) is S.NONE
