"""Ranking typical cases by similarity to a dispute description.

Why plain BM25 over the cases themselves: a KB holds tens to hundreds of typical cases, so
scoring them all per request costs well under a millisecond, and the words of a dispute
(欠薪, 漏水, 彩礼) are exactly the words of the cases that resemble it. The title counts twice
because it names the point of the case.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from legal_kb import segment
from legal_kb.records import Case

K1 = 1.2
B = 0.75


def rank_cases(text: str, cases: Sequence[Case], top: int = 3) -> list[Case]:
    """The ``top`` cases most similar to ``text`` (with ``score`` set); none when nothing matches."""
    if not cases:
        return []
    docs = [Counter(segment.tokens(f"{c.title} {c.title} {c.facts}")) for c in cases]
    lengths = [sum(d.values()) for d in docs]
    avgdl = sum(lengths) / len(lengths) or 1.0
    df: Counter[str] = Counter()
    for d in docs:
        df.update(d.keys())
    n = len(docs)
    terms = set(segment.tokens(text))
    scored: list[tuple[float, int]] = []
    for i, d in enumerate(docs):
        score = 0.0
        for term in terms:
            tf = d.get(term, 0)
            if not tf:
                continue
            idf = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
            score += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * lengths[i] / avgdl))
        if score > 0:
            scored.append((score, i))
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    return [replace(cases[i], score=round(s, 4)) for s, i in scored[:top]]
