"""A party whose name the applicant did not know (the intake's 不知道) is printed 不详 on the
人民调解申请书, not left blank (the document refused an empty name as a missing field)."""

from __future__ import annotations

import copy
from datetime import date

from documents.registry import load_sample
from documents.render import DocumentRenderer
from features.agreements.contexts import PartyInfo, person
from legal_kb.statutes import LawsDbStatutes


def test_the_application_prints_an_unknown_name_as_unknown(statutes: LawsDbStatutes) -> None:
    respondent = PartyInfo(
        party_id=2,
        member_id=None,
        side="respondent",
        ordinal=1,
        name="",
        address="九龙坡区杨家坪正街3号1202",  # the mediator records it before printing
        phone=None,
        id_number=None,
    )
    ctx = copy.deepcopy(load_sample("mediation_application"))
    ctx["parties"][1] = person(respondent, date(2026, 12, 7), role="被申请人")
    prepared = DocumentRenderer(statutes).prepare("mediation_application", ctx)
    assert "被申请人：不详" in prepared.text.replace(" ", "")
    assert respondent.shown_name == "不详"
    named = PartyInfo(2, None, "respondent", 1, "李秀兰", None, None, None)
    assert person(named, date(2026, 12, 7))["name"] == "李秀兰"
