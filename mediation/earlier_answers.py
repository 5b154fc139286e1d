"""What a party already told the intake, found again where a later question asks for it.

A party who tells the whole story at the first question ("楼上邻居王某家卫生间漏水，把我家天花板泡坏了，
要求赔偿修理费四千八") has already answered "what happened", "what do you ask for", "how much" and
"who is the other side". The intake (``mediation.intake``) offers such an answer back for
confirmation ("您前面说的是…，对吗？") instead of asking from scratch; it never takes one without
the party's press. These rules find the answer, and only when it is clear:

- :func:`story_as_facts`: the first question's free text, when it is long enough to be the facts.
- :func:`claim_in`: one demand, introduced by 要求/请求/希望/想让… and a verb of what is asked
  (赔偿, 支付, 退还, 停止, 道歉…), not negated (不要求…); two different demands: none.
- :func:`amount_in`: one sum of money — with 元/块, or right after a word for money (修理费,
  赔偿, 欠…) — never a count, a date or a flat number (三个月, 3月5日, 1202室); two different
  sums: none.
- :func:`other_party_in`: one person named the way people name the other side in a story:
  a surname with 某 (王某, 李某某), with a title (刘师傅, 张老板, 陈女士), or after "他/对方/邻居…叫";
  the role words just before the name (楼上邻居, 房东) become its note: "王某（楼上邻居）". Two
  different people: none. "我叫…" is the applicant, never the other side.

Pure rules, no model: each is a regular expression or a word list a reader can check, and
``tests/test_earlier_answers.py`` holds the stories each one must and must not read.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from mediation.validation import InvalidInput, read_amount

#: The facts' length limits (``mediation.intake_state.TEXT_LIMITS``), repeated to keep this
#: module free of the dialogue's state.
FACTS_MIN, FACTS_MAX = 10, 2000
CLAIMS_MAX = 1000

# ---------------------------------------------------------------------------------- facts


#: What people write around a dispute type that tells nothing of what happened.
_NO_STORY = re.compile(
    r"我要|我想|想要|申请|调解|纠纷|矛盾|问题|帮忙|帮我|帮帮|你好|您好|谢谢|请问|一下|"
    r"咨询|处理|解决|怎么办|有个|有一个|关于|的|了|吗|呢|啊|吧"
)


def story_as_facts(text: str | None) -> str | None:
    """The first question's free text as the facts, when it is a story: as long as the facts
    question wants, counted without the words that only ask for help with a type of dispute
    ("我想申请邻里纠纷调解，谢谢" is no story)."""
    if not text:
        return None
    story = text.strip()
    compact = re.sub(r"[\W_]+", "", story)
    if len(re.sub(r"\s+", "", story)) > FACTS_MAX:
        return None
    if len(_NO_STORY.sub("", compact)) < FACTS_MIN:
        return None
    return story


# ---------------------------------------------------------------------------------- claims

#: Words that introduce what the party asks of the other side.
_ASK = r"(?:要求|请求|希望|想要|想让|要让|我让|我叫)"  # not 让/叫 alone: 房东让物业停水…
#: Who is asked, between the asking word and the verb (要求他赔偿, 希望对方尽快支付).
_WHOM = r"(?:他们|她们|他|她|对方|楼上|楼下|邻居|房东|老板|公司|物业|其)?(?:家)?"
_SOON = r"(?:尽快|马上|立即|立刻|及时|全额|一次性|按时)?"
#: What is asked: the verbs of a demand (a demand names what the other side is to do).
_DEMAND = (
    r"(?:赔偿|赔礼道歉|赔钱|赔|补偿|支付|付清|付(?!出)|结清|发放|还钱|还款|还清|归还|返还|"
    r"退还|退回|退(?!一步|让)|修复|修好|维修|修理|恢复|停止|拆除|搬走|搬离|道歉|履行|交付|"
    r"清理|腾退|承担)"
)
_CLAIM_RE = re.compile(rf"(?<![不没别])(?<!没有){_ASK}{_WHOM}{_SOON}(?P<verb>{_DEMAND})")
#: A clause ends at a full stop; a comma ends it unless what follows goes on with the demand.
_SENTENCE_END = "。！？；!?;\n"
_GOES_ON = re.compile(rf"^(?:并且|并|同时|以及|还要|再|和|另外)?{_WHOM}{_SOON}{_DEMAND}")


#: Where a new clause begins without a comma: the other side's answer (他不理), a "but".
_CLAUSE_BREAK = re.compile(
    r"(?:但是|但|可是|可他|结果|然而|不过|却|"
    r"(?:他们|她们|他|她|对方)(?:不|没|一直|就|说|却|还是|根本|死活))"
)


def _claim_from(text: str, start: int) -> str:
    """The demand starting at ``start``: up to the sentence's end, its commas crossed only
    where the next piece asks for more (赔偿修理费，并赔礼道歉), and cut where a new clause
    begins without one (赔钱他不理 → 赔钱)."""
    end = start
    while end < len(text) and text[end] not in _SENTENCE_END:
        if text[end] in ",，" and not _GOES_ON.match(text[end + 1 :].lstrip()):
            break
        end += 1
    claim = text[start:end]
    cut = _CLAUSE_BREAK.search(claim, 2)
    if cut is not None:
        claim = claim[: cut.start()]
    return claim.strip(" ,，、")


def claim_in(texts: Iterable[str | None]) -> str | None:
    """The one demand the texts make, from its verb on ("赔偿修理费四千八"); None when there is
    none or more than one."""
    found: list[str] = []
    for text in texts:
        if not text:
            continue
        clean = re.sub(r"\s+", " ", text).strip()  # the party's own punctuation, shown back
        for match in _CLAIM_RE.finditer(clean):
            claim = _claim_from(clean, match.start("verb"))
            if 2 <= len(claim) <= CLAIMS_MAX and claim not in found:
                found.append(claim)
    # A demand found twice (the story, then the facts quoting it) is one demand.
    distinct = [c for c in found if not any(c != o and c in o for o in found)]
    return distinct[0] if len(distinct) == 1 else None


# ---------------------------------------------------------------------------------- amount

_CN_NUM = "零〇一二两三四五六七八九十百千万"
_APPROX = r"(?:大概|大约|大致|差不多|估计|将近|接近|约)"
_NUMBER = (
    rf"(?:\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?(?:万|千)?"
    rf"|[{_CN_NUM}]*[十百千万][{_CN_NUM}]*)"
)
_UNIT = r"(?:万元|元整|元|块钱|块)"
_MONEY_RE = re.compile(
    rf"(?P<before>.{{0,4}}?)(?P<sum>{_APPROX}?(?P<number>{_NUMBER})(?:多|左右)?(?P<unit>{_UNIT})?)"
)
#: Words right before a sum that make it money: a fee, a debt, a payment.
_MONEY_WORDS = re.compile(
    r"(?:费|钱|款|金|资|薪|赔偿|补偿|赔|付|支付|欠|借|还|损失|价|共计|合计|总共|一共|花了|花费)"
    rf"(?:了|给|我|他|她|了我|给我)?{_APPROX}?$"
)
#: What follows a number that is a count, a date, a size or a place, not money.
_NOT_MONEY_AFTER = re.compile(
    r"^(?:个|月|年|天|日|号|楼|层|岁|次|平|米|点|分|小时|周|人|户|间|套|张|份|公里|斤|吨|件|台|辆|栋|单元|室|%|倍|遍|趟|家|名|位)"
)


@dataclass(frozen=True)
class Sum:
    said: str  # as the party wrote it ("四千八", "大概5000元")
    value: Decimal
    approximate: bool


def _sums(text: str) -> list[Sum]:
    clean = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    found: list[Sum] = []
    for match in _MONEY_RE.finditer(clean):
        number = match.group("number")
        if not number or number in ("万", "千", "百", "十"):
            continue
        # A digit run that goes on (a phone number, 1202室 cut in two) is not a sum.
        start, end = match.start("sum"), match.end("sum")
        if start > 0 and (clean[start - 1].isdigit() or clean[start - 1] in "."):
            continue
        if not match.group("unit") and end < len(clean) and clean[end].isdigit():
            continue
        if not match.group("unit") and (
            _NOT_MONEY_AFTER.match(clean[end:]) or not _MONEY_WORDS.search(match.group("before"))
        ):
            continue
        try:
            reading = read_amount(match.group("sum"))
        except InvalidInput:
            continue
        found.append(Sum(match.group("sum"), reading.value, reading.approximate))
    return found


def amount_in(texts: Iterable[str | None]) -> Sum | None:
    """The one sum of money the texts name; None when there is none or they name different
    sums (四千八 in the story and 4800元 in the claims are one sum)."""
    sums = [s for text in texts if text for s in _sums(text)]
    values = {s.value for s in sums}
    return sums[0] if len(values) == 1 else None


# ---------------------------------------------------------------------------------- the other side

#: Common surnames (the most frequent, and the usual two-character ones), without those that
#: are also everyday words before a title or 某 (和, 向, 文, 史, 安, 班, 司, 修, 包…).
_SURNAMES = (
    "欧阳|司马|上官|诸葛|东方|皇甫|尉迟|公孙|慕容|令狐|"
    "王|李|张|刘|陈|杨|黄|赵|吴|周|徐|孙|马|朱|胡|郭|何|高|林|罗|郑|梁|谢|宋|唐|许|韩|冯|邓|曹|"
    "彭|曾|肖|萧|田|董|袁|潘|蒋|蔡|余|杜|叶|程|苏|魏|吕|丁|任|沈|姚|卢|姜|崔|钟|谭|陆|汪|范|金|"
    "石|廖|贾|夏|韦|付|傅|方|白|邹|孟|熊|秦|邱|江|尹|薛|闫|阎|段|雷|侯|龙|陶|黎|贺|顾|毛|郝|龚|"
    "邵|万|钱|严|覃|武|戴|莫|孔|汤|常|温|康|施|牛|樊|葛|邢|齐|易|乔|伍|庞|颜|倪|庄|聂|章|鲁|岳|"
    "翟|殷|詹|申|欧|耿|关|兰|焦|俞|左|柳|甘|祝|宁|尚|符|舒|阮|柯|纪|梅|童|凌|毕|季|裴|霍|涂|苗|"
    "盛|翁|冉|骆|蓝|辛|靳|柴|蒙|鲍|喻|祁|蒲|房|滕|屈|饶|牟|艾|尤|卓|缪|褚|娄|窦|戚|岑|景|党|宫|"
    "晏|卞|姬|仇|栾|隋|刁|邝|鞠|荆|冀|郁|胥|储|栗|鄢|谌|奚|粟|冼|蔺|厉|伊|仝|郜|阚"
)
_TITLES = r"(?:先生|女士|小姐|师傅|老板|经理|老师|阿姨|大爷|大妈|大姐|大哥|医生|律师|主任|队长|总)"
#: The role words people put before the other side's name (kept as the name's note).
_PLACE_ROLE = r"(?:楼上|楼下|隔壁|对门|对面|同楼|同村|同小区)(?:的)?"
_ROLE_WORD = (
    r"(?:邻居|房东|租客|房客|老板|包工头|工头|装修队(?:的)?(?:老板|师傅)?|装修公司(?:的)?|"
    r"物业(?:的)?|同事|朋友|前夫|前妻|亲戚|合伙人|雇主|商家|店主|卖家|买家|司机|业主|承包人)"
)
_ROLE = rf"(?:{_PLACE_ROLE}{_ROLE_WORD}?|{_ROLE_WORD})"
#: What may stand right before a name with no role: a word that takes a person after it.
_BEFORE_NAME = set("的是和跟与被让叫给找告把说到同向问请将了在及家户")
_PLAIN_NAME = rf"(?:{_SURNAMES})[\u4e00-\u9fff]{{1,2}}"
#: 王某, 李某某; 刘师傅, 陈女士; with the role before them if any (楼上邻居王某).
_NAMED_RE = re.compile(rf"(?P<role>{_ROLE})?(?P<name>(?:{_SURNAMES})(?:某某|某|{_TITLES}))")
#: 对方叫李志强, 邻居名叫张秀英: a third person's name (never "我叫…": that is the applicant),
#: ending where the sentence does.
_PRONOUN = r"(?:他|她|对方|那人|这人|此人)"
_CALLED_RE = re.compile(
    rf"(?P<role>{_PRONOUN}|{_ROLE})(?:的)?(?:名字|姓名)?(?:叫做|名叫|叫)"
    rf"(?P<name>{_PLAIN_NAME})(?=[，,。！？；!?;\s、（(]|$)"
)
#: What follows 某 in a description that is no person: 王某公司 is still a company.
_NOT_A_PERSON_AFTER = ("公司", "单位", "店", "厂", "集团", "小区", "街道", "村", "社区")


@dataclass(frozen=True)
class Party:
    name: str
    note: str

    @property
    def answer(self) -> str:
        """As the party would type it at the other side's name: 王某（楼上邻居）."""
        return f"{self.name}（{self.note}）" if self.note else self.name


def _people(text: str) -> list[Party]:
    clean = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    found: list[Party] = []
    for match in _NAMED_RE.finditer(clean):
        role = match.group("role") or ""
        start, end = match.start("name"), match.end("name")
        before = clean[start - 1] if start else ""
        if not role and before and _han(before) and before not in _BEFORE_NAME:
            continue  # part of a longer word: 中国某某, 语文老师
        if clean[end:].startswith(_NOT_A_PERSON_AFTER):
            continue
        found.append(Party(match.group("name"), role.removesuffix("的")))
    for match in _CALLED_RE.finditer(clean):
        role = match.group("role")
        note = "" if re.fullmatch(_PRONOUN, role) else role.removesuffix("的")
        found.append(Party(match.group("name"), note))
    return found


def _han(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff"


def other_party_in(texts: Iterable[str | None]) -> Party | None:
    """The one other person the texts name; None when they name nobody or several."""
    people = [p for text in texts if text for p in _people(text)]
    names = {p.name for p in people}
    if len(names) != 1:
        return None
    # The mention with its role, if any mention has one.
    return max(people, key=lambda p: len(p.note))
