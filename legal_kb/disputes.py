"""Dispute types used across the project and the parts of the law relevant to each.

Why ranges inside 民法典: the Civil Code holds most of the law for every type of dispute, so
"relevant to a marriage dispute" must mean its 婚姻家庭 and 继承 parts, not all 1,260 articles.
The ranges follow the chapter boundaries stored in laws.db (e.g. 第一千零四十条 starts 婚姻家庭,
第一千一百一十九条 starts 继承). Laws are named by short title (without 中华人民共和国; a court
interpretation by its usual short name, :func:`legal_kb.names.short_title`); a law missing from
the KB is simply ignored by the filter.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LawScope:
    """A law (short title) and optionally the article ranges of it that matter (inclusive)."""

    law: str
    ranges: tuple[tuple[int, int], ...] = ()

    def covers(self, number: int | None) -> bool:
        if not self.ranges:
            return True
        return number is not None and any(lo <= number <= hi for lo, hi in self.ranges)


@dataclass(frozen=True)
class DisputeType:
    """A dispute type: code, names in both languages, and where its law is."""

    code: str
    zh: str
    en: str
    scopes: tuple[LawScope, ...]


_CIVIL = "民法典"

DISPUTE_TYPES: dict[str, DisputeType] = {
    d.code: d
    for d in (
        DisputeType(
            "marriage_family",
            "婚姻家庭",
            "Marriage and family",
            (
                LawScope(_CIVIL, ((1040, 1163),)),
                LawScope("妇女权益保障法"),
                LawScope("未成年人保护法"),
                LawScope("反家庭暴力法"),
                LawScope("老年人权益保障法"),
                LawScope("婚姻家庭编解释（一）"),
                LawScope("婚姻家庭编解释（二）"),
                LawScope("继承编解释（一）"),
            ),
        ),
        DisputeType(
            "neighbour",
            "邻里纠纷",
            "Neighbours",
            (
                LawScope(_CIVIL, ((271, 296), (1164, 1187), (1245, 1258))),
                LawScope("治安管理处罚法"),
                LawScope("噪声污染防治法"),
                LawScope("人民调解法"),
            ),
        ),
        DisputeType(
            "labour_wages",
            "劳动争议/欠薪",
            "Labour and unpaid wages",
            (
                LawScope("劳动法"),
                LawScope("劳动合同法"),
                LawScope("劳动争议调解仲裁法"),
                LawScope("社会保险法"),
                LawScope("就业促进法"),
                LawScope("劳动争议解释（一）"),
                LawScope("保障农民工工资支付条例"),
                LawScope("劳动保障监察条例"),
                LawScope("工伤保险条例"),
            ),
        ),
        DisputeType(
            "private_lending",
            "民间借贷",
            "Private lending",
            (LawScope(_CIVIL, ((188, 199), (667, 702))), LawScope("民间借贷规定")),
        ),
        DisputeType(
            "renovation",
            "装修/承揽",
            "Renovation and work contracts",
            (
                LawScope(_CIVIL, ((770, 808),)),
                LawScope("建设工程施工合同解释（一）"),
                LawScope("建设工程质量管理条例"),
            ),
        ),
        DisputeType(
            "consumer",
            "买卖/消费",
            "Sales and consumer disputes",
            (
                LawScope("消费者权益保护法"),
                LawScope("产品质量法"),
                LawScope("食品安全法"),
                LawScope("电子商务法"),
                LawScope(_CIVIL, ((595, 647), (1202, 1207))),
                LawScope("买卖合同解释"),
                LawScope("网络消费规定（一）"),
                LawScope("预付式消费民事解释"),
            ),
        ),
        DisputeType(
            "property_management",
            "物业服务",
            "Property management",
            (
                LawScope(_CIVIL, ((271, 287), (937, 950))),
                LawScope("物业服务解释"),
                LawScope("物业管理条例"),
            ),
        ),
        DisputeType(
            "property_lease",
            "房屋租赁",
            "Leases",
            (
                LawScope(_CIVIL, ((703, 734),)),
                LawScope("城市房地产管理法"),
                LawScope("城镇房屋租赁解释"),
            ),
        ),
        DisputeType(
            "contract",
            "合同纠纷",
            "Contracts",
            (
                LawScope(_CIVIL, ((463, 978),)),
                LawScope("合同编通则解释"),
                LawScope("买卖合同解释"),
            ),
        ),
        DisputeType(
            "traffic_accident",
            "交通事故",
            "Traffic accident",
            (
                LawScope("道路交通安全法"),
                LawScope(_CIVIL, ((1164, 1187), (1208, 1217))),
                LawScope("保险法"),
                LawScope("道路交通事故解释"),
                LawScope("人身损害赔偿解释"),
                LawScope("机动车交通事故责任强制保险条例"),
            ),
        ),
        DisputeType(
            "injury_damage",
            "侵权/损害赔偿",
            "Torts: injury or damage to property",
            (
                LawScope(_CIVIL, ((989, 1039), (1164, 1258))),
                LawScope("治安管理处罚法"),
                LawScope("人身损害赔偿解释"),
                LawScope("精神损害赔偿解释"),
            ),
        ),
        DisputeType(
            "land_housing",
            "土地/房屋",
            "Land and housing",
            (
                LawScope("土地管理法"),
                LawScope("农村土地承包法"),
                LawScope("城市房地产管理法"),
                LawScope(_CIVIL, ((205, 385),)),
            ),
        ),
        DisputeType(
            "other",
            "其他",
            "Other",
            (LawScope("人民调解法"), LawScope(_CIVIL), LawScope("人民调解委员会组织条例")),
        ),
    )
}


# The general part of contract law (第四百六十三条–第五百九十四条) is in the scope of 合同纠纷 only:
# a type's scope also names the type of a question asked without a case
# (features.lawyers.assistant.guess_dispute_type, ties to the type listed first), so a breach
# question must not read as 装修 or 买卖. The hints add it where it applies (HINT_FIELDS).


def dispute_type(code: str) -> DisputeType:
    """The dispute type for ``code``; ``KeyError`` names the valid codes."""
    try:
        return DISPUTE_TYPES[code]
    except KeyError:
        raise KeyError(
            f"unknown dispute type {code!r}; one of {', '.join(DISPUTE_TYPES)}"
        ) from None


#: Words of a case's title (its 案由: "…纠纷案") or facts that say its dispute type, most
#: specific first. General legal vocabulary, not fitted to any case or question.
_TYPE_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("private_lending", ("民间借贷", "借款合同", "借贷")),
    ("traffic_accident", ("交通事故", "机动车")),
    ("labour_wages", ("劳动争议", "劳动合同", "劳动者", "用人单位", "加班", "工资", "工伤")),
    ("marriage_family", ("离婚", "婚姻", "继承", "遗嘱", "抚养", "赡养", "收养", "夫妻", "彩礼")),
    ("renovation", ("装饰装修", "装修", "承揽", "建设工程", "施工合同")),
    ("property_management", ("物业",)),
    ("property_lease", ("租赁", "出租", "承租")),
    ("neighbour", ("相邻", "邻居", "噪音", "噪声")),
    ("land_housing", ("土地", "宅基地", "房屋买卖", "商品房", "承包经营", "农村土地")),
    (
        "consumer",
        ("消费者", "网络购物", "购物合同", "买卖合同", "服务合同", "预付", "经营者", "医美"),
    ),
    ("injury_damage", ("人身损害", "身体权", "健康权", "生命权", "财产损害", "侵权", "名誉")),
)


def guess_dispute_type(title: str, text: str = "", field: str = "") -> str:
    """The dispute type of a typical case from its title (then its field and facts).

    Administrative cases (a field such as 行政协议诉讼) are not disputes between residents: other.
    """
    if "行政" in field:
        return "other"
    for source in (title, field, text):
        for code, words in _TYPE_WORDS:
            if any(word in source for word in words):
                return code
    return "other"


#: Where an automatic hint after filing may come from, per dispute type: the dispute's own field
#: of law, narrower than the search scope above (a 装修 dispute is about 承揽/建设工程 and breach,
#: not 合伙 or 共有, though both are in the Civil Code's contract and property books). Ranges are
#: chapter boundaries in laws.db (民法典: 第五百零九条–第五百一十一条 履行, 第五百六十三条–第五百六十六条
#: 解除, 第五百七十七条–第五百九十四条 违约责任, 第七百七十条–第八百零八条 承揽/建设工程合同…).
#: "Other" has no field: no article is suggested for it.
HINT_FIELDS: dict[str, tuple[LawScope, ...]] = {
    "marriage_family": (
        LawScope(_CIVIL, ((1040, 1163),)),
        LawScope("婚姻家庭编解释（一）"),
        LawScope("婚姻家庭编解释（二）"),
        LawScope("继承编解释（一）"),
        LawScope("老年人权益保障法"),
        LawScope("反家庭暴力法"),
        LawScope("未成年人保护法"),
    ),
    "neighbour": (
        LawScope(_CIVIL, ((236, 238), (271, 296), (1254, 1254))),
        LawScope("噪声污染防治法"),
    ),
    "labour_wages": (
        LawScope("劳动法"),
        LawScope("劳动合同法"),
        LawScope("劳动争议调解仲裁法"),
        LawScope("劳动争议解释（一）"),
        LawScope("保障农民工工资支付条例"),
        LawScope("工伤保险条例"),
        LawScope("社会保险法"),
    ),
    "private_lending": (LawScope(_CIVIL, ((667, 680),)), LawScope("民间借贷规定")),
    "renovation": (
        LawScope(_CIVIL, ((509, 511), (563, 566), (577, 594), (770, 808))),
        LawScope("建设工程施工合同解释（一）"),
    ),
    "consumer": (
        LawScope("消费者权益保护法"),
        LawScope("产品质量法"),
        LawScope("食品安全法"),
        LawScope("电子商务法"),
        LawScope(_CIVIL, ((577, 647), (1202, 1207))),
        LawScope("买卖合同解释"),
        LawScope("网络消费规定（一）"),
        LawScope("预付式消费民事解释"),
    ),
    "property_management": (
        LawScope(_CIVIL, ((271, 287), (937, 950))),
        LawScope("物业服务解释"),
        LawScope("物业管理条例"),
    ),
    "property_lease": (LawScope(_CIVIL, ((703, 734),)), LawScope("城镇房屋租赁解释")),
    "contract": (
        LawScope(_CIVIL, ((509, 511), (563, 566), (577, 978))),
        LawScope("合同编通则解释"),
    ),
    "traffic_accident": (
        LawScope("道路交通安全法"),
        LawScope(_CIVIL, ((1179, 1184), (1208, 1217))),
        LawScope("道路交通事故解释"),
        LawScope("人身损害赔偿解释"),
        LawScope("机动车交通事故责任强制保险条例"),
    ),
    "injury_damage": (
        LawScope(_CIVIL, ((990, 1039), (1164, 1258))),
        LawScope("人身损害赔偿解释"),
        LawScope("精神损害赔偿解释"),
    ),
    "land_housing": (
        LawScope("土地管理法"),
        LawScope("农村土地承包法"),
        LawScope(_CIVIL, ((205, 243), (297, 310), (330, 365))),
    ),
    "other": (),
}
