"""A citation printed only where its rule applies (issue 18, item 7): 劳动争议调解仲裁法 第十四条
(effect) and 第十六条 (支付令) hold for a wage agreement reached by a 调解组织, not for one the
employer and the workers signed alone; the rendered text and its 法律依据 line follow."""

from __future__ import annotations

import copy

from documents.registry import load_sample
from documents.render import DocumentRenderer
from legal_kb.statutes import LawsDbStatutes

LABOUR = "《中华人民共和国劳动争议调解仲裁法》"


def test_labour_mediation_articles_only_with_a_mediation_organisation(
    statutes: LawsDbStatutes,
) -> None:
    renderer = DocumentRenderer(statutes)
    mediated = renderer.prepare("wage_payment_agreement", load_sample("wage_payment_agreement"))
    assert f"{LABOUR}第十六条" in mediated.text and f"{LABOUR}第十四条" in mediated.text
    assert "第十条、第十四条、第十六条" in mediated.text  # the basis line

    alone = copy.deepcopy(load_sample("wage_payment_agreement"))
    for key in ("committee", "mediators", "case_no"):
        alone.pop(key, None)
    text = renderer.prepare("wage_payment_agreement", alone).text
    assert "劳动争议调解仲裁法" not in text
    assert "支付令" not in text and "自双方签名或盖章之日起生效" in text
