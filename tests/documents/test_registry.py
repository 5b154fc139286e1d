"""The template registry: specs, samples, required fields and legal references."""

from __future__ import annotations

import copy
from importlib import resources

import pytest

from documents.catalog import CATALOG
from documents.clauses import DISPUTE_TYPES
from documents.errors import MissingFieldsError, UnknownDocumentError
from documents.registry import (
    document_keys,
    get_spec,
    load_sample,
    missing_fields,
    resolve,
    validate,
)
from legal_kb.statutes import LawsDbStatutes

REQUIRED_DOCUMENTS = {
    "police_agreement": "治安调解协议书",
    "mediation_application": "人民调解申请书",
    "acceptance_register": "人民调解受理登记表",
    "rights_notice": "当事人权利义务告知书",
    "mediation_record": "调解笔录",
    "mediation_agreement": "人民调解协议书",
    "judicial_confirmation_application": "司法确认申请书",
    "termination_notice": "终止调解告知书",
    "follow_up_record": "人民调解回访记录",
    "iou_loan": "借条",
    "iou_debt": "欠条",
    "receipt": "收条",
    "repayment_agreement": "还款协议",
    "house_lease": "房屋租赁合同",
    "traffic_compensation": "交通事故损害赔偿协议",
    "divorce_agreement": "离婚协议书",
    "wage_payment_agreement": "劳动报酬支付协议",
}


def test_catalogue_has_every_document() -> None:
    assert {key: CATALOG[key].title for key in CATALOG} == REQUIRED_DOCUMENTS


@pytest.mark.parametrize("key", document_keys())
def test_template_and_sample_exist_and_sample_is_complete(key: str) -> None:
    spec = get_spec(key)
    template = resources.files("documents").joinpath("templates", "zh-CN", spec.template)
    assert template.is_file()
    sample = load_sample(key)
    assert missing_fields(spec, sample) == []
    if "dispute_type" in sample:
        assert sample["dispute_type"] in DISPUTE_TYPES


@pytest.mark.parametrize("key", document_keys())
def test_every_in_base_reference_is_in_laws_db(key: str, statutes: LawsDbStatutes) -> None:
    spec = get_spec(key)
    for ref in spec.laws:
        text = statutes.article_text(ref.law, ref.article_no)
        if ref.in_base:
            assert text, f"{key}: {ref} not found in laws.db"
        else:
            assert text is None, f"{key}: {ref} is in the base; mark it in_base=True"
            assert ref.note, "a non-verifiable reference must say where it was read"
    assert set(spec.quotes) <= set(spec.printed_laws)
    quoted = [ref.article_no for ref in spec.quotes]
    assert len(quoted) == len(set(quoted)), "quoted articles are keyed by number"


def test_confirmation_rule_is_declared_but_not_in_base() -> None:
    refs = get_spec("judicial_confirmation_application").laws
    outside = [ref for ref in refs if not ref.in_base]
    assert [(r.law, r.article_no) for r in outside] == [
        ("最高人民法院关于人民调解协议司法确认程序的若干规定", "第三条")
    ]


def test_missing_fields_are_named_with_indices() -> None:
    spec = get_spec("mediation_agreement")
    ctx = copy.deepcopy(load_sample("mediation_agreement"))
    del ctx["facts"]
    ctx["parties"][1]["name"] = "   "
    ctx["performance"].pop("deadline")
    ctx["terms"] = []
    with pytest.raises(MissingFieldsError) as info:
        validate(spec, ctx)
    assert info.value.fields == (
        "parties[1].name",
        "facts",
        "terms",
        "performance.deadline",
    )
    assert "parties[1].name" in str(info.value) and "mediation_agreement" in str(info.value)


def test_min_items() -> None:
    spec = get_spec("mediation_agreement")
    ctx = copy.deepcopy(load_sample("mediation_agreement"))
    ctx["parties"] = ctx["parties"][:1]
    assert missing_fields(spec, ctx) == ["parties[1]"]


def test_conditional_requirements() -> None:
    spec = get_spec("mediation_record")
    ctx = copy.deepcopy(load_sample("mediation_record"))
    ctx["outcome"] = "failed"
    assert missing_fields(spec, ctx) == ["failure_reason", "routes"]
    ctx["failure_reason"] = "双方分歧过大"
    ctx["routes"] = ["诉讼"]
    assert missing_fields(spec, ctx) == []


def test_resolve() -> None:
    ctx = {"a": [{"b": 1}, {"c": 2}], "d": {"e": "x"}}
    assert resolve(ctx, "a[].b") == [("a[0].b", 1), ("a[1].b", None)]
    assert resolve(ctx, "d.e") == [("d.e", "x")]
    assert resolve(ctx, "z[].y") == [("z", None)]


def test_unknown_document() -> None:
    with pytest.raises(UnknownDocumentError):
        get_spec("nope")


def test_templates_never_inline_css_or_link_resources() -> None:
    """CSS goes to WeasyPrint as parsed CSS objects: inlined through Jinja with autoescape on,
    quotes in it become entities and WeasyPrint silently ignores the whole stylesheet."""
    folder = resources.files("documents").joinpath("templates", "zh-CN")
    for template in folder.iterdir():
        text = template.read_text("utf-8")
        assert "<style" not in text and "<link" not in text, template.name
        assert "|safe" not in text and "autoescape false" not in text, template.name
