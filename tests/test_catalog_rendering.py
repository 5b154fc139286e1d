"""Every user-facing string, rendered as a person would read it (issue 19, item 9).

Each key of the core catalogue and of every feature's ``messages.*.toml`` is filled with a
plausible value for each placeholder (a case number as the service writes it — it carries its
own brackets, （2026）示调字第0001号 —, a date, an amount, a name) and the text a person would
read must have no placeholder left (``{payer}`` shown raw) and no doubled brackets
(``（（2026）示调字第0001号）``).
"""

from __future__ import annotations

import re
import string

import pytest

import i18n

CASE_NUMBER = "（2026）示调字第0001号"
LEFTOVER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_.]*\}")
#: Two opening or two closing brackets in a row, full width or not: （（2026）… or (（2026）….
DOUBLED = re.compile(r"[（(][（(]|[）)][）)]")


def _plausible(name: str) -> object:
    """A value like the ones the service passes for a placeholder of this name."""
    if name in ("number", "case", "case_number") or (name.endswith("_number") and "id" not in name):
        return CASE_NUMBER
    if "date" in name or name in ("day", "when", "since", "until", "deadline"):
        return "2026-12-31"
    if "amount" in name or name in ("total", "sum", "paid", "price"):
        return "4,800.00"
    if name in ("count", "max", "min", "days", "hours", "minutes", "ref", "length", "n"):
        return 3
    return "张三"


def _fields(template: str) -> list[str]:
    return [f for _, f, _, _ in string.Formatter().parse(template) if f]


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_key_renders_without_placeholders_or_doubled_brackets(language: str) -> None:
    problems: list[str] = []
    for key, template in sorted(i18n.catalog(language).items()):
        values = {name.split(".")[0].split("[")[0]: _plausible(name) for name in _fields(template)}
        try:
            text = template.format_map(values)
        except (KeyError, IndexError, ValueError, AttributeError) as exc:
            problems.append(f"{key}: cannot be filled ({exc!r})")
            continue
        if LEFTOVER.search(text):
            problems.append(f"{key}: placeholder left in {text!r}")
        if DOUBLED.search(text):
            problems.append(f"{key}: doubled brackets in {text!r}")
    assert problems == []


def test_the_check_finds_what_it_looks_for() -> None:
    """The two slips the issue found, as the check sees them."""
    assert LEFTOVER.search("模板：{payer}于{due_date}前向{payee}支付")
    rendered = f"协议书（{CASE_NUMBER}）"
    assert "（（" in rendered
