"""The browser chat's wording (issue 19): one message key, a Telegram and a web rendering.

A person in the browser has no ``/`` to type, no bot to open and other buttons than Telegram's;
``i18n.translate_for("web", …)`` gives her the key's web rendering (``i18n/web.*.toml``) where
it has one. These tests read every text a party can receive as the browser renders it.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence

import pytest

import i18n
from mediation.replies import Msg, Reply, button
from services.inbound import Command, command_action, command_of_action
from services.outbox import render

#: What only makes sense in Telegram: a slash command ("/help", "发送 /case 1"), the bot,
#: Telegram's phone button. A path inside a word ("照片/文件", "street/town") is not one.
TELEGRAM_ONLY = re.compile(
    r"(?<![\w/:.])/[a-z]{2,}|打开本机器人|本机器人|发送 /|分享我的手机号"
    r"|\bthis bot\b|\bthe bot\b|Share my phone",
    re.IGNORECASE,
)
#: Texts that go only to staff in Telegram and the console (mediators, lawyers, admins, grid
#: workers); the browser chat's staff (features.webchat.staff_menu) read :data:`BROWSER_STAFF`.
STAFF_ONLY_PREFIXES = (
    "staff.",
    "staff_help.",
    "staff_menu.",
    "staff_case.",
    "staff_alert.",
    "console.",
    "street.console.",
)
#: What a staff member logged in to the browser chat with their account's phone can receive
#: there (issue 24): registering for someone and the posts' tasks (every ``street.`` chat text),
#: the help of their role and the hint when they type with no case.
BROWSER_STAFF = (
    "staff.help_staff",
    "staff.help_lawyer",
    "staff.help_viewer",
    "staff.no_case_hint",
    "staff.no_case_hint_lawyer",
    "staff.no_case_hint_viewer",
    #: A new case for their unit, its 接手 button and what pressing it answers (the room's
    #: panel follows), and the alert batch: held new cases, deadlines, unanswered messages
    #: (features.intake.flow, services.staff_alerts).
    "staff.new_case",
    "staff.btn_take",
    "staff.taken",
    "staff.cannot_take",
    "staff.panel",
    "staff.panel_member",
    "staff_alert.digest",
    "staff_alert.case",
    "staff_alert.new",
    "staff_alert.away",
    "staff_alert.btn_open",
    "staff_alert.btn_card",
    #: A case's held notices sent at once when its risk rose (services.staff_alerts.release).
    "staff_alert.released",
    "staff_alert.level_major",
    "staff_alert.level_critical",
)
STAFF_ONLY_KEYS = {
    "agreements.draft_intro",
    "agreements.referral_usage",
    "agreements.record_objected",
    "lawyers.offer_case",
    "lawyers.offer_consultation",
    "lawyers.consult_busy",
    "lawyers.accepted_consultation",
    "lawyers.panel",
    "lawyers.choose_target_first",
    "lawyers.review_usage",
    "lawyers.review_only_lawyers",
    "lawyers.duty_only_lawyers",
    "lawyers.duty_usage",
    #: The mediator's prompt for a reply to a party after the agreement (features.room.aftercare).
    "aftercare.ask_reply",
    #: A link for the people she forwards an invitation to who do use Telegram.
    "webchat.join_telegram",
}


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def _party_keys(language: str) -> list[str]:
    return [
        key
        for key in i18n.catalog(language)
        if key in BROWSER_STAFF
        or (
            not key.startswith((*STAFF_ONLY_PREFIXES, "web."))
            and key not in STAFF_ONLY_KEYS
            and not key.startswith("webchat.poster.")
        )
    ]


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_no_text_in_the_browser_names_a_command_or_the_bot(language: str) -> None:
    wrong = {}
    for key in _party_keys(language):
        text = i18n.template_for("web", language, key)
        found = TELEGRAM_ONLY.findall(text)
        if found:
            wrong[key] = found
    assert wrong == {}, "give these keys a web rendering in i18n/web.*.toml"


def test_the_check_catches_what_telegram_says() -> None:
    """Without the web renderings the same texts fail: the check above can fail."""
    keys = ("bot.help", "bot.idle_text", "invite.link", "intake.ask_phone")
    browser_staff = ("staff.no_case_hint", "street.report_intro", "street.invite_code_only")
    for key in (*keys, *browser_staff):
        assert TELEGRAM_ONLY.search(i18n.template_for("telegram", "zh-CN", key)), key
        assert not TELEGRAM_ONLY.search(i18n.template_for("web", "zh-CN", key)), key


def test_each_web_rendering_is_of_a_key_with_its_placeholders() -> None:
    """A web rendering renders an existing key and uses only placeholders the key is given."""
    for language in i18n.LANGUAGES:
        table = i18n.catalog(language)
        for key, text in table.items():
            if not key.startswith("web."):
                continue
            base = key.removeprefix("web.")
            assert base in table, key
            assert _fields(text) <= _fields(table[base]), key


def test_telegram_keeps_its_wording_and_nested_messages_follow_the_channel() -> None:
    assert i18n.translate_for("telegram", "zh-CN", "bot.help") == i18n.translate(
        "zh-CN", "bot.help"
    )
    assert "/help" in i18n.translate_for("telegram", "zh-CN", "bot.idle_text")
    nested = Msg("common.lines", {"lines": [Msg("bot.no_cases")]})
    assert "/start" in i18n.translate("zh-CN", nested)
    assert "「登记纠纷」" in i18n.translate_for("web", "zh-CN", nested)


def test_a_reply_renders_for_its_readers_channel() -> None:
    reply = Reply(
        Msg("intake.ask_phone"),
        buttons=((button("bot.btn_cases", command_action("cases")),),),
        ask_contact=True,
    )
    web, telegram = render(reply, "zh-CN", "web"), render(reply, "zh-CN", "telegram")
    assert "「用登录手机号」" in web.text and web.contact_button == "📱 用登录手机号"
    assert "分享我的手机号" in telegram.text and telegram.contact_button == "📱 分享我的手机号"
    assert web.buttons[0][0].action == telegram.buttons[0][0].action == "cmd:cases"


def test_a_command_button_is_the_command() -> None:
    assert command_of_action(command_action("case", "2")) == Command("case", ("2",))
    assert command_of_action("cmd:help") == Command("help")
    assert command_of_action("cmd:") is None
    assert command_of_action("cmd:../x") is None
    assert command_of_action("j:accept:3") is None


#: What a mediator reads in a room, now that the room reaches a mediator who uses only the
#: browser (``services.delivery.member_addresses``): the panel and its answers, the agreement's
#: drafting and the parties' objections, aftercare replies, and the risk alerts of the room and
#: of the console's sweep.
MEDIATOR_ROOM_PREFIXES = ("staff.", "room.", "agreements.", "aftercare.", "console.alert.")
#: Never read in a browser: the answers to typing a command with missing words (only someone who
#: typed the command gets its usage) and the Telegram account's linking (``/link``, ``/unlink``).
MEDIATOR_TYPED_OR_TELEGRAM = {
    "agreements.referral_usage",
    "staff.note_usage",
    "staff.link_usage",
    "staff.link_telegram_only",
    "staff.linked",
    "staff.linked_lawyer",
    "staff.linked_viewer",
    "staff.unlinked",
}
TELEGRAM_NAMED = re.compile(r"Telegram|机器人|\bbot\b", re.IGNORECASE)


def _mediator_room_keys(language: str) -> list[str]:
    return [
        key
        for key in i18n.catalog(language)
        if key.startswith(MEDIATOR_ROOM_PREFIXES) and key not in MEDIATOR_TYPED_OR_TELEGRAM
    ]


def telegram_words(language: str, keys: Sequence[str]) -> dict[str, list[str]]:
    """The keys whose browser rendering names a slash command, the bot or Telegram, with what."""
    wrong = {}
    for key in keys:
        text = i18n.template_for("web", language, key)
        found = TELEGRAM_ONLY.findall(text) + TELEGRAM_NAMED.findall(text)
        if found:
            wrong[key] = found
    return wrong


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_a_browser_mediator_reads_no_command_and_no_telegram_in_a_room(language: str) -> None:
    wrong = telegram_words(language, _mediator_room_keys(language))
    assert wrong == {}, "give these keys a web rendering in i18n/web.*.toml"


def test_the_check_catches_what_telegram_says_to_a_mediator_in_a_room() -> None:
    keys = (
        "staff.sent_to",
        "agreements.draft_intro",
        "agreements.record_objected",
        "aftercare.ask_reply",
    )
    for key in keys:
        assert key in _mediator_room_keys("zh-CN"), key
        assert TELEGRAM_ONLY.search(i18n.template_for("telegram", "zh-CN", key)), key
    assert "「取消当前填写」" in i18n.template_for("web", "zh-CN", "aftercare.ask_reply")
