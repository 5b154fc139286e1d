"""The rules people ask about most, and where the base holds them: an interpretation first.

Why: the article a resident needs is often not in a law but in a judicial interpretation — the
interest cap of private loans (民间借贷规定), how injury damages are computed (人身损害赔偿解释),
what a traffic accident's insurer pays (道路交通事故解释). A lay search ranks national law first
(:data:`legal_kb.engine.KIND_PRIOR`), so the answer would quote the general article of the Civil
Code and miss the figure. Each :class:`Topic` says *which documents* hold a rule and *which
words* show that a question asks about it; the article itself is found by searching that
document with the question, and shown only if its text uses one of the topic's own terms. No
article number is written here: what is quoted always comes from the base, with its status.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    """A rule people ask about: when it applies and where the base holds it."""

    code: str
    #: Dispute types where the topic comes up (``None``: any).
    dispute_types: tuple[str, ...] | None
    #: Words of a question or a dispute summary that show the topic is asked about.
    triggers: tuple[str, ...]
    #: Documents to search, in order (usual short names; the first with a match is used).
    documents: tuple[str, ...]
    #: Words added to the search, and at least one of which the article must contain.
    terms: tuple[str, ...]


TOPICS: tuple[Topic, ...] = (
    Topic(
        "interest_cap",
        ("private_lending",),
        ("利息", "利率", "高利贷", "年息", "月息", "几分息", "分利", "砍头息"),
        ("民间借贷规定",),
        ("利率", "利息"),
    ),
    Topic(
        "damages_standard",
        ("injury_damage", "traffic_accident", "neighbour", "labour_wages"),
        (
            "赔偿标准",
            "赔多少",
            "怎么赔",
            "赔偿多少",
            "医药费",
            "医疗费",
            "误工费",
            "护理费",
            "营养费",
            "伤残",
            "残疾赔偿金",
            "死亡赔偿金",
            "丧葬费",
        ),
        ("人身损害赔偿解释",),
        ("医疗费", "误工费", "护理费", "赔偿金", "丧葬费", "营养费", "交通费"),
    ),
    Topic(
        "traffic_insurance",
        ("traffic_accident",),
        ("交强险", "保险公司", "商业险", "借车", "车主", "挂靠"),
        ("道路交通事故解释",),
        ("保险", "机动车"),
    ),
    Topic(
        "arbitration_time_limit",
        ("labour_wages",),
        ("仲裁时效", "时效", "过期", "多久", "期限", "一年内", "超过一年"),
        ("劳动争议解释（一）", "劳动争议调解仲裁法"),
        ("仲裁时效", "时效期间"),
    ),
    Topic(
        "limitation_period",
        ("private_lending", "consumer", "injury_damage", "property_lease", "other"),
        ("诉讼时效", "时效", "过了几年", "多少年", "过期"),
        ("诉讼时效规定", "民法典"),
        ("诉讼时效",),
    ),
    # Not a topic: leases in general (押金, 退租). 城镇房屋租赁解释 holds narrower rules (无效合同,
    # 装饰装修, 转租), and a search inside it for "押金" quoted an article on decoration costs.
    Topic(
        "property_fee",
        (
            "property_management",
            "property_lease",
        ),  # 物业 was part of property_lease before issue 19
        ("物业费", "物业公司", "物业服务"),
        ("物业服务解释",),
        ("物业",),
    ),
)


def topics_for(text: str, dispute_type: str | None) -> list[Topic]:
    """The topics ``text`` asks about, for a dispute of ``dispute_type`` (any when ``None``)."""
    return [
        t
        for t in TOPICS
        if (dispute_type is None or t.dispute_types is None or dispute_type in t.dispute_types)
        and any(word in text for word in t.triggers)
    ]
