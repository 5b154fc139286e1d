"""Message catalogs (zh-CN default, en) and the translator.

User-facing text never lives in handlers: the domain names a message by key
(:class:`mediation.replies.Msg`) and adapters call :func:`translate` in the reader's language.
"""

from __future__ import annotations

import logging
import os
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from mediation.replies import Msg

log = logging.getLogger(__name__)

LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"
_DIR = Path(__file__).parent
#: Each feature package keeps its own catalogue, ``features/<name>/messages.<language>.toml``,
#: merged under ``<name>.``: found by place, so the catalogue needs no import of the feature.
_FEATURES = _DIR.parent / "features"
#: ``I18N_STRICT=1`` (the test suite sets it): a message whose placeholders cannot be filled
#: raises instead of reaching a user as ``{name}``; in production it is logged and sent as is.
STRICT = os.environ.get("I18N_STRICT") == "1"
#: Channels with their own renderings of some keys (:func:`translate_for`): the browser chat
#: has no slash commands, no "bot" to open and other buttons than Telegram.
CHANNELS = ("web",)


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in table.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, full + "."))
        else:
            out[full] = str(value)
    return out


@cache
def catalog(language: str) -> dict[str, str]:
    """The catalog, plus each ``<part>.<language>.toml`` merged under ``<part>.`` and each
    feature's ``messages.<language>.toml`` under ``<feature>.``."""
    with (_DIR / f"{language}.toml").open("rb") as fh:
        out = _flatten(tomllib.load(fh))
    for extra in sorted(_DIR.glob(f"*.{language}.toml")):
        with extra.open("rb") as fh:
            out.update(_flatten(tomllib.load(fh), extra.name.removesuffix(f"{language}.toml")))
    for part in sorted(_FEATURES.glob(f"*/messages.{language}.toml")):
        with part.open("rb") as fh:
            out.update(_flatten(tomllib.load(fh), f"{part.parent.name}."))
    return out


def normalise_language(code: str | None) -> str:
    """Map Telegram's ``language_code`` (``zh-hans``, ``en-GB``…) to a catalog language."""
    if code and code.lower().startswith("en"):
        return "en"
    return DEFAULT_LANGUAGE


def translate(language: str, msg: Msg | str, **params: object) -> str:
    """Render a message; ``Msg`` parameters are translated recursively.

    A missing key falls back to the default language and then to the key itself, so a gap in
    a catalog degrades to something readable instead of an exception in front of a user; a
    missing parameter is logged (raised under :data:`STRICT`).
    """
    return translate_for(None, language, msg, **params)


def translate_for(channel: str | None, language: str, msg: Msg | str, **params: object) -> str:
    """:func:`translate` for a reader on ``channel``: its rendering of a key when it has one.

    One message key, one rendering per channel: the text is written for Telegram (slash
    commands, "打开本机器人", Telegram's buttons); a channel listed in :data:`CHANNELS` may give
    the same key its own wording in ``i18n/<channel>.<language>.toml``, read as
    ``<channel>.<key>`` (``web.bot.help``). A key without one is the same on every channel.
    Nested ``Msg`` parameters follow the same rule.
    """
    if isinstance(msg, str):
        msg = Msg(msg, params)
    template = template_for(channel, language, msg.key)
    values = {k: _value(language, v, channel) for k, v in msg.params.items()}
    try:
        return template.format_map(values)
    except (KeyError, IndexError, ValueError) as exc:
        if STRICT:
            raise ValueError(f"message {msg.key!r} cannot be filled: {exc!r}") from exc
        log.error("message %r cannot be filled (%r): sent unfilled", msg.key, exc)
        return template


def template_for(channel: str | None, language: str, key: str) -> str:
    """The unfilled text of ``key`` on ``channel`` (its own rendering, else the shared one)."""
    if channel in CHANNELS:
        own = f"{channel}.{key}"
        found = catalog(language).get(own)
        if found is not None:
            return found
    return catalog(language).get(key) or catalog(DEFAULT_LANGUAGE).get(key, key)


def _value(language: str, value: object, channel: str | None = None) -> object:
    if isinstance(value, Msg):
        return translate_for(channel, language, value)
    if isinstance(value, list | tuple) and value and all(isinstance(v, Msg) for v in value):
        return "\n".join(translate_for(channel, language, v) for v in value)
    return value
