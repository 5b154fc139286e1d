"""The sum an agreement obliges someone to pay, read from its terms (协议内容).

Why from the terms: the dashboard's 达成协议金额 summed what applicants *claimed* (issue 20: ¥8,600
shown where the agreement said ¥1,500). What parties agreed is in the signed terms, which are
free text the mediator writes or the negotiation fills (``features.negotiation.drafting``:
"被申请人向申请人支付人民币1,500.00元（大写：…），分3期支付：第1期…支付500.00元…").

The reading, cautious on purpose:

* only an amount that follows a payment verb counts (支付, 赔偿, 补偿, 退还, 返还, 归还, 给付,
  偿还…), the first one after each verb ("退还押金2000元，并支付违约金500元" is 2,500);
* an instalment plan ("分3期支付：第1期…支付500元") repeats the total in parts: the text from
  分N期 / 第N期 on is not read again;
* amounts are Arabic figures followed by 元 or 万元, with optional 人民币 / ¥ and thousands
  separators; an amount only in Chinese numerals is not read (the figure 0 is safer than a
  guess, and the negotiation and the mediator's template always write figures).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

_PAYMENT = re.compile(r"支付|赔偿|补偿|退还|返还|归还|给付|偿还|退回|赔付|付清")
_INSTALMENTS = re.compile(r"[分第]\s*\d+\s*期")
_AMOUNT = re.compile(r"(?:人民币|¥|￥)?\s*(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?\s*(万元|元)")


def _fen(whole: str, cents: str | None, unit: str) -> int:
    try:
        value = Decimal(whole.replace(",", "") + ("." + cents if cents else ""))
    except InvalidOperation:
        return 0
    if unit == "万元":
        value *= 10_000
    return int(value * 100)


def term_fen(term: str) -> int:
    """The payments one term obliges, in fen (0 when it obliges none or names no figure)."""
    text = unicodedata.normalize("NFKC", term)
    plan = _INSTALMENTS.search(text)
    if plan is not None:
        text = text[: plan.start()]
    counted: set[int] = set()
    total = 0
    for verb in _PAYMENT.finditer(text):
        found = _AMOUNT.search(text, verb.end())
        if found is not None and found.start() not in counted:
            counted.add(found.start())
            total += _fen(found.group(1), found.group(2), found.group(3))
    return total


def agreed_fen(terms: Sequence[str]) -> int:
    """The sum of the payments an agreement's terms oblige, in fen."""
    return sum(term_fen(t) for t in terms)
