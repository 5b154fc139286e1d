"""Intake facts for ``benchmarks/intake_hints.py``: what an applicant types at 事情经过 and 申请事项,
the type they would pick (now, and in the menu before issue 19), and the articles a mediator
would accept as a hint for it.

Written for the benchmark (issue 19), not taken from any case: several per dispute type, in the
words residents use. ``accept`` maps a law's short title to article numbers or inclusive
ranges; a law given with ``ALL`` accepts any of its articles (an interpretation written for
exactly this kind of dispute). Labels were set from the articles' text in the knowledge base
(laws.db + the shipped corpus), before the hints were tuned.
"""

from __future__ import annotations

from dataclasses import dataclass

ALL: tuple[tuple[int, int], ...] = ((1, 10_000),)
Spec = tuple[int | tuple[int, int], ...]


@dataclass(frozen=True)
class IntakeFacts:
    key: str
    kind: str  # the type picked now (mediation.disputes.DisputeType)
    old_kind: str  # the type the menu before issue 19 offered for it
    facts: str
    claims: str
    accept: dict[str, Spec]


_BREACH: Spec = ((577, 584),)
_WORK: Spec = (770, (780, 783), 787, *_BREACH)
_BUILD: Spec = (799, 801, 807, *_BREACH)

CASES: tuple[IntakeFacts, ...] = (
    # 装修/承揽 (before: 其他)
    IntakeFacts("rn1", "renovation", "other",
        "去年请装修队装修新房，合同价六万，完工后卫生间漏水、墙面开裂，找老板返工一直拖着不来。",
        "返工修好漏水和墙面，或者退还部分装修款", {"民法典": (*_WORK, *_BUILD, 509)}),
    IntakeFacts("rn2", "renovation", "other",
        "装修公司收了三万元定金，开工一周就停工了，工人撤走，电话也不接。",
        "退还定金三万元", {"民法典": (*_WORK, 563, 566, (586, 588))}),
    IntakeFacts("rn3", "renovation", "other",
        "我给业主家做木工活，活干完了，业主验收过了，还差四千八工钱一直不给。",
        "支付剩下的工钱四千八", {"民法典": ((770, 772), 780, 782, 783, 509, *_BREACH)}),
    IntakeFacts("rn4", "renovation", "other",
        "找师傅做全屋定制衣柜，做出来尺寸不对装不上，板材也不是说好的那种。",
        "重新做或者退钱", {"民法典": (*_WORK, 509, 510, 511)}),
    IntakeFacts("rn5", "renovation", "other",
        "装修队拖延工期两个多月，说好三个月完工，现在还没弄完，我们只能在外面租房住。",
        "赔偿延期的租房损失", {"民法典": (*_WORK, *_BUILD, 509)}),
    # 买卖/消费
    IntakeFacts("cs1", "consumer", "consumer",
        "在小区门口的家电店买了一台冰箱，用了十天就不制冷了，店家不给退也不给换。",
        "退货退款", {"消费者权益保护法": (23, 24, 40, 48, 52), "民法典": (610, (615, 617), *_BREACH),
                   "产品质量法": ((40, 41),)}),
    IntakeFacts("cs2", "consumer", "consumer",
        "在理发店办了三千元的会员卡，没用几次店就关门了，老板说转给别人了，卡不能用了。",
        "退还卡里剩下的钱", {"预付式消费民事解释": ALL, "消费者权益保护法": (53, 48), "民法典": (*_BREACH, 563, 566)}),
    IntakeFacts("cs3", "consumer", "consumer",
        "网上买的手机是翻新机，商家当成新机卖给我，现在不承认。",
        "退一赔三", {"消费者权益保护法": (55, 20, 8, 24), "网络消费规定（一）": ALL, "电子商务法": ALL}),
    IntakeFacts("cs4", "consumer", "consumer",
        "在超市买的牛奶过期了，孩子喝了拉肚子，去医院花了几百块。",
        "赔偿医药费和十倍赔偿", {"食品安全法": (148, 34), "消费者权益保护法": (49, 55, 40, 48),
                               "民法典": ((1202, 1207), 1179), "产品质量法": ((40, 44),)}),
    IntakeFacts("cs5", "consumer", "other",
        "我把旧车卖给邻居老刘，车已经交给他了，还差两万块车款他一直拖着不给。",
        "付清剩下的两万元车款", {"民法典": (595, 598, 626, 628, 509, *_BREACH, 634)}),
    # 物业服务 (before: 物业/租赁)
    IntakeFacts("pm1", "property_management", "property_lease",
        "物业公司说我欠了两年物业费，要起诉我，可是小区电梯经常坏、垃圾没人清，服务太差了。",
        "物业把服务做好，物业费适当减免", {"民法典": ((937, 950),), "物业服务解释": ALL, "物业管理条例": ALL}),
    IntakeFacts("pm2", "property_management", "property_lease",
        "停在小区里的车被高空落下的花盆砸坏了，物业说不关他们的事。",
        "物业和楼上住户赔偿修车费", {"民法典": (1254, 942, 1184, 1165, 1253, (937, 950)), "物业服务解释": ALL}),
    IntakeFacts("pm3", "property_management", "property_lease",
        "物业公司因为我没交物业费，给我家停水停电，老人孩子都没法生活。",
        "马上恢复供水供电", {"民法典": (944, (937, 950), 288), "物业服务解释": ALL, "物业管理条例": ALL}),
    IntakeFacts("pm4", "property_management", "property_lease",
        "小区地下车库停车费物业说涨就涨，从每月两百涨到四百，也没有开业主大会。",
        "停车费恢复原价，公开收费依据", {"民法典": ((271, 287), (937, 950)), "物业服务解释": ALL, "物业管理条例": ALL}),
    # 房屋租赁
    IntakeFacts("pl1", "property_lease", "property_lease",
        "租的房子到期退租，房东以墙面脏了为由扣了我两千元押金不退。",
        "退还押金两千元", {"民法典": (703, 710, 711, 733, 509, *_BREACH, 566), "城镇房屋租赁解释": ALL}),
    IntakeFacts("pl2", "property_lease", "property_lease",
        "租的房子热水器坏了一个月，房东一直不修，我自己找人修了花了八百。",
        "房东承担维修费八百元", {"民法典": (712, 713, 708), "城镇房屋租赁解释": ALL}),
    IntakeFacts("pl3", "property_lease", "property_lease",
        "租客欠了三个月房租不交，也不搬走，电话也不接。",
        "交清房租并搬走", {"民法典": (721, 722, 733, 563, 566, 509, *_BREACH), "城镇房屋租赁解释": ALL}),
    IntakeFacts("pl4", "property_lease", "property_lease",
        "合同没到期房东就要卖房子，让我一个月内搬走，不给任何补偿。",
        "赔偿搬家损失或者让我住到合同到期", {"民法典": (725, 726, 728, 708, 509, *_BREACH, 563), "城镇房屋租赁解释": ALL}),
    # 合同 (before: 其他)
    IntakeFacts("ct1", "contract", "other",
        "和朋友合伙开火锅店，每人出资五万，现在店亏了他要退伙，要我把五万全退给他。",
        "按合伙协议结算，不能全退", {"民法典": ((967, 978),)}),
    IntakeFacts("ct2", "contract", "other",
        "委托中介卖房，中介收了两万中介费，房子没卖成也不退钱。",
        "退还中介费", {"民法典": ((961, 966), *_BREACH, 563, 566)}),
    IntakeFacts("ct3", "contract", "other",
        "我和养殖场签了收购合同，按约定收购他家的鸡，结果他把鸡卖给了别人，不按合同交货。",
        "按合同交货或者赔偿违约金", {"民法典": (509, *_BREACH, (585, 588), 595, 598, 563)}),
    IntakeFacts("ct4", "contract", "other",
        "交了五千元定金订婚宴，酒店后来说那天已经被别人订了，只肯退定金不肯赔。",
        "双倍返还定金", {"民法典": ((586, 588), *_BREACH, 509)}),
    # 劳动争议/欠薪
    IntakeFacts("lw1", "labour_wages", "labour_wages",
        "在工地干了四个月，包工头拖欠工资一万二千元，一直说没钱。",
        "支付拖欠的工资", {"劳动合同法": (30, 85), "劳动法": (50, 91), "保障农民工工资支付条例": ALL,
                         "劳动争议调解仲裁法": ALL}),
    IntakeFacts("lw2", "labour_wages", "labour_wages",
        "在饭店上班一年，老板一直不跟我签劳动合同，现在把我辞退了。",
        "支付没签合同的双倍工资和经济补偿", {"劳动合同法": (10, 82, 46, 47, 48, 87), "劳动争议解释（一）": ALL}),
    IntakeFacts("lw3", "labour_wages", "labour_wages",
        "每天加班到晚上十点，周末也上班，公司从来不给加班费。",
        "补发加班费", {"劳动法": (41, 44), "劳动合同法": (31, 85), "劳动争议解释（一）": ALL}),
    IntakeFacts("lw4", "labour_wages", "labour_wages",
        "在厂里干活时手被机器压伤了，厂里没给我买工伤保险，现在不管我。",
        "赔偿医疗费和工伤待遇", {"工伤保险条例": ALL, "社会保险法": ((33, 43), 41), "劳动法": (73,)}),
    # 民间借贷
    IntakeFacts("pv1", "private_lending", "private_lending",
        "前年借给表哥五万元，打了借条，说好一年还，现在过了一年多还不还。",
        "归还五万元借款和利息", {"民法典": (667, 674, 675, 676, 679, 680), "民间借贷规定": ALL}),
    IntakeFacts("pv2", "private_lending", "private_lending",
        "借了别人三万，他要我每个月还两分利，利息比本金还多了。",
        "按法律规定的利息算", {"民法典": (680,), "民间借贷规定": ((24, 32),)}),
    IntakeFacts("pv3", "private_lending", "private_lending",
        "朋友找我借钱做生意，我给他转了两万，没写借条，现在他说是我入股的钱。",
        "还钱", {"民法典": (667, 668, 675, 679), "民间借贷规定": ALL}),
    # 婚姻家庭
    IntakeFacts("mf1", "marriage_family", "marriage_family",
        "离婚后孩子跟我，前夫说好每月给一千五抚养费，已经半年没给了。",
        "按时支付抚养费", {"民法典": (1067, 1084, 1085, 1058), "婚姻家庭编解释（一）": ALL}),
    IntakeFacts("mf2", "marriage_family", "marriage_family",
        "我们兄妹三个，父亲八十岁了，大哥二哥都不出钱，全靠我一个人照顾。",
        "兄弟按份承担赡养费", {"民法典": (1067, 1069), "老年人权益保障法": ALL}),
    IntakeFacts("mf3", "marriage_family", "marriage_family",
        "订婚时给了女方家彩礼十八万，后来没有结婚，女方家不肯退。",
        "退还彩礼", {"婚姻家庭编解释（一）": (5,), "婚姻家庭编解释（二）": ALL, "民法典": (1042,)}),
    IntakeFacts("mf4", "marriage_family", "marriage_family",
        "父亲去世后留下一套房子，没有遗嘱，哥哥一个人住着不让我们分。",
        "按法定继承分房子", {"民法典": ((1121, 1132), (1151, 1163)), "继承编解释（一）": ALL}),
    # 邻里
    IntakeFacts("nb1", "neighbour", "neighbour",
        "楼上邻居家里天天半夜跳绳、拖椅子，吵得我们睡不着，上去说了几次没用。",
        "晚上十点后不要再发出噪音", {"民法典": (288, 294, 296), "噪声污染防治法": ((59, 70),),
                                     "治安管理处罚法": ALL}),
    IntakeFacts("nb2", "neighbour", "neighbour",
        "楼上卫生间漏水，我家天花板发霉掉皮，楼上不肯修也不肯赔。",
        "修好漏水并赔偿我家装修损失", {"民法典": (288, 290, 296, 1165, 1184, 236, 237, 238)}),
    IntakeFacts("nb3", "neighbour", "neighbour",
        "邻居在楼道里堆满杂物，还把电动车推到楼道里充电，挡着路也不安全。",
        "清理楼道杂物", {"民法典": (288, 291, 236, 272, 286, 294)}),
    IntakeFacts("nb4", "neighbour", "neighbour",
        "隔壁新建房子比原来高了两层，挡住了我家的采光。",
        "赔偿采光损失", {"民法典": (288, 293, 296, 236, 237)}),
    # 交通事故
    IntakeFacts("ta1", "traffic_accident", "traffic_accident",
        "骑电动车在路口被小轿车撞倒，腿骨折住院，交警认定对方全责，保险公司拖着不赔。",
        "赔偿医疗费误工费护理费", {"道路交通安全法": (76,), "民法典": (1179, 1208, 1213), "道路交通事故解释": ALL,
                                 "人身损害赔偿解释": ALL, "机动车交通事故责任强制保险条例": ALL}),
    IntakeFacts("ta2", "traffic_accident", "traffic_accident",
        "停在路边的车被倒车的货车刮了，后视镜和车门坏了，对方说只赔五百。",
        "按修理厂报价赔修车费", {"道路交通安全法": (76,), "民法典": (1184, 1208, 1165), "道路交通事故解释": ALL}),
    IntakeFacts("ta3", "traffic_accident", "traffic_accident",
        "朋友借我的车开，撞了人，对方家属找我要赔偿。",
        "弄清楚该谁赔", {"民法典": (1209, 1208), "道路交通事故解释": ALL, "道路交通安全法": (76,)}),
    # 侵权/损害赔偿
    IntakeFacts("id1", "injury_damage", "injury_damage",
        "在小区被邻居家的狗咬伤，打了疫苗花了一千多，邻居说狗拴着的不关他事。",
        "赔偿医药费", {"民法典": ((1245, 1251), 1179), "人身损害赔偿解释": ALL}),
    IntakeFacts("id2", "injury_damage", "injury_damage",
        "在菜市场和摊主吵架，被他推倒摔伤了手腕，花了三千多医药费。",
        "赔偿医药费和误工费", {"民法典": (1165, 1179, 1173), "人身损害赔偿解释": ALL, "治安管理处罚法": (43,)}),
    IntakeFacts("id3", "injury_damage", "injury_damage",
        "邻居在微信群里说我偷东西，还发了我的照片，很多人都看到了。",
        "公开道歉，恢复名誉", {"民法典": (1024, 1025, 1000, 1183, 1167, 179, 995, 1195)}),
    IntakeFacts("id4", "injury_damage", "injury_damage",
        "小孩在学校被同学打伤，牙齿掉了两颗，学校和对方家长互相推。",
        "赔偿治疗费用", {"民法典": (1188, 1199, 1200, 1201, 1179, 1165), "人身损害赔偿解释": ALL,
                        "未成年人保护法": ALL}),
    # 土地/房屋
    IntakeFacts("lh1", "land_housing", "land_housing",
        "邻居建房占了我家宅基地一米多，村里调解了两次没结果。",
        "拆除占用部分", {"民法典": ((362, 365), 234, 235, 236, 288), "土地管理法": (14, 62)}),
    IntakeFacts("lh2", "land_housing", "land_housing",
        "村里把我家承包的地收回去给了别人，我的承包期还没到。",
        "恢复土地承包经营权", {"农村土地承包法": ALL, "民法典": ((330, 343),), "土地管理法": (13, 14)}),
    IntakeFacts("lh3", "land_housing", "land_housing",
        "父母的房子登记在我名下，弟弟说房子有他一半，要求过户一半给他。",
        "确认房子归我", {"民法典": (209, 216, 217, 234, 240, (297, 310))}),
    # 其他
    IntakeFacts("ot1", "other", "other",
        "在村里的红白喜事上帮忙记账，事后主家说少了两千块礼金，怀疑是我拿了。",
        "说清楚，还我清白", {"民法典": (1024, 1165)}),
    IntakeFacts("ot2", "other", "other",
        "同学聚会AA制，我垫付了两千多，有几个同学一直不给钱。",
        "把垫付的钱给我", {"民法典": (979, 985, 509)}),
)  # fmt: skip
