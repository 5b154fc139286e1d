"""What a volunteer lawyer reads in the browser chat names no command, bot or Telegram account.

A lawyer who logs in to the browser chat with the phone on their account is offered requests
there (``features.lawyers.dispatch``) and works the room from their panel's buttons; these are
the texts they can receive there, read as the browser renders them (``i18n.template_for``).
"""

from __future__ import annotations

import pytest

import i18n
from tests.webchat.test_web_wording import TELEGRAM_NAMED, TELEGRAM_ONLY, telegram_words

#: The offer and its answers, a consultation taken, the room's panel, leaving, the help and the
#: hint of a lawyer with no room (``features.lawyers.lawyer_side``, ``features.room.staff``).
BROWSER_LAWYER = (
    "lawyers.offer_case",
    "lawyers.offer_consultation",
    "lawyers.offer_details",
    "lawyers.offer_question",
    "lawyers.btn_accept",
    "lawyers.btn_decline",
    "lawyers.offer_taken",
    "lawyers.already_taken",
    "lawyers.already_yours",
    "lawyers.request_closed",
    "lawyers.at_capacity",
    "lawyers.declined_ok",
    "lawyers.consult_busy",
    "lawyers.accepted_case",
    "lawyers.accepted_consultation",
    "lawyers.consult_ended_by_person",
    "lawyers.joined_room",
    "lawyers.panel",
    "lawyers.choose_target_first",
    "lawyers.btn_leave",
    "lawyers.btn_leave_consult",
    "lawyers.left_room",
    "lawyers.you_left",
    "lawyers.you_left_consult",
    "lawyers.nothing_to_leave",
    "staff.help_lawyer",
    "staff.no_case_hint_lawyer",
    "staff.btn_to_all",
    "staff.btn_to",
)
TELEGRAM = TELEGRAM_NAMED


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_a_browser_lawyer_reads_no_command_and_no_telegram(language: str) -> None:
    wrong = telegram_words(language, BROWSER_LAWYER)
    assert wrong == {}, "give these keys a web rendering in i18n/web.*.toml"


def test_the_check_catches_what_telegram_says_to_a_lawyer() -> None:
    for key in ("lawyers.offer_case", "lawyers.panel", "lawyers.accepted_consultation"):
        text = i18n.template_for("telegram", "zh-CN", key)
        assert TELEGRAM_ONLY.search(text) or TELEGRAM.search(text), key


#: What the browser staff menu's 「律师面板」 and 「值班状态」 answer outside a room
#: (``features.webchat.staff_menu``, ``features.lawyers.lawyer_side.duty_reply``).
BROWSER_LAWYER_DUTY = (
    "lawyers.duty_status",
    "lawyers.state_paused",
    "lawyers.state_on_duty",
    "lawyers.state_available",
    "lawyers.state_off_hours",
    "lawyers.btn_pause",
    "lawyers.btn_resume",
    "lawyers.paused",
    "lawyers.resumed",
    "lawyers.no_profile",
    "webchat.staff_menu_lawyer",
    "webchat.staff_menu_duty",
)


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_a_browser_lawyers_duty_status_names_no_command(language: str) -> None:
    assert all(i18n.template_for("web", language, key) != key for key in BROWSER_LAWYER_DUTY)
    wrong = telegram_words(language, BROWSER_LAWYER_DUTY)
    assert wrong == {}, "give these keys a web rendering in i18n/web.*.toml"
