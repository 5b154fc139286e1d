"""Cleaning user text before it reaches a template."""

from __future__ import annotations

import pytest

from documents.errors import InputTooLargeError
from documents.sanitize import MAX_ITEMS, MAX_TEXT, clean_context, clean_text


def test_control_and_format_characters_are_removed() -> None:
    assert clean_text("王\x00建\x07国\x1b[31m") == "王建国[31m"
    # Bidi override would display "付款" reversed-looking text; zero-width chars hide content.
    assert clean_text("甲方\u202e付款\u202c\u200b\ufeff") == "甲方付款"
    assert clean_text("soft\u00adhyphen") == "softhyphen"


def test_layout_stalling_characters_are_replaced() -> None:
    assert clean_text("2026\u201111\u201127") == "2026-11-27"
    assert clean_text("a\u2010b") == "a-b"
    assert clean_text("a\u00a0b") == "a b"


def test_newlines_are_kept_and_normalised() -> None:
    assert clean_text("第一段\r\n第二段\r第三段\u2028第四段") == "第一段\n第二段\n第三段\n第四段"
    assert clean_text("a\n\n\n\n\nb") == "a\n\nb"
    assert clean_text("a\tb") == "a b"


def test_emoji_become_missing_glyph_mark() -> None:
    assert clean_text("谢谢😊") == "谢谢\u3013"


def test_nfc_normalisation() -> None:
    assert clean_text("e\u0301") == "\u00e9"


def test_length_caps() -> None:
    assert len(clean_text("字" * MAX_TEXT)) == MAX_TEXT
    with pytest.raises(InputTooLargeError):
        clean_text("字" * (MAX_TEXT + 1))
    with pytest.raises(InputTooLargeError):
        clean_context({"terms": ["x"] * (MAX_ITEMS + 1)})


def test_clean_context_recurses_and_drops_uri_keys() -> None:
    ctx = clean_context(
        {
            "a": {"b": ["x\x00", {"c": "y\u2011z"}]},
            "qr_uri": "file:///etc/passwd",
            "n": 3,
            "flag": True,
            "none": None,
            "signature": {"image_png": b"\x89PNG", "image_uri": "http://evil"},
        }
    )
    assert ctx == {
        "a": {"b": ["x", {"c": "y-z"}]},
        "n": 3,
        "flag": True,
        "none": None,
        "signature": {"image_png": b"\x89PNG"},
    }


def test_bytes_only_for_signature_images() -> None:
    with pytest.raises(TypeError):
        clean_context({"name": b"bytes"})


def test_non_json_values_become_text() -> None:
    from decimal import Decimal

    assert clean_context({"amount": Decimal("1.50")}) == {"amount": "1.50"}
