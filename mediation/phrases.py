"""Phrase patterns: how a risk rule names a family of wordings, readable by the staff who edit it.

Why not plain substrings: a threat is said many ways — 堵门, 门口堵我, 堵你家 — and a list of
exact strings always misses the next one (issue 20: "去我家门口堵我" passed a list that had 堵门).
Why not raw regular expressions: the people editing the rules in the console are mediators,
not programmers, and a stray ``.*`` would flag every message.

The syntax, small on purpose:

* ``拿刀`` — the words, as typed;
* ``(老公|丈夫)`` — any one of the alternatives;
* ``*`` — a short gap: up to :data:`GAP` characters within the same sentence, so ``拿*刀``
  matches 拿刀, 拿着刀, 拿了把菜刀 but not two unrelated sentences.

``门口*堵*(你|我|他)`` reads "门口, then 堵, then a person, close together". Matching is done on
the normalised text (NFKC, lower case), so full-width letters and upper case do not escape it.
"""

from __future__ import annotations

import re
from functools import lru_cache

#: The most characters a ``*`` may skip.
GAP = 6
#: A gap never crosses the end of a sentence (commas may be crossed: "拿着刀，去找他").
_SENTENCE_END = "。！？!?；;\n"
_GAP_RE = f"[^{re.escape(_SENTENCE_END)}]{{0,{GAP}}}?"
_SPECIAL = frozenset("()|*")


def _group(body: str) -> str | None:
    alternatives = body.split("|")
    if any(not a or any(c in _SPECIAL for c in a) for a in alternatives):
        return None
    return "(?:" + "|".join(re.escape(a) for a in alternatives) + ")"


def _piece(text: str) -> str | None:
    """One run between gaps: literals and ``(a|b)`` groups, at least one character."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "(":
            end = text.find(")", i)
            if end < 0:
                return None
            group = _group(text[i + 1 : end])
            if group is None:
                return None
            out.append(group)
            i = end + 1
        elif ch in ")|":
            return None
        else:
            out.append(re.escape(ch))
            i += 1
    return "".join(out) if out else None


@lru_cache(maxsize=4096)
def compile_phrase(phrase: str) -> re.Pattern[str] | None:
    """The pattern for a phrase, or ``None`` when it is not well formed (an unclosed group, an
    empty alternative, a gap at either end or two gaps in a row)."""
    phrase = phrase.strip()
    if not phrase:
        return None
    pieces = [_piece(p) for p in phrase.split("*")]
    if any(p is None for p in pieces):
        return None
    return re.compile(_GAP_RE.join(p for p in pieces if p is not None))


def valid(phrase: str) -> bool:
    return compile_phrase(phrase) is not None


def find(phrase: str, normalised_text: str) -> str | None:
    """The words of ``normalised_text`` the phrase matched first (the evidence), or ``None``."""
    pattern = compile_phrase(phrase)
    if pattern is None:
        return None
    found = pattern.search(normalised_text)
    return found.group(0) if found else None
