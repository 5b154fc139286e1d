"""The terms a case's free text is searched by: pairs of Chinese characters, and words.

Why pairs: Chinese is written without spaces and a word segmenter is a large dependency with
its own mistakes; every two-character word (装修, 噪音, 工资) is one pair, and a longer query
(楼上装修) is found by all its pairs (楼上, 上装, 装修). Latin words and numbers are whole
terms. Long digit runs (phone, ID and account numbers) are left out on purpose: the ledger
finds phones through their own blind index, and free text must not become a second one.

The terms are hashed with a key before they are stored (``core.crypto.search_token``), so the
table holds no words; this module is pure and only says which terms a text has.
"""

from __future__ import annotations

import re
import unicodedata

#: A query is cut to this many characters (the ledger's search box).
MAX_QUERY = 100
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[a-z0-9]+")
#: Digit runs this long or longer are not terms (phones, ID numbers, bank accounts).
_LONG_DIGITS = 7


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def terms(text: str) -> set[str]:
    """Every term of ``text``: each pair of neighbouring Chinese characters (a lone character
    between other scripts is a term of its own), and each Latin word or short number."""
    text = normalise(text)
    out: set[str] = set()
    for run in _CJK.findall(text):
        if len(run) == 1:
            out.add(run)
        out.update(run[i : i + 2] for i in range(len(run) - 1))
    for word in _WORD.findall(text):
        if not (word.isdigit() and len(word) >= _LONG_DIGITS):
            out.add(word)
    return out


def query_terms(query: str) -> set[str]:
    """The terms a case must have to match ``query`` (all of them); empty: not a text query."""
    return terms(query[:MAX_QUERY])
