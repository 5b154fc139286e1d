"""The pure dispatch rules: weekly hours, the duty wave, widening, expected times, statistics."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from mediation.lawyer_dispatch import (
    Candidate,
    Slot,
    covers,
    duty_wave,
    expected_at,
    format_week,
    next_start,
    parse_week,
    response_stats,
    widen,
)
from mediation.validation import InvalidInput

TZ = ZoneInfo("Asia/Shanghai")
SAT_0300 = datetime(2026, 11, 28, 3, 0, tzinfo=TZ)  # a Saturday
FRI_1000 = datetime(2026, 11, 27, 10, 0, tzinfo=TZ)


def lawyer(
    id: int,
    *,
    specialties: tuple[str, ...] = ("labour_wages",),
    rota: str = "",
    availability: str = "",
    open_cases: int = 0,
    max_open: int = 5,
    paused: bool = False,
    reachable: bool = True,
    languages: tuple[str, ...] = ("zh-CN",),
) -> Candidate:
    return Candidate(
        id=id,
        specialties=frozenset(specialties),
        languages=frozenset(languages),
        availability=parse_week(availability),
        rota=parse_week(rota),
        open_cases=open_cases,
        max_open_cases=max_open,
        paused=paused,
        reachable=reachable,
    )


def test_parse_week_english_chinese_and_overnight() -> None:
    assert parse_week("mon-fri 09:00-18:00; sat 9:00-12:00") == tuple(
        [Slot(d, 540, 1080) for d in range(5)] + [Slot(5, 540, 720)]
    )
    assert parse_week("周一至周五 09:00-18:00，周六 9:00-12:00") == parse_week(
        "mon-fri 09:00-18:00; sat 09:00-12:00"
    )
    assert parse_week("每天 08:00-20:00") == parse_week("daily 08:00-20:00")
    # Friday night to Saturday morning; and a range across the week's end.
    assert parse_week("fri 22:00-02:00") == (Slot(4, 1320, 1440), Slot(5, 0, 120))
    assert parse_week("sat-mon 10:00-11:00") == (
        Slot(0, 600, 660),
        Slot(5, 600, 660),
        Slot(6, 600, 660),
    )
    assert parse_week("sun 00:00-24:00") == (Slot(6, 0, 1440),)
    assert parse_week("  ") == ()
    text = "mon-fri 09:00-18:00; sat 09:00-12:00"
    assert parse_week(format_week(parse_week(text))) == parse_week(text)


@pytest.mark.parametrize(
    "bad",
    [
        "monday",
        "mon 9-18",
        "mon 09:00-09:00",
        "xyz 09:00-10:00",
        "mon 25:00-26:00",
        "周八 9:00-10:00",
    ],
)
def test_parse_week_names_the_bad_entry(bad: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_week(f"tue 09:00-10:00; {bad}")
    assert info.value.key == "lawyers.bad_week"
    assert info.value.params["entry"] == bad


def test_covers_and_next_start() -> None:
    week = parse_week("mon-fri 09:00-18:00; sat 09:00-12:00")
    assert covers(week, FRI_1000) and not covers(week, SAT_0300)
    assert next_start(week, SAT_0300) == datetime(2026, 11, 28, 9, 0, tzinfo=TZ)
    assert next_start(week, FRI_1000) == FRI_1000
    sat_noon = datetime(2026, 11, 28, 12, 0, tzinfo=TZ)  # the slot has just ended
    assert next_start(week, sat_noon) == datetime(2026, 11, 30, 9, 0, tzinfo=TZ)
    only_friday = parse_week("fri 09:00-10:00")
    assert next_start(only_friday, FRI_1000) == datetime(2026, 12, 4, 9, 0, tzinfo=TZ)
    assert next_start((), FRI_1000) is None


def test_duty_wave_is_specialists_on_duty_fewest_open_cases_first() -> None:
    rota = "mon-fri 09:00-18:00"
    people = [
        lawyer(1, rota=rota, open_cases=3),
        lawyer(2, rota=rota, open_cases=1),
        lawyer(3, rota=rota, open_cases=1, languages=("zh-CN", "en")),
        lawyer(4, rota=rota, open_cases=0, specialties=("marriage_family",)),
        lawyer(5, rota=rota, open_cases=0, paused=True),
        lawyer(6, rota=rota, open_cases=5, max_open=5),  # full
        lawyer(7, rota=rota, open_cases=0, reachable=False),  # no Telegram
        lawyer(8, availability=rota, open_cases=0),  # reachable but not on duty
        lawyer(9, rota=rota, open_cases=2),
    ]
    assert duty_wave(people, "labour_wages", FRI_1000) == (2, 3, 9)
    # The party's language breaks ties between equally loaded lawyers.
    assert duty_wave(people, "labour_wages", FRI_1000, language="en") == (3, 2, 9)
    assert duty_wave(people, "labour_wages", SAT_0300) == ()


def test_widen_offers_everyone_available_and_says_when_to_look_again() -> None:
    people = [
        lawyer(1, rota="sat 09:00-12:00"),
        lawyer(2, availability="sat-sun 10:00-17:00", specialties=("neighbour",)),
        lawyer(3, availability="daily 00:00-24:00", paused=True),
        lawyer(4, availability="daily 00:00-24:00", open_cases=2),
    ]
    plan = widen(people, SAT_0300, frozenset())
    assert plan.offer_to == (4,)
    assert plan.recheck_at == datetime(2026, 11, 28, 9, 0, tzinfo=TZ)
    at_nine = datetime(2026, 11, 28, 9, 0, tzinfo=TZ)
    plan = widen(people, at_nine, frozenset({4}))
    assert plan.offer_to == (1,)
    assert plan.recheck_at == datetime(2026, 11, 28, 10, 0, tzinfo=TZ)
    plan = widen(people, datetime(2026, 11, 28, 10, 30, tzinfo=TZ), frozenset({1, 4}))
    assert plan.offer_to == (2,) and plan.recheck_at is None


def test_expected_at() -> None:
    people = [lawyer(1, rota="sat 09:00-12:00"), lawyer(2, availability="mon 08:00-09:00")]
    assert expected_at(people, SAT_0300) == datetime(2026, 11, 28, 9, 0, tzinfo=TZ)
    assert expected_at([lawyer(1, rota="sat 03:00-04:00")], SAT_0300) == SAT_0300
    assert expected_at([lawyer(1, rota="sat 09:00-12:00", paused=True)], SAT_0300) is None
    assert expected_at([], SAT_0300) is None


def test_response_stats() -> None:
    stats = response_stats([60, 120, 30, 600, 90])
    assert (stats.count, stats.median, stats.p90) == (5, 90, 600)
    assert stats.mean == 180
    assert response_stats([10, 20]).median == 15
    assert response_stats([]).median is None
