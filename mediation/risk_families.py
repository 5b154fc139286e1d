"""The phrase families the default risk rules are made of (syntax: ``mediation.phrases``).

Why families: a rule is "a threat to block someone at their door", not the string 堵门; each
family lists the wordings people actually use (门口堵我, 堵你家, 楼下蹲他…). They were written
against ``benchmarks/risk/threats_dev.txt`` and ``ordinary_dev.txt``, and measured on the
held-back sets there (docs/benchmarks.md): a gap (``*``) is used only where the words around it
cannot plausibly meet in an ordinary complaint (砍 is followed by a person, never by 价 or 树).

Admins edit the rules built from these in the console; a default they changed stays as edited.
"""

from __future__ import annotations

PERSON = "(你|我|他|她|人|你们|他们|全家)"

#: Gathering, petitioning, blocking roads (群体性 / 信访 risk).
GATHERING = (
    "聚集",
    "围堵",
    "堵路",
    "堵大门",
    "(拉|打|挂)横幅",
    "集体讨薪",
    "集体上访",
    "上访",
    "信访",
    "进京",
    "静坐",
    "闹事",
    "(去|到)*(政府|市委|区委|县委|镇里|乡里|街道办|信访办)*(闹|讨说法|静坐|门口)",
)

#: For wage disputes with many workers (the rule also counts people): asking for pay as a group.
WAGE_GATHERING = (*GATHERING, "讨薪", "堵门")

#: Threats of violence short of killing, and blocking someone at home or work.
THREAT = (
    "威胁",
    "恐吓",
    "报复",
    "扬言",
    "不放过",
    "走着瞧",
    "等着瞧",
    "(有|给)*(你|他|她)*好看",
    "(收拾|教训)(你|他|她)",
    "(找|叫)*(人|兄弟|几个)*(收拾|教训|打|弄)",
    "堵(门|你家|他家|她家|家门)",
    "堵(你|我|他|她)",
    "堵(住|着)(你|我|他|她)",
    "(门口|楼下|单位|公司|小区|家门)*(堵|蹲)*(你|我|他|她)",
    "上*门*闹",
    "打断*腿",
    "(砸|烧)*(你|他|她)的*(家|店|车|门)",
    "砸了*(家|店|车|门)",
    "threaten",
)

#: Killing, weapons, arson, explosives.
LETHAL = (
    "杀了",
    "杀人",
    "杀死",
    "(弄|打|砍|捅|整|搞|掐)死",
    "同归于尽",
    "一起死",
    "放火",
    "纵火",
    "点了*(你|他|她)的",
    "烧了*(房|家|店|楼)",
    "汽油",
    "炸药",
    "炸了",
    "(拿|带|提|持|动|掏|揣|操|握)*刀",
    "买*把刀",
    f"(砍|捅){PERSON}",
    "(用刀|拿刀)*(砍|捅)",
    "要(你|他|她)的*命",
    "偿命",
    "kill you",
)

#: Wanting to die, ways of self-harm.
SELF_HARM = (
    "自杀",
    "跳楼",
    "跳(河|江|湖|海)",
    "(从|到)*楼*跳",
    "轻生",
    "寻死",
    "不想活",
    "活不下去",
    "活着没意思",
    "一死了之",
    "死了算了",
    "死给*看",
    "以死相逼",
    "喝农药",
    "(吃|吞)*安眠药",
    "割腕",
    "上吊",
    "遗书",
    "suicide",
    "kill myself",
)

#: Violence at home (any dispute type: it is told in wage and lending disputes too).
DOMESTIC = (
    "家暴",
    "家庭暴力",
    "(老公|丈夫|老婆|妻子|媳妇|男人|前夫|前妻|公公|婆婆|婆家|娘家)*(打我|打了我|把我打|殴打|动手|推倒|踢我|掐我)",
    "把我关",
)

#: A child at risk: hurt, bullied, threatened or sought out.
MINOR = (
    "(孩子|小孩|娃|儿子|女儿|学生|未成年)*被*(打|欺负|勒索|关|拐)",
    "(孩子|小孩|娃|儿子|女儿|学生|未成年)*(挨打|打伤|霸凌|猥亵|性侵)",
    "(打|欺负|威胁|恐吓|收拾|绑|抢|拐)(孩子|小孩|娃|你儿子|你女儿|我儿子|我女儿)",
    "(学校|幼儿园)*(找|堵|等)*(孩子|儿子|女儿|娃)",
    "(找|堵|等)*(你|我)(儿子|女儿|孩子)",
)

#: Conflict turning criminal (民转刑): past injuries, repeated fights.
ESCALATION = (
    "积怨",
    "矛盾激化",
    "(多次|反复)*(冲突|报警)",
    "打伤",
    "伤人",
    "(打|揍|踢|掐)我",
    "打了我一顿",
    "受伤住院",
    "砸东西",
)

#: Traffic deaths and grave injuries.
FATAL = ("死亡", "身亡", "去世", "重伤")
