"""Understanding a lay question before ranking: sub-questions and weighted keyword terms.

Why split: lay questions often chain several asks ("民间借贷是什么？/适用范围是什么？/可以起诉吗"),
each answered by a different article; one vector or one bag of words for the whole blurs them,
so each part is also searched and the rankings are fused.

Why weight terms by how specific they are in the corpus: a lay question has few words, and a
single rare legal term (地理标志, 居住权) decides the answer far more than common ones (合同,
规定); BM25's IDF does that inside the formula, and the cut-for-search sub-words of a compound
(用人单位 → 用人, 单位) get a reduced weight so that a compound is not counted three times.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from legal_kb import lexicon, segment

_SPLIT_RE = re.compile(r"[？?。！!；;/\n]+|(?<=[吗呢])[，,]")
_PAREN_RE = re.compile(r"[（(]([^（）()]{4,})[)）]")
#: Shorter parts carry too little to be searched alone.
MIN_PART_CHARS = 4
MAX_PARTS = 4


@dataclass(frozen=True)
class ParsedQuery:
    """The question, its parts and its weighted keyword terms."""

    text: str
    parts: tuple[str, ...]
    terms: dict[str, float]


def split_parts(question: str) -> list[str]:
    """Sub-questions of ``question`` (without the whole), at most :data:`MAX_PARTS`."""
    text = question.strip()
    pieces: list[str] = []
    for paren in _PAREN_RE.findall(text):
        pieces.append(paren)
    text = _PAREN_RE.sub("", text)
    pieces = [p.strip() for p in _SPLIT_RE.split(text)] + pieces
    parts = [p for p in pieces if len(p) >= MIN_PART_CHARS]
    if len(parts) <= 1:
        return []
    return parts[:MAX_PARTS]


def weighted_terms(
    text: str, sub_word_weight: float = 0.5, expand: bool = True
) -> dict[str, float]:
    """Keyword terms of ``text``: whole words weigh 1, sub-words of a compound less; with
    ``expand``, the statutes' words for its everyday terms (:mod:`legal_kb.lexicon`) too."""
    whole = set(segment.words(text))
    terms: dict[str, float] = {}
    for token in segment.tokens(text):
        weight = 1.0 if token in whole else sub_word_weight
        terms[token] = max(terms.get(token, 0.0), weight)
    if expand:
        for phrase, weight in lexicon.expansions(text).items():
            for token in segment.words(phrase):
                if len(token) >= 2:
                    terms[token] = max(terms.get(token, 0.0), weight)
    return terms


def parse(question: str, sub_word_weight: float = 0.5, expand: bool = True) -> ParsedQuery:
    """Parse a question for ranking."""
    return ParsedQuery(
        text=question.strip(),
        parts=tuple(split_parts(question)),
        terms=weighted_terms(question, sub_word_weight, expand),
    )
