"""Reading what an agreement obliges someone to pay from its terms (mediation.agreed_amount)."""

from __future__ import annotations

import pytest

from mediation.agreed_amount import agreed_fen

PLAN = (
    "被申请人向申请人支付人民币1,500.00元（大写：壹仟伍佰元整），分3期支付：第1期于2027年1月1日前"
    "支付500.00元（大写：伍佰元整）；第2期于2027年2月1日前支付500.00元；第3期于2027年3月1日前支付500.00元。"
)


@pytest.mark.parametrize(
    ("terms", "fen"),
    [
        ([PLAN], 150_000),  # the instalments are not added to the total again
        (["被申请人于2026年12月31日前一次性向申请人支付人民币3,000.00元。"], 300_000),
        (["被申请人退还押金2000元，并支付违约金500元。"], 250_000),  # two obligations
        (["被申请人赔偿申请人1.5万元。"], 1_500_000),
        (["被申请人向申请人赔礼道歉。", "申请人撤回投诉。"], 0),  # no payment
        (["申请人主张的8,600元损失中，双方确认已实际发生的为1,500元。"], 0),  # no obligation
        (["被申请人支付申请人医疗费１２００元"], 120_000),  # full-width digits
        (["被申请人向申请人支付伍佰元。"], 0),  # only in words: not guessed
    ],
)
def test_agreed_amount(terms: list[str], fen: int) -> None:
    assert agreed_fen(terms) == fen
