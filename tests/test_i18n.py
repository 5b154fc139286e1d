import re
import string

import i18n
from mediation.replies import Msg


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def test_catalogs_have_the_same_keys_and_placeholders() -> None:
    zh, en = i18n.catalog("zh-CN"), i18n.catalog("en")
    assert set(zh) == set(en)
    for key in zh:
        assert _fields(zh[key]) == _fields(en[key]), key


FILE_SUFFIXES = {"html", "css", "js", "png", "svg", "toml", "txt", "json", "py"}


def test_every_key_used_in_code_exists() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    used: set[str] = set()
    pattern = re.compile(
        r"""["']((?:bot|intake|error|common|role|status|dispute|route|room|invite|staff|hints)\.[a-z_]+)["']"""
    )
    for package in ("mediation", "services", "features", "bot", "web"):
        for path in (root / package).rglob("*.py"):
            found = pattern.findall(path.read_text(encoding="utf-8"))
            used |= {k for k in found if k.rsplit(".", 1)[1] not in FILE_SUFFIXES}
    missing = sorted(k for k in used if k not in i18n.catalog("zh-CN"))
    assert missing == []


def test_translation_is_recursive_and_falls_back() -> None:
    msg = Msg(
        "bot.case_line",
        {
            "ref": 1,
            "number": "N",
            "type": Msg("dispute.neighbour"),
            "status": Msg("status.submitted"),
            "date": "2026-11-27",
        },
    )
    assert "邻里纠纷" in i18n.translate("zh-CN", msg)
    assert "Neighbours" in i18n.translate("en", msg)
    assert i18n.translate("en", "no.such.key") == "no.such.key"
    # User text containing braces is never interpreted as a placeholder.
    assert i18n.translate("zh-CN", Msg("common.raw", {"text": "{bot.help}"})) == "{bot.help}"


def test_language_codes() -> None:
    assert i18n.normalise_language("zh-hans") == "zh-CN"
    assert i18n.normalise_language("en-GB") == "en"
    assert i18n.normalise_language(None) == "zh-CN"


def test_texts_every_channel_reads_do_not_name_telegram() -> None:
    """A browser-chat party reads the consent, the invitation and the room's welcome too: no
    "Telegram 名字/账号" there (neutral wording fits both channels)."""
    for language in i18n.LANGUAGES:
        table = i18n.catalog(language)
        for key in ("intake.consent", "invite.summary", "room.welcome"):
            assert "Telegram" not in table[key], (language, key)
