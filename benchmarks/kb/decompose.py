"""Question decomposition in keyword ranking (issue 22, item 4), measured on STARD dev.

Usage (the corpus's database and keyword index, e.g. those of ``run.py --corpus``)::

    nice -n 19 .venv/bin/python benchmarks/kb/decompose.py \\
        --data-dir var --database-url sqlite+aiosqlite:///$PWD/var/kb-bench-corpus.db

Why: many lay questions ask two things ("借条丢了还能要回钱吗？利息怎么算"), and one bag of
words for the whole question ranks the articles answering the more wordy ask first. Each variant
below searches the sub-questions of :func:`legal_kb.query.split_parts` separately as well and
merges the rankings; nothing is fitted to questions (two fixed fusion rules, one weight each
tried at 0.5 and 1.0). Prints R@1/5/10 and MRR@10 per split, for the keyword mode
(``KB_DENSE=0`` and a first start), with the corpus loaded and 重庆's local rules searched.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks.kb.stard import Question, add_kb_arguments, metrics, open_dev  # noqa: E402
from legal_kb import query  # noqa: E402
from legal_kb.engine import SearchEngine  # noqa: E402

DEPTH = 50
_RRF_K = 60.0


def ranking(engine: SearchEngine, text: str) -> list[int]:
    """Positions of the keyword ranking of ``text`` (as the search ranks, citations aside)."""
    parsed = query.parse(text, engine.params.sub_word_weight, engine.params.expand_terms)
    if not parsed.terms:
        return []
    order = engine.rank(parsed, engine.region_mask).order
    return [int(i) for i in order[:DEPTH]]


def rrf(engine: SearchEngine, text: str, weight: float) -> list[int]:
    """Reciprocal-rank fusion of the whole question and each sub-question (× ``weight``)."""
    scores: dict[int, float] = {}
    for k, i in enumerate(ranking(engine, text)):
        scores[i] = scores.get(i, 0.0) + 1.0 / (_RRF_K + k + 1)
    for part in query.split_parts(text):
        for k, i in enumerate(ranking(engine, part)):
            scores[i] = scores.get(i, 0.0) + weight / (_RRF_K + k + 1)
    return sorted(scores, key=lambda i: -scores[i])[:DEPTH]


def interleave(engine: SearchEngine, text: str, every: int) -> list[int]:
    """The whole question's ranking, with each sub-question's best article not yet listed
    inserted after every ``every`` articles (so each ask is answered near the top)."""
    whole = ranking(engine, text)
    firsts = [r[0] for r in (ranking(engine, p) for p in query.split_parts(text)) if r]
    out: list[int] = []
    pending = [i for i in firsts if i not in whole[: every * len(firsts)]]
    for k, i in enumerate(whole):
        if k and k % every == 0 and pending:
            j = pending.pop(0)
            if j not in out:
                out.append(j)
        if i not in out:
            out.append(i)
    return out[:DEPTH]


def evaluate(
    name: str, search: Callable[[str], list[int]], questions: Sequence[Question]
) -> dict[str, object]:
    ranked = [search(q.text) for q in questions]
    splits = {
        "national": [i for i, q in enumerate(questions) if q.national],
        "interpretation": [i for i, q in enumerate(questions) if q.interpretation],
        "with parts": [i for i, q in enumerate(questions) if query.split_parts(q.text)],
    }
    out: dict[str, object] = {"system": name}
    for split, idx in splits.items():
        m = metrics([ranked[i] for i in idx], [questions[i] for i in idx])
        out[split] = {k: round(v, 3) for k, v in m.items()}
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_kb_arguments(parser)
    args = parser.parse_args(argv)
    opened = open_dev(args)
    if opened is None:
        return 1
    engine, questions = opened
    systems: list[tuple[str, Callable[[str], list[int]]]] = [
        ("whole question (shipped)", lambda t: ranking(engine, t)),
        ("RRF whole + parts × 0.5", lambda t: rrf(engine, t, 0.5)),
        ("RRF whole + parts × 1.0", lambda t: rrf(engine, t, 1.0)),
        ("interleave each part's best every 2", lambda t: interleave(engine, t, 2)),
        ("interleave each part's best every 4", lambda t: interleave(engine, t, 4)),
    ]
    for name, search in systems:
        print(json.dumps(evaluate(name, search, questions), ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
