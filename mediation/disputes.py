"""Dispute types (纠纷类型) used for routing, clauses, statistics and statute filters.

Labels are user-facing text and live in the message catalogs under ``dispute.<code>``.

Why these types: they are what a 人民调解委员会 registers (婚姻家庭, 邻里, 劳动/欠薪, 借贷,
装修/承揽, 买卖/消费, 物业, 租赁, 合同, 交通事故, 侵权损害, 土地房屋). Before issue 19 there was
no 装修/承揽 or 合同 type, and 物业 shared a type with 租赁, so a renovation dispute was filed as
"其他" and got hints from the whole Civil Code. Codes are stored in cases: an existing code is
never renamed (``property_lease`` now reads 房屋租赁, ``injury_damage`` 侵权/损害赔偿).
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum


class DisputeType(StrEnum):
    MARRIAGE_FAMILY = "marriage_family"  # 婚姻家庭
    NEIGHBOUR = "neighbour"  # 邻里纠纷
    LABOUR_WAGES = "labour_wages"  # 劳动争议/欠薪
    PRIVATE_LENDING = "private_lending"  # 民间借贷
    RENOVATION = "renovation"  # 装修/承揽
    CONSUMER = "consumer"  # 买卖/消费
    PROPERTY_MANAGEMENT = "property_management"  # 物业服务
    PROPERTY_LEASE = "property_lease"  # 房屋租赁
    CONTRACT = "contract"  # 合同纠纷 (other contracts)
    TRAFFIC_ACCIDENT = "traffic_accident"  # 交通事故
    INJURY_DAMAGE = "injury_damage"  # 侵权/损害赔偿 (人身、财产)
    LAND_HOUSING = "land_housing"  # 土地/房屋
    OTHER = "other"  # 其他


#: Routes other than people's mediation, per dispute type, shown when mediation is refused or
#: fails. Keys are catalog keys under ``route.``.
OTHER_ROUTES: dict[DisputeType, tuple[str, ...]] = {
    DisputeType.MARRIAGE_FAMILY: ("litigation", "legal_aid", "womens_federation"),
    DisputeType.NEIGHBOUR: ("litigation", "administrative", "legal_aid"),
    DisputeType.LABOUR_WAGES: ("labour_arbitration", "labour_inspection", "legal_aid"),
    DisputeType.PRIVATE_LENDING: ("litigation", "payment_order", "legal_aid"),
    DisputeType.RENOVATION: ("litigation", "arbitration", "market_regulation", "legal_aid"),
    DisputeType.CONSUMER: ("consumer_association", "market_regulation", "litigation"),
    DisputeType.PROPERTY_MANAGEMENT: ("administrative", "litigation", "legal_aid"),
    DisputeType.PROPERTY_LEASE: ("litigation", "arbitration", "administrative", "legal_aid"),
    DisputeType.CONTRACT: ("litigation", "arbitration", "legal_aid"),
    DisputeType.TRAFFIC_ACCIDENT: ("traffic_police", "litigation", "insurance", "legal_aid"),
    DisputeType.INJURY_DAMAGE: ("litigation", "police", "legal_aid"),
    DisputeType.LAND_HOUSING: ("administrative", "litigation", "legal_aid"),
    DisputeType.OTHER: ("litigation", "arbitration", "legal_aid"),
}

#: Words a person types for a dispute type ("装修纠纷", "欠我工钱", "物业费"), most specific
#: type first: the first type with a word in the text is proposed, and the person confirms it
#: (a guess is never filed without a press). Everyday words, not legal terms of art.
TYPE_WORDS: tuple[tuple[DisputeType, tuple[str, ...]], ...] = (
    (DisputeType.RENOVATION, ("装修", "装潢", "承揽", "施工队", "包工", "定作", "翻新")),
    (DisputeType.PROPERTY_MANAGEMENT, ("物业", "业委会", "停车费", "电梯")),
    (DisputeType.PROPERTY_LEASE, ("租房", "租赁", "房租", "押金", "房东", "租客", "退租")),
    (DisputeType.TRAFFIC_ACCIDENT, ("交通", "车祸", "撞车", "追尾", "剐蹭", "电动车", "撞了")),
    (DisputeType.LABOUR_WAGES, ("欠薪", "工资", "工钱", "劳动", "加班", "辞退", "工伤", "老板")),
    (DisputeType.PRIVATE_LENDING, ("借贷", "借款", "借钱", "欠钱", "欠款", "借条", "利息")),
    (
        DisputeType.MARRIAGE_FAMILY,
        ("婚姻", "家庭", "离婚", "赡养", "抚养", "继承", "遗产", "彩礼", "夫妻"),
    ),
    (DisputeType.NEIGHBOUR, ("邻里", "邻居", "楼上", "楼下", "噪音", "漏水", "相邻")),
    (DisputeType.CONSUMER, ("买卖", "消费", "购物", "网购", "商家", "退货", "退款", "质量")),
    (DisputeType.LAND_HOUSING, ("土地", "宅基地", "房屋", "承包地", "拆迁", "征地")),
    (DisputeType.INJURY_DAMAGE, ("侵权", "损害", "打伤", "受伤", "咬伤", "赔偿", "损坏")),
    (DisputeType.CONTRACT, ("合同", "协议", "违约", "合作", "合伙", "定金", "订金")),
)


def type_from_text(text: str) -> DisputeType | None:
    """The dispute type a typed answer names ("装修纠纷" → 装修/承揽), or ``None``.

    Also the type's own label as typed ("婚姻家庭", "其他"); the caller asks the person to
    confirm before it is used."""
    raw = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    if not raw or len(raw) > 200:
        return None
    if raw in ("其他", "其它", "别的", "都不是"):
        return DisputeType.OTHER
    for kind, words in TYPE_WORDS:
        if any(word in raw for word in words):
            return kind
    return None
