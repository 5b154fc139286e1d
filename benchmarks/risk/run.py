"""Recall and false alarms of the default risk rules, and their cost per message.

Why these sets: ``threats_*.txt`` are messages a mediator must be told about (each with the
level it should reach), ``ordinary_*.txt`` are what parties normally write in a dispute,
including the words that look like threats and are not (砍价, 堵车, 气死了, 打电话给孩子).
The ``*_dev`` sets were used while writing the phrase families; the ``*_heldout`` sets were
written first, committed before any rule was tuned (see git log) and never tuned to.

Figures: recall = threatening messages raised to 较大 or above; exact = raised to the expected
level; false-alarm rate = ordinary messages that matched any rule. The dispute type is
``neighbour`` (no type-bound rule applies), so the figures are those of the type-free rules a
room message meets.

    .venv/bin/python benchmarks/risk/run.py [--show]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from mediation.risk import DEFAULT_RULES, RANK, RiskLevel, assess

HERE = Path(__file__).resolve().parent


def lines(name: str) -> list[str]:
    text = (HERE / name).read_text(encoding="utf-8")
    return [s for s in text.splitlines() if s.strip() and not s.startswith("#")]


def threats(name: str, show: bool) -> tuple[int, int, int]:
    """(messages, raised to 较大+, raised to the expected level or above)."""
    raised = exact = 0
    rows = lines(name)
    for row in rows:
        expected, text = row.split("\t", 1)
        result = assess("neighbour", [text], DEFAULT_RULES)
        raised += RANK[result.level] >= RANK[RiskLevel.MAJOR]
        exact += RANK[result.level] >= RANK[RiskLevel(expected)]
        if show and RANK[result.level] < RANK[RiskLevel(expected)]:
            print(f"  missed ({result.level.value} < {expected}): {text}")
    return len(rows), raised, exact


def ordinary(name: str, show: bool) -> tuple[int, int]:
    """(messages, false alarms)."""
    rows = lines(name)
    alarms = 0
    for text in rows:
        result = assess("neighbour", [text], DEFAULT_RULES)
        if result.matches:
            alarms += 1
            if show:
                found = [(m.code, m.evidence) for m in result.matches]
                print(f"  false alarm: {text} {found}")
    return len(rows), alarms


def cost_us() -> float:
    """Mean microseconds to assess one message with every default rule (best of 5)."""
    texts = [r.split("\t", 1)[-1] for r in lines("ordinary_dev.txt") + lines("threats_dev.txt")]
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(20):
            for text in texts:
                assess("neighbour", [text], DEFAULT_RULES)
        best = min(best, (time.perf_counter() - start) / (20 * len(texts)))
    return best * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--show", action="store_true", help="list misses and false alarms")
    args = parser.parse_args()
    for part in ("dev", "heldout"):
        n, raised, exact = threats(f"threats_{part}.txt", args.show)
        print(
            f"{part}: threats {n}: recall {raised}/{n} = {raised / n:.1%}, "
            f"at the expected level {exact}/{n} = {exact / n:.1%}"
        )
        m, alarms = ordinary(f"ordinary_{part}.txt", args.show)
        print(f"{part}: ordinary {m}: false alarms {alarms}/{m} = {alarms / m:.1%}")
    print(f"cost: {cost_us():.1f} µs per message ({len(DEFAULT_RULES)} rules)")


if __name__ == "__main__":
    main()
