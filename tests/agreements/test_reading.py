"""The agreement's text as the signing page shows one signer (features.agreements.reading)."""

from __future__ import annotations

from typing import Any

from features.agreements.reading import agreement_view

CONTENT: dict[str, Any] = {
    "committee": {"name": "示范人民调解委员会"},
    "parties": [
        {
            "role": "申请人",
            "kind": "person",
            "name": "张三",
            "gender": "女",
            "birth_date": "1990-01-01",
            "ethnicity": "汉族",
            "id_number": "11010519900101002X",
            "address": "重庆市九龙坡区1号",
            "phone": "13800007601",
            "signer": "p1",
        },
        {
            "role": "被申请人",
            "kind": "org",
            "name": "欧阳建材有限公司",
            "credit_code": "91500000MA5U0000X0",
            "signatory": "欧阳娜娜",
            "signer": "p2",
        },
    ],
    "facts": "张三为欧阳建材有限公司装修。\n\n欧阳娜娜确认尚欠尾款。",
    "disputes": "尾款",
    "responsibilities": "",
    "terms": ["欧阳建材有限公司于2026年12月31日前向张三支付12,000.00元。"],
    "performance": {"method": "银行转账", "place": "", "deadline": "2026-12-31"},
    "copies": 3,
    "date": "2026-12-07",
}


def test_the_signer_reads_their_own_details_and_the_others_masked() -> None:
    view = agreement_view(CONTENT, ["p1"])
    own, other = view["parties"]
    assert own["own"] and own["text"] == (
        "张三，女，1990年1月1日出生，汉族，公民身份号码：11010519900101002X，"
        "住址：重庆市九龙坡区1号，联系电话：13800007601"
    )
    assert not other["own"] and other["text"] == "欧*******"
    sections = {s["key"]: s for s in view["sections"]}
    assert "responsibilities" not in sections  # empty: not shown
    assert sections["facts"]["paragraphs"] == ["张三为欧*******装修。", "欧***确认尚欠尾款。"]
    assert sections["terms"]["items"] == ["欧*******于2026年12月31日前向张三支付12,000.00元。"]
    assert sections["performance"]["rows"][2] == ["deadline", "2026年12月31日"]
    assert view["copies"] == 3 and view["date"] == "2026年12月7日"


def test_the_other_side_reads_theirs() -> None:
    view = agreement_view(CONTENT, ["p2"])
    applicant, company = view["parties"]
    assert applicant["text"] == "张*" and "11010519900101002X" not in str(view)
    assert company["text"].startswith("欧阳建材有限公司，统一社会信用代码：91500000MA5U0000X0")
    assert "张*为欧阳建材有限公司装修。" in view["sections"][0]["paragraphs"]
