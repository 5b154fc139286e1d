"""Dispute types and reusable agreement clauses (协议条款) for each.

A mediator picks clauses for the dispute at hand and fills in the blanks; the filled strings
become the ``terms`` of a 人民调解协议书 or 调解笔录. Clauses are contract wording, not statute
text. Placeholders use :meth:`str.format` names; a name ending in ``amount`` is printed in
figures with its capital numerals added (``{amount}`` → ``12,000.00元（大写：壹万贰仟元整）``) and
a name ending in ``date`` given as ``YYYY-MM-DD`` is printed as ``YYYY年M月D日``.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass

from documents.amounts import format_amount, to_capital
from documents.errors import MissingFieldsError
from documents.formats import cn_date
from documents.sanitize import clean_text

__all__ = [
    "COMMON_CLAUSES",
    "DISPUTE_TYPES",
    "Clause",
    "clause",
    "clauses_for",
    "dispute_label",
    "fill",
]

#: Dispute-type code → Chinese label, in the order forms list them.
DISPUTE_TYPES: Mapping[str, str] = {
    "marriage_family": "婚姻家庭纠纷",
    "neighbour": "邻里纠纷",
    "labour_wages": "劳动争议（欠薪）纠纷",
    "private_lending": "民间借贷纠纷",
    "renovation": "装修、承揽纠纷",
    "consumer": "买卖、消费纠纷",
    "property_management": "物业服务纠纷",
    "property_lease": "房屋租赁纠纷",
    "contract": "合同纠纷",
    "traffic_accident": "交通事故纠纷",
    "injury_damage": "侵权损害赔偿纠纷",
    "land_housing": "土地、房屋纠纷",
    "other": "其他纠纷",
}


@dataclass(frozen=True, slots=True)
class Clause:
    """One reusable clause: ``code`` is unique across all types."""

    code: str
    dispute_type: str
    title: str
    text: str

    @property
    def fields(self) -> tuple[str, ...]:
        """Placeholder names in the order they appear."""
        names = [name for _, name, _, _ in string.Formatter().parse(self.text) if name]
        return tuple(dict.fromkeys(names))


def _c(dispute_type: str, code: str, title: str, text: str) -> Clause:
    return Clause(code=code, dispute_type=dispute_type, title=title, text=text)


_CLAUSES: tuple[Clause, ...] = (
    # 婚姻家庭
    _c(
        "marriage_family",
        "mf_support",
        "赡养/抚养费",
        "{payer}自{start_date}起每月{pay_day}日前向{payee}支付{purpose}{amount}，至{end_date}止。",
    ),
    _c(
        "marriage_family",
        "mf_care",
        "照料安排",
        "{party}负责{person}的日常生活照料，其他家庭成员每月轮流探望不少于{visits}次。",
    ),
    _c(
        "marriage_family",
        "mf_property",
        "家庭财产分割",
        "位于{location}的{item}归{owner}所有，{owner}于{pay_date}前向{other}支付折价款{amount}。",
    ),
    # 邻里
    _c(
        "neighbour",
        "nb_restore",
        "恢复原状",
        "{party}于{due_date}前拆除/清理{obstacle}，恢复{place}的原状，费用由{party}承担。",
    ),
    _c(
        "neighbour",
        "nb_conduct",
        "相邻关系约定",
        "双方今后应当遵守{rule}，互相尊重、和睦相处，不再就{matter}发生争执。",
    ),
    _c(
        "neighbour",
        "nb_compensate",
        "损失补偿",
        "{payer}于{due_date}前一次性补偿{payee}{matter}损失{amount}。",
    ),
    # 劳动争议/欠薪
    _c(
        "labour_wages",
        "lw_pay",
        "支付欠付工资",
        "{employer}确认拖欠{worker}{period}劳动报酬共计{amount}，于{due_date}前以{method}方式一次性付清。",
    ),
    _c(
        "labour_wages",
        "lw_instalment",
        "分期支付工资",
        "{employer}于{first_date}前支付{first_amount}，余款{rest_amount}于{rest_date}前付清。",
    ),
    _c(
        "labour_wages",
        "lw_certificate",
        "出具离职证明",
        "{employer}于{due_date}前为{worker}出具解除（终止）劳动关系证明，并办理档案和社会保险关系转移手续。",
    ),
    # 民间借贷
    _c(
        "private_lending",
        "pl_repay",
        "归还借款",
        "{debtor}于{due_date}前向{creditor}归还借款本金{amount}，{interest}。",
    ),
    _c(
        "private_lending",
        "pl_instalment",
        "分期还款",
        "{debtor}分{count}期归还，每期{instalment_amount}，于每月{pay_day}日前支付，自{start_date}起至{end_date}止。",
    ),
    _c(
        "private_lending",
        "pl_acceleration",
        "加速到期",
        "{debtor}任何一期逾期超过{grace_days}日的，{creditor}有权要求一次性清偿全部剩余款项。",
    ),
    # 交通事故
    _c(
        "traffic_accident",
        "ta_compensation",
        "一次性赔偿",
        "{payer}一次性赔偿{payee}医疗费、误工费、护理费、交通费等各项损失共计{amount}（不含保险公司已赔付部分），于{due_date}前付清。",
    ),
    _c(
        "traffic_accident",
        "ta_insurance",
        "保险理赔配合",
        "{payee}配合{payer}向{insurer}办理理赔手续，所得保险理赔款{insurance_amount}归{beneficiary}所有。",
    ),
    _c(
        "traffic_accident",
        "ta_vehicle",
        "车辆维修",
        "{party}承担车牌号为{plate}的车辆维修费用{amount}，维修于{due_date}前完成。",
    ),
    # 装修/承揽
    _c(
        "renovation",
        "rn_rework",
        "返工修复",
        "{party}于{fix_date}前对{premises}的{repair}进行返工修复，费用由{party}承担，修复后由{other}验收。",
    ),
    _c(
        "renovation",
        "rn_pay",
        "支付工程款",
        "{payer}于{due_date}前向{payee}支付{premises}的装修（承揽）工程款{amount}。",
    ),
    _c(
        "renovation",
        "rn_reduce",
        "减少价款",
        "因{matter}，{payee}同意减收工程款{amount}，{payer}于{due_date}前付清其余款项。",
    ),
    # 合同
    _c("contract", "ct_perform", "继续履行", "{party}于{due_date}前履行{matter}。"),
    _c(
        "contract",
        "ct_terminate",
        "解除合同并返还",
        "双方同意解除{matter}，{payer}于{due_date}前向{payee}返还{amount}。",
    ),
    # 物业服务
    _c(
        "property_management",
        "pm_service",
        "物业服务整改",
        "{company}于{fix_date}前完成{repair}，并在{place}公示处理结果。",
    ),
    # 房屋租赁
    _c(
        "property_lease",
        "pl_repair",
        "房屋维修",
        "{lessor}于{fix_date}前完成{premises}的{repair}。",
    ),
    _c(
        "property_lease",
        "pl_rent",
        "补交租金",
        "{lessee}于{due_date}前向{lessor}补交{period}租金{amount}。",
    ),
    _c(
        "property_lease",
        "pl_move_out",
        "退租交房",
        "{lessee}于{move_date}前搬离{premises}并交还钥匙，{lessor}于交房当日退还押金{deposit_amount}。",
    ),
    _c(
        "property_management",
        "pl_fee",
        "物业费",
        "{owner}于{due_date}前向{company}缴纳{period}物业服务费{amount}，{company}于{fix_date}前完成{repair}。",
    ),
    # 消费纠纷
    _c(
        "consumer",
        "cs_refund",
        "退货退款",
        "{consumer}于{return_date}前退还{goods}，{seller}于收货后{days}日内退还货款{amount}。",
    ),
    _c(
        "consumer",
        "cs_replace",
        "更换/维修",
        "{seller}于{due_date}前为{consumer}免费更换（维修）{goods}，并承担往返运费。",
    ),
    _c(
        "consumer",
        "cs_compensate",
        "赔偿",
        "{seller}于{due_date}前赔偿{consumer}{matter}损失{amount}。",
    ),
    # 人身/财产损害
    _c(
        "injury_damage",
        "id_medical",
        "医疗费用赔偿",
        "{payer}赔偿{payee}医疗费、护理费、营养费、误工费等共计{amount}，于{due_date}前付清。",
    ),
    _c(
        "injury_damage",
        "id_property",
        "财产损失赔偿",
        "{payer}赔偿{payee}{item}损失{amount}，于{due_date}前付清。",
    ),
    _c("injury_damage", "id_apology", "赔礼道歉", "{party}就{matter}向{other}当面赔礼道歉。"),
    # 土地/房屋
    _c(
        "land_housing",
        "lh_boundary",
        "界址确认",
        "双方确认以{marker}为界，界址以东归{east_owner}使用，以西归{west_owner}使用。",
    ),
    _c(
        "land_housing",
        "lh_vacate",
        "腾退房屋",
        "{party}于{due_date}前腾空位于{premises}的房屋并交付{other}。",
    ),
    _c(
        "land_housing",
        "lh_compensate",
        "补偿款",
        "{payer}于{due_date}前向{payee}支付{matter}补偿款{amount}。",
    ),
    # 其他
    _c("other", "ot_pay", "支付款项", "{payer}于{due_date}前向{payee}支付{matter}{amount}。"),
    _c("other", "ot_act", "履行行为", "{party}于{due_date}前完成{act}。"),
)

#: Clauses that fit every dispute type (settlement finality, default).
COMMON_CLAUSES: tuple[Clause, ...] = (
    _c(
        "common",
        "cm_final",
        "一次性了结",
        "本协议履行完毕后，双方就{matter}再无其他争议，任何一方不得再以同一事由向对方主张权利。",
    ),
    _c(
        "common",
        "cm_default",
        "违约责任",
        "{party}未按本协议约定履行的，应当自逾期之日起按未付金额每日{rate}向对方支付违约金。",
    ),
    _c(
        "common",
        "cm_payment_account",
        "付款方式",
        "上述款项以银行转账方式支付至{payee}指定账户（开户行：{bank}，账号：{account}），以到账时间为准。",
    ),
)

_BY_CODE: dict[str, Clause] = {item.code: item for item in (*_CLAUSES, *COMMON_CLAUSES)}
if len(_BY_CODE) != len(_CLAUSES) + len(COMMON_CLAUSES):  # pragma: no cover - import guard
    raise RuntimeError("duplicate clause codes")


def dispute_label(code: str) -> str:
    """Chinese label for a dispute-type code; unknown codes raise ``KeyError``."""
    return DISPUTE_TYPES[code]


def clauses_for(dispute_type: str) -> tuple[Clause, ...]:
    """Clauses for ``dispute_type`` followed by the common ones."""
    if dispute_type not in DISPUTE_TYPES:
        raise KeyError(f"unknown dispute type {dispute_type!r}")
    own = tuple(item for item in _CLAUSES if item.dispute_type == dispute_type)
    return own + COMMON_CLAUSES


def clause(code: str) -> Clause:
    """Look a clause up by its code."""
    return _BY_CODE[code]


def _display(name: str, value: str) -> str:
    if name.endswith("amount"):
        return f"人民币{format_amount(value)}元（大写：{to_capital(value)}）"
    if name.endswith("date"):
        return cn_date(value)
    return value


def fill(item: Clause, values: Mapping[str, str]) -> str:
    """Fill ``item`` with ``values``; every placeholder is required.

    Raises :class:`MissingFieldsError` naming each blank left empty, so a mediator sees all
    gaps at once. Values are cleaned like any user text.
    """
    missing = [name for name in item.fields if not str(values.get(name, "")).strip()]
    if missing:
        raise MissingFieldsError(f"clause {item.code}", missing)
    shown = {name: _display(name, clean_text(str(values[name]))) for name in item.fields}
    return item.text.format(**shown)
