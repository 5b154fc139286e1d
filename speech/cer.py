"""Character error rate for Chinese: edit distance over characters, punctuation and spaces
ignored, traditional/simplified not folded (a traditional character counts as an error)."""

from __future__ import annotations

import unicodedata


def normalise(text: str) -> str:
    return "".join(
        ch
        for ch in unicodedata.normalize("NFKC", text)
        if not ch.isspace() and not unicodedata.category(ch).startswith("P")
    )


def distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def cer(reference: str, hypothesis: str) -> float:
    ref, hyp = normalise(reference), normalise(hypothesis)
    return distance(ref, hyp) / max(1, len(ref))


def corpus_cer(pairs: list[tuple[str, str]]) -> float:
    """Errors over all sentences divided by all reference characters."""
    errors = sum(distance(normalise(r), normalise(h)) for r, h in pairs)
    return errors / max(1, sum(len(normalise(r)) for r, _ in pairs))
