"""How well ``mediation.confirmability`` tells confirmable clauses from the rest (issue 18).

Two labelled sets written together, before the rules were tuned: ``dev.tsv`` (the rules were
adjusted against it) and ``heldback.tsv`` (never used to adjust them; its figure is the honest
one). Each line: ``confirmable<TAB>category<TAB>clause``. Prints, per set, the accuracy of the
yes/no answer, precision and recall of "not confirmable", the category accuracy, and every
miss. ``python -m benchmarks.confirmability.run [--json]``.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from mediation.confirmability import judge

HERE = Path(__file__).resolve().parent
SETS = ("dev", "heldback")


@dataclass(frozen=True)
class Figures:
    clauses: int
    accuracy: float
    refusal_precision: float
    refusal_recall: float
    category_accuracy: float
    misses: list[str]


def load(name: str) -> list[tuple[bool, str, str]]:
    rows = []
    for line in (HERE / f"{name}.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        flag, category, clause = line.split("\t")
        rows.append((flag == "true", category, clause))
    return rows


def measure(rows: list[tuple[bool, str, str]]) -> Figures:
    right = same_category = flagged = true_flags = refusals = 0
    misses = []
    for confirmable, category, clause in rows:
        verdict = judge(clause)
        right += verdict.confirmable == confirmable
        same_category += verdict.category.value == category
        refusals += not confirmable
        if not verdict.confirmable:
            flagged += 1
            true_flags += not confirmable
        if verdict.confirmable != confirmable or verdict.category.value != category:
            misses.append(f"{category} → {verdict.category.value}: {clause}")
    n = len(rows)
    return Figures(
        clauses=n,
        accuracy=round(right / n, 3),
        refusal_precision=round(true_flags / flagged, 3) if flagged else 0.0,
        refusal_recall=round(true_flags / refusals, 3) if refusals else 0.0,
        category_accuracy=round(same_category / n, 3),
        misses=misses,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = {name: measure(load(name)) for name in SETS}
    if args.json:
        print(json.dumps({k: asdict(v) for k, v in figures.items()}, ensure_ascii=False))
        return
    for name, f in figures.items():
        print(
            f"{name}: {f.clauses} clauses, yes/no accuracy {f.accuracy:.1%}, refusals "
            f"precision {f.refusal_precision:.1%} recall {f.refusal_recall:.1%}, "
            f"category {f.category_accuracy:.1%}"
        )
        for miss in f.misses:
            print(f"  {miss}")


if __name__ == "__main__":
    main()
