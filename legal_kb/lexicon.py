"""Everyday words → the words the statutes use for the same thing (query expansion).

Why: people ask in their own words (老板, 欠薪, 房东, 撞车, 邻居家漏水) and the law speaks of
用人单位, 劳动报酬, 出租人, 交通事故, 相邻关系 and 排水. Keyword search cannot bridge that gap
and the dense model bridges it only partly. This is a thesaurus of the common everyday terms
across the dispute types the service mediates, written from the statutes' own vocabulary: it is
not built from, or checked against, any benchmark question. A term found in a question adds its
legal terms to the keyword query at a reduced weight (:data:`EXPANSION_WEIGHT`), never replacing
the person's own words.

Measured on STARD dev (209 questions, docs/benchmarks.md): keyword ranking alone R@5 0.391 →
0.408; the hybrid ranking 0.565 → 0.562 (neutral: the dense model already bridges what the
lexicon does), so the engine expands only when it ranks by keywords alone — before the dense
index is built on a first start, or with ``KB_DENSE=0``.
"""

from __future__ import annotations

#: Weight of an added legal term against 1.0 for the question's own whole words.
EXPANSION_WEIGHT = 0.5

LAY_TO_LEGAL: dict[str, tuple[str, ...]] = {
    # 婚姻家庭
    "老公": ("夫妻", "配偶"),
    "丈夫": ("夫妻", "配偶"),
    "老婆": ("夫妻", "配偶"),
    "妻子": ("夫妻", "配偶"),
    "媳妇": ("夫妻", "配偶"),
    "孩子": ("子女",),
    "小孩": ("子女", "未成年人"),
    "儿子": ("子女",),
    "女儿": ("子女",),
    "家暴": ("家庭暴力",),
    "出轨": ("与他人同居", "过错"),
    "小三": ("与他人同居", "重婚"),
    "养老": ("赡养",),
    "爸妈": ("父母",),
    "领证": ("结婚登记",),
    "私生子": ("非婚生子女",),
    "彩礼": ("婚约", "财产"),
    # 邻里
    "邻居": ("相邻", "不动产权利人"),
    "楼上": ("相邻",),
    "楼下": ("相邻",),
    "漏水": ("排水", "用水", "损害"),
    "渗水": ("排水", "损害"),
    "噪音": ("噪声",),
    "挡光": ("采光", "日照"),
    "堵路": ("通行",),
    "狗咬": ("饲养动物", "动物"),
    "高空抛物": ("抛掷物品", "建筑物"),
    "泡坏": ("损害", "赔偿"),
    "弄坏": ("损害", "赔偿"),
    "砸坏": ("毁损", "损害"),
    # 劳动
    "老板": ("用人单位",),
    "公司": ("用人单位",),
    "厂里": ("用人单位",),
    "员工": ("劳动者",),
    "工人": ("劳动者",),
    "打工": ("劳动者",),
    "工资": ("劳动报酬",),
    "薪水": ("劳动报酬", "工资"),
    "欠薪": ("拖欠", "劳动报酬"),
    "辞退": ("解除劳动合同",),
    "开除": ("解除劳动合同",),
    "炒鱿鱼": ("解除劳动合同",),
    "辞职": ("解除劳动合同",),
    "离职": ("解除劳动合同",),
    "加班": ("延长工作时间",),
    "社保": ("社会保险",),
    "年假": ("带薪年休假",),
    "怀孕": ("孕期", "女职工"),
    "包工头": ("承包",),
    # 借贷
    "借钱": ("借款",),
    "欠钱": ("债务", "清偿"),
    "欠债": ("债务", "清偿"),
    "还钱": ("清偿", "偿还"),
    "借条": ("借款", "债权"),
    "欠条": ("债务", "债权"),
    "高利贷": ("利率", "利息"),
    "担保人": ("保证人",),
    "保人": ("保证人",),
    "老赖": ("强制执行",),
    # 交通
    "撞车": ("交通事故",),
    "车祸": ("交通事故",),
    "剐蹭": ("交通事故",),
    "司机": ("驾驶人",),
    "酒驾": ("饮酒", "醉酒"),
    "交强险": ("机动车第三者责任强制保险",),
    "电动车": ("非机动车",),
    # 租赁、物业
    "房东": ("出租人",),
    "租客": ("承租人",),
    "房租": ("租金",),
    "退租": ("解除合同", "租赁"),
    "物业公司": ("物业服务人",),
    # 消费
    "假货": ("欺诈", "假冒"),
    "商家": ("经营者",),
    "卖家": ("经营者",),
    "店家": ("经营者",),
    "顾客": ("消费者",),
    "买家": ("消费者",),
    "网购": ("电子商务",),
    "过期": ("保质期",),
    # 人身、财产损害
    "打人": ("殴打", "人身损害"),
    "被打": ("殴打", "人身损害"),
    "打架": ("殴打", "斗殴"),
    "受伤": ("人身损害", "伤害"),
    "医药费": ("医疗费",),
    "看病": ("医疗",),
    "造谣": ("诽谤", "名誉"),
    "骂人": ("侮辱", "名誉"),
    "被偷": ("盗窃",),
    "赔钱": ("赔偿",),
    # 土地、房屋
    "拆迁": ("征收", "补偿"),
    "房产证": ("不动产", "登记"),
    "买房": ("房屋买卖",),
    # 诉讼、其他
    "打官司": ("诉讼", "起诉"),
    "告他": ("起诉",),
    "报警": ("公安机关",),
    "法院": ("人民法院",),
    "聊天记录": ("电子数据", "证据"),
    "录音": ("证据",),
    "骗": ("欺诈",),
    "订金": ("定金",),
    "中介": ("中介人",),
    "装修": ("装饰装修",),
}


def expansions(text: str) -> dict[str, float]:
    """Legal terms for the everyday terms in ``text`` that ``text`` does not already hold."""
    out: dict[str, float] = {}
    for lay, legal in LAY_TO_LEGAL.items():
        if lay in text:
            for term in legal:
                if term not in text:
                    out[term] = EXPANSION_WEIGHT
    return out
