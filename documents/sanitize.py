"""Clean user-supplied text before it reaches a template.

Autoescaping (Jinja) keeps markup out; this module handles what escaping does not:

* control and format characters (NUL, bidi overrides such as U+202E, zero-width joiners) that
  are invisible in a PDF yet change how a sentence reads, or that XML cannot carry;
* characters known to stall layout: WeasyPrint spent ~55 s laying out a U+2011 non-breaking
  hyphen with a font lacking it (upstream issue #2811), so such hyphens become ``-``;
* characters outside the Basic Multilingual Plane that are symbols (emoji from phone
  keyboards): Noto CJK has no glyph for them, and a fallback colour-emoji font would add a face
  and hundreds of KB to every PDF. They become ``〓`` (U+3013, the typesetter's mark for a
  missing glyph) so the record still shows that something was there;
* absurd lengths: a 10 MB "statement" would make a 5,000-page PDF and block a worker.

Keys ending in ``_uri`` are dropped from user contexts: ``<img src>`` values are produced only
by :mod:`documents.images`, never passed through from a request.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from documents.errors import InputTooLargeError

__all__ = ["MAX_ITEMS", "MAX_TEXT", "clean_context", "clean_text"]

#: Longest single text value, in characters (a long statement is ~3,000 characters).
MAX_TEXT = 20_000
#: Most items in one list (terms, statements, instalments, parties).
MAX_ITEMS = 200
#: Deepest nesting accepted; contexts are at most 4 levels deep.
MAX_DEPTH = 8

_REPLACEMENTS = {
    "\u2011": "-",  # non-breaking hyphen: stalled layout in WeasyPrint #2811
    "\u2010": "-",  # hyphen: same family, keep one spelling
    "\u00a0": " ",  # no-break space: prevents wrapping of long runs
    "\t": " ",
    "\r\n": "\n",
    "\r": "\n",
    "\u2028": "\n",
    "\u2029": "\n",
}
_MISSING_GLYPH = "\u3013"


def _clean_char(char: str) -> str:
    if char == "\n":
        return char
    category = unicodedata.category(char)
    if category in ("Cc", "Cf", "Cs", "Co", "Cn"):
        return ""
    if ord(char) > 0xFFFF and category.startswith("S"):
        return _MISSING_GLYPH
    return char


def clean_text(value: str, *, limit: int = MAX_TEXT) -> str:
    """Return ``value`` normalised (NFC), stripped of invisible controls and capped.

    Raises :class:`InputTooLargeError` rather than truncating silently when the text is longer
    than ``limit``: cutting a party's statement short without telling anyone would falsify it.
    """
    if len(value) > limit * 4:
        # Refuse before doing any per-character work on a huge string.
        raise InputTooLargeError(f"text of {len(value)} characters exceeds {limit}")
    for old, new in _REPLACEMENTS.items():
        value = value.replace(old, new)
    value = unicodedata.normalize("NFC", value)
    cleaned = "".join(_clean_char(char) for char in value)
    # Collapse runs of blank lines, which only push content onto extra pages.
    while "\n\n\n" in cleaned:
        cleaned = cleaned.replace("\n\n\n", "\n\n")
    cleaned = cleaned.strip()
    if len(cleaned) > limit:
        raise InputTooLargeError(f"text of {len(cleaned)} characters exceeds {limit}")
    return cleaned


def clean_context(context: Mapping[str, Any], *, _depth: int = 0) -> dict[str, Any]:
    """Deep-copy ``context`` with every string cleaned; refuse oversized or odd values.

    Only JSON-like values are kept (str, int, Decimal-as-str, bool, None, lists, mappings) plus
    ``bytes`` under a key named ``image_png`` (a signature drawn on a phone canvas).
    """
    if _depth > MAX_DEPTH:
        raise InputTooLargeError("context nested too deeply")
    out: dict[str, Any] = {}
    for key, value in context.items():
        if not isinstance(key, str):
            raise TypeError(f"context keys must be str, got {type(key).__name__}")
        if key.endswith("_uri"):
            continue
        out[clean_text(key, limit=100)] = _clean_value(key, value, _depth)
    return out


def _clean_value(key: str, value: Any, depth: int) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, bytes | bytearray):
        if key != "image_png":
            raise TypeError(f"bytes are accepted only for 'image_png', not {key!r}")
        return bytes(value)
    if isinstance(value, Mapping):
        return clean_context(value, _depth=depth + 1)
    if isinstance(value, Sequence):
        if len(value) > MAX_ITEMS:
            raise InputTooLargeError(f"{key!r} has {len(value)} items, more than {MAX_ITEMS}")
        return [_clean_value(key, item, depth + 1) for item in value]
    # Decimal, date and the like: keep their text form so templates see one type.
    return clean_text(str(value))
