"""Which clauses a court can confirm, judged by what they do (issue 18, item 4): the issue's own
examples, names that are no party's, the command line a mediator's tool calls, and the labelled
sets of ``benchmarks/confirmability`` (the held-back set was never used to tune the rules)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.confirmability.run import load, measure
from mediation.confirmability import Category, clause_numbers, confirmability, judge

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("clause", "category"),
    [
        ("子女离婚后由女方直接抚养。", Category.CHILDREN),
        ("婚生子小明由女方抚养，男方每月支付抚养费二千元。", Category.CHILDREN),
        ("男方于2027年1月31日前协助女方办理该房屋的不动产转移登记手续。", Category.HANDOVER),
        ("乙方于2026年12月31日前支付工资八千元。", Category.PAYMENT),
    ],
)
def test_confirmable_by_what_the_clause_does(clause: str, category: Category) -> None:
    verdict = judge(clause)
    assert verdict.confirmable and verdict.category is category
    assert verdict.basis == "人民调解法 第三十三条"


@pytest.mark.parametrize(
    ("clause", "category", "article"),
    [
        ("双方自愿解除婚姻关系。", Category.IDENTITY, "第三百五十五条第一款第（三）项"),
        ("确认小明为甲方之子。", Category.IDENTITY, "第三百五十五条第一款第（三）项"),
        ("房屋归女方所有。", Category.PROPERTY_RIGHT, "第三百五十五条第一款第（五）项"),
        ("确认股权归甲方。", Category.PROPERTY_RIGHT, "第三百五十五条第一款第（五）项"),
        ("双方同意对乙方公司进行破产清算。", Category.SPECIAL_PROCEDURE, "第（四）项"),
        ("双方同意就遗失的汇票申请公示催告。", Category.SPECIAL_PROCEDURE, "第（四）项"),
        ("甲方不再追究乙方的刑事责任。", Category.OUTSIDE_REMIT, "第（一）项"),
        ("由乙方的父亲代为偿还借款一万元。", Category.NON_PARTY, "第三百五十八条第（二）项"),
        ("乙方适当补偿甲方。", Category.UNCLEAR, "第三百五十八条第（五）项"),
        ("剩余款项双方另行协商。", Category.UNCLEAR, "第三百五十八条第（五）项"),
    ],
)
def test_not_confirmable_with_its_article(clause: str, category: Category, article: str) -> None:
    verdict = judge(clause)
    assert not verdict.confirmable and verdict.category is category
    assert verdict.basis.startswith("民诉法解释 ") and article in verdict.basis


def test_a_named_person_who_is_no_party() -> None:
    clause = "王五于2027年1月31日前向张三支付货款5000元。"
    assert judge(clause, ["张三", "李四"]).category is Category.NON_PARTY
    assert judge(clause, ["张三", "李四"]).stranger == "王五"
    assert judge(clause, ["张三", "王五"]).confirmable
    assert judge("李四于2027年1月31日前向张三支付货款5000元。", ["张三", "李四"]).confirmable


def test_numbers_of_the_clauses_applied_for() -> None:
    check = confirmability(["双方自愿离婚。", "子女离婚后由女方直接抚养。", "房屋归女方所有。"])
    assert check.confirmable_numbers == (2,) and check.excluded_numbers == (1, 3)
    assert set(check.flags) == {0, 2} and clause_numbers(check.confirmable_numbers) == "第2条"
    assert clause_numbers((1, 2, 4)) == "第1、2、4条"


@pytest.mark.parametrize("name", ["dev", "heldback"])
def test_the_labelled_sets(name: str) -> None:
    figures = measure(load(name))
    assert figures.clauses >= 40
    assert figures.accuracy >= 0.95, figures.misses


def _check_terms(tmp_path: Path, terms: str, *options: str) -> str:
    """What ``main.py agreement check-terms`` prints for ``terms`` typed on its input."""
    done = subprocess.run(
        [sys.executable, "main.py", "agreement", "check-terms", *options],
        input=terms,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "DATA_DIR": str(tmp_path), "KB_ENABLED": "0"},
        timeout=120,
        check=True,
    )
    return done.stdout


def test_check_terms_on_the_command_line(tmp_path: Path) -> None:
    typed = "子女离婚后由女方直接抚养。\n\n房屋归女方所有。\n王五替张三还款1000元。\n"
    printed = _check_terms(tmp_path, typed, "--json", "--party", "张三")
    rows = [json.loads(line) for line in printed.splitlines()]
    assert [r["confirmable"] for r in rows] == [True, False, False]
    assert [r["category"] for r in rows] == ["children", "property_right", "non_party"]
    assert rows[1]["basis"] == "民诉法解释 第三百五十五条第一款第（五）项"
    assert "协助" in rows[1]["suggestion"] and "王五" in rows[2]["suggestion"]
    english = _check_terms(tmp_path, "乙方尽快还款。\n", "--lang", "en")
    assert "unclear" in english and "State the amount" in english
