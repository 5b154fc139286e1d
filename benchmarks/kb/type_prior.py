"""A dispute-type prior for lay questions, measured as if held out (issue 22, item 4).

Usage (the corpus's database and index, with the dense vectors in the cache, as
``generalise.py --hybrid`` reads them)::

    nice -n 10 .venv/bin/python benchmarks/kb/type_prior.py \\
        --data-dir DIR --database-url sqlite+aiosqlite:///DIR/mediation.db [--keyword-only]

Why: a resident's question usually names its dispute in everyday words (借条, 房东, 老板欠工资,
楼上漏水), and each dispute type already has the fields of law it is decided under
(``legal_kb.disputes.DISPUTE_TYPES``' search scopes, written from the law, not from any
question). The lever: guess the type from those everyday words; where one is found, fuse the
shipped ranking with the same ranking restricted to the type's scope (reciprocal ranks, the
scoped one at weight ``w``; ``w`` 0 is the shipped search). A question with no such word is
ranked as shipped.

Protocol as ``generalise.py``'s: ``w`` chosen on one half of dev (even ids), reported on the
other, then swapped; the out-of-fold figure beside the in-sample best. The word lists below were
written from the language before any run and are not changed by what a run shows.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks.kb import stard  # noqa: E402
from benchmarks.kb.generalise import memoise_dense  # noqa: E402
from legal_kb import query  # noqa: E402
from legal_kb.engine import SearchEngine, SearchFilters  # noqa: E402

#: Everyday words that name a dispute type, most specific first (a question about a loan to a
#: neighbour is a loan). Written from the language: what people say, not legal terms of art.
LAY_TYPE_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "private_lending",
        ("借钱", "借款", "借条", "欠条", "欠钱", "欠款", "还钱", "高利贷", "借贷", "借给"),
    ),
    (
        "traffic_accident",
        ("车祸", "交通事故", "追尾", "肇事", "交强险", "交警", "撞了", "被撞", "撞伤"),
    ),
    (
        "labour_wages",
        (
            "工资",
            "欠薪",
            "辞退",
            "开除",
            "加班",
            "社保",
            "劳动合同",
            "工伤",
            "用人单位",
            "试用期",
            "老板",
        ),
    ),
    (
        "marriage_family",
        (
            "离婚",
            "彩礼",
            "抚养",
            "赡养",
            "遗产",
            "继承",
            "遗嘱",
            "夫妻",
            "老公",
            "老婆",
            "丈夫",
            "妻子",
            "家暴",
            "婚前",
            "婚后",
        ),
    ),
    ("property_management", ("物业", "业主", "小区")),
    ("property_lease", ("租房", "房东", "租客", "房租", "押金", "租金", "租赁", "出租", "承租")),
    ("renovation", ("装修", "施工", "工期")),
    ("neighbour", ("邻居", "楼上", "楼下", "噪音", "漏水", "采光", "相邻")),
    ("consumer", ("网购", "商家", "退货", "退款", "假货", "消费者", "售后", "店家")),
    ("land_housing", ("宅基地", "承包地", "征地", "房产证", "买房")),
    ("injury_damage", ("打伤", "受伤", "被打", "医药费", "咬伤", "摔伤")),
)


def guess_type(text: str) -> str | None:
    for code, words in LAY_TYPE_WORDS:
        if any(w in text for w in words):
            return code
    return None


def fused(
    engine: SearchEngine, q: stard.Question, w: float, depth: int = 10, pool: int = 60
) -> list[int]:
    """The shipped order (cited articles first), fused with the type-scoped order at ``w``."""
    expand = engine.params.expand_terms and not (engine.dense_ready and engine.params.use_dense)
    parsed = query.parse(q.text, engine.params.sub_word_weight, expand)
    cited = engine.cited(q.text, engine.region_mask)
    full = [int(i) for i in engine.rank(parsed, engine.region_mask).order[:pool]]
    code = guess_type(q.text)
    if code is not None and w > 0:
        scoped = [
            int(i)
            for i in engine.rank(parsed, engine._mask(SearchFilters(dispute_type=code))).order[
                :pool
            ]
        ]
        score: dict[int, float] = {}
        for r, i in enumerate(full):
            score[i] = score.get(i, 0.0) + 1.0 / (60 + r)
        for r, i in enumerate(scoped):
            score[i] = score.get(i, 0.0) + w / (60 + r)
        full = sorted(score, key=lambda i: -score[i])
    return (cited + [i for i in full if i not in cited])[:depth]


def evaluate(
    engine: SearchEngine, qs: Sequence[stard.Question], w: float
) -> dict[str, dict[str, float]]:
    ranked = [fused(engine, q, w) for q in qs]
    out: dict[str, dict[str, float]] = {}
    for split in ("national", "interpretation"):
        idx = [i for i, q in enumerate(qs) if getattr(q, split)]
        out[split] = {
            k: round(v, 3)
            for k, v in stard.metrics([ranked[i] for i in idx], [qs[i] for i in idx]).items()
        }
    return out


def _key(m: dict[str, dict[str, float]]) -> tuple[float, float]:
    return (m["national"]["R@5"], m["national"]["MRR@10"])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    stard.add_kb_arguments(parser)
    parser.add_argument("--keyword-only", action="store_true", help="KB_DENSE=0 ranking")
    parser.add_argument("--weights", default="0,0.25,0.5,1,2")
    args = parser.parse_args(argv)
    opened = stard.open_dev(args, dense=not args.keyword_only)
    if opened is None:
        return 1
    engine, questions = opened
    if not args.keyword_only:
        if not engine.dense_ready:
            print("the dense index could not be attached")
            return 1
        memoise_dense(engine)
    typed = [q for q in questions if guess_type(q.text) is not None]
    print(
        json.dumps(
            {
                "questions": len(questions),
                "with a type word": len(typed),
                "national with a type word": sum(q.national for q in typed),
            }
        ),
        flush=True,
    )
    weights = [float(x) for x in args.weights.split(",")]
    halves = {
        "even": [q for q in questions if stard.is_tuning(q)],
        "odd": [q for q in questions if not stard.is_tuning(q)],
    }
    table = {h: {w: evaluate(engine, qs, w) for w in weights} for h, qs in halves.items()}
    chosen = {h: max(weights, key=lambda w: _key(table[h][w])) for h in halves}
    oof_w = {q.id: chosen["even"] for q in halves["odd"]} | {
        q.id: chosen["odd"] for q in halves["even"]
    }
    ranked = [fused(engine, q, oof_w[q.id]) for q in questions]
    oof = {}
    for split in ("national", "interpretation"):
        idx = [i for i, q in enumerate(questions) if getattr(q, split)]
        oof[split] = {
            k: round(v, 3)
            for k, v in stard.metrics([ranked[i] for i in idx], [questions[i] for i in idx]).items()
        }
    every = {w: evaluate(engine, questions, w) for w in weights}
    print(
        json.dumps(
            {
                "chosen on even": chosen["even"],
                "chosen on odd": chosen["odd"],
                "out of fold": oof,
                "all settings": {str(w): m for w, m in every.items()},
                "by half": {h: {str(w): m for w, m in t.items()} for h, t in table.items()},
            },
            ensure_ascii=False,
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
