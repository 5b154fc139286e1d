"""Can a court confirm this clause (司法确认)? Judged by what the clause *does*, not by its words.

Why a domain module of its own: the draft review, the 司法确认 offer, the 司法确认申请书 and
``main.py agreement check-terms`` must give the same answer for the same clause, and the answer
comes from two articles (texts read in the shipped legal corpus, 民诉法解释 2022):

- 民诉法解释 第三百五十五条: an application is not accepted when it (一) lies outside the courts'
  remit; (三) asks to confirm, annul or dissolve a 身份关系 (婚姻、亲子、收养); (四) concerns a matter
  of another 特别程序, 公示催告 or 破产; (五) concerns 物权、知识产权确权.
- 民诉法解释 第三百五十八条: it is rejected when the agreement (二) harms others' lawful rights
  (terms that bind people who are not parties) or (五) is unclear (内容不明确).

What a clause does decides: "子女离婚后由女方直接抚养" arranges custody (confirmable) although it
says 离婚; "房屋归女方所有" declares ownership (确权, not confirmable) although it never says 确认,
and its confirmable form is a performance (给付): "男方协助女方办理过户登记". The rules below are
ordered patterns over the clause text; their accuracy on a labelled set is measured in
``benchmarks/confirmability`` (docs/benchmarks.md), with a held-back part never tuned on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

#: The interpretation's short name as the knowledge base resolves it.
_INTERPRETATION = "民诉法解释"


class Category(StrEnum):
    """What a clause does. The first six keep a court from confirming it."""

    OUTSIDE_REMIT = "outside_remit"  # 刑事、行政、信访: not a civil right a court enforces
    SPECIAL_PROCEDURE = "special_procedure"  # 宣告失踪、认定行为能力、公示催告、破产…
    IDENTITY = "identity"  # 婚姻、亲子、收养关系 themselves
    PROPERTY_RIGHT = "property_right"  # 物权、知识产权 (and other rights) declared, not performed
    NON_PARTY = "non_party"  # binds someone who is not a party
    UNCLEAR = "unclear"  # no amount, no object, an agreement to agree later
    PAYMENT = "payment"
    HANDOVER = "handover"  # 交付、返还、腾退、协助办理过户/登记
    CHILDREN = "children"  # 抚养、探望、抚养费 (confirmable, 离婚 or not)
    CONDUCT = "conduct"  # 道歉、停止、修复、不得…
    SETTLEMENT = "settlement"  # 放弃其他请求、再无纠纷、费用负担
    OTHER = "other"


NOT_CONFIRMABLE = (
    Category.OUTSIDE_REMIT,
    Category.SPECIAL_PROCEDURE,
    Category.IDENTITY,
    Category.PROPERTY_RIGHT,
    Category.NON_PARTY,
    Category.UNCLEAR,
)

#: The article (and item) each refusal rests on; every confirmable clause rests on 第三十三条.
BASIS: dict[Category, str] = {
    Category.OUTSIDE_REMIT: f"{_INTERPRETATION} 第三百五十五条第一款第（一）项",
    Category.IDENTITY: f"{_INTERPRETATION} 第三百五十五条第一款第（三）项",
    Category.SPECIAL_PROCEDURE: f"{_INTERPRETATION} 第三百五十五条第一款第（四）项",
    Category.PROPERTY_RIGHT: f"{_INTERPRETATION} 第三百五十五条第一款第（五）项",
    Category.NON_PARTY: f"{_INTERPRETATION} 第三百五十八条第（二）项",
    Category.UNCLEAR: f"{_INTERPRETATION} 第三百五十八条第（五）项",
}
CONFIRMABLE_BASIS = "人民调解法 第三十三条"


def _re(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(parts))


_MONEY_AMOUNT = r"(?:\d[\d,，.]*\s*(?:万|千)?\s*元|[零一二两三四五六七八九十百千万壹贰叁肆伍陆柒捌玖拾佰仟]+(?:万|千|百)?元|[¥￥]\s*\d)"

_SPECIAL = _re(
    r"宣告.{0,8}(?:失踪|死亡)",
    r"(?:认定|确认).{0,12}(?:无|限制)民事行为能力",
    r"认定.{0,10}财产.{0,4}无主|无主财产",
    r"公示催告|除权判决",
    r"破产(?:清算|重整|和解|申请|程序)?",
    r"实现.{0,8}(?:担保物权|抵押权|质权|留置权)",
    r"选民资格",
    r"指定.{0,8}(?:遗产管理人|监护人)",
)
_OUTSIDE = _re(
    r"刑事责任|刑事追诉|刑事案件|撤回.{0,6}(?:报案|控告|刑事)|不再报案|不(?:再)?追究.{0,10}刑事",
    r"撤销.{0,8}(?:行政)?处罚|不予.{0,4}(?:行政)?处罚|免予.{0,4}处罚|拘留",
    r"上访|信访",
)
_IDENTITY = _re(
    r"解除.{0,6}(?:婚姻|收养|亲子|父子|母子|父女|母女)(?:关系)?",
    r"(?:自愿|同意|协议|决定)离婚(?!后|时|协议)|(?:双方|男女双方)离婚(?!后|时|协议)|准予离婚",
    r"婚姻(?:关系)?(?:无效|有效|成立|存续)|(?:确认|撤销).{0,10}婚姻",
    r"(?:确认|认定|承认).{0,16}(?:亲子|父子|母子|父女|母女|收养|婚姻)关系",
    r"(?:确认|认定|承认).{0,16}(?:是|为|系).{0,12}(?:亲生|之子|之女|的儿子|的女儿|的子女|的父亲|的母亲|子女)",
    r"系.{0,10}(?:亲生(?:子女|儿子|女儿|父亲|母亲))",
    r"断绝.{0,6}(?:关系)",
    r"(?:同意|自愿).{0,12}(?:送养|收养)|收养关系",
)
_RIGHT_WORDS = (
    r"(?:所有权|使用权|产权|物权|股权|股份|著作权|版权|专利权|专利|商标权|商标|知识产权|"
    r"承包经营权|经营权|宅基地使用权|居住权|地役权|抵押权|继承权)"
)
_PROPERTY = _re(
    rf"(?:确认|认定|确定|明确).{{0,24}}{_RIGHT_WORDS}",
    rf"{_RIGHT_WORDS}.{{0,16}}(?:归|属于|由).{{0,12}}(?:所有|享有|持有)",
    r"(?:确认|认定|确定).{0,24}(?:归|属于).{0,12}(?:所有|享有|使用)?",
    r"归.{1,12}所有|属于.{1,12}(?:所有|个人财产|财产)",
    r"(?:共同共有|按份共有|为.{1,10}共有|共有财产归)",
    r"确权|界址|以.{1,12}为界",
)
_HANDOVER_FORM = re.compile(
    r"协助.{0,20}(?:过户|变更登记|转移登记|登记手续|更名)|办理.{0,12}(?:过户|变更登记|转移登记)"
)
_RELATIVES = (
    r"(?:父亲|母亲|父母|儿子|女儿|配偶|妻子|丈夫|兄弟|姐妹|哥哥|弟弟|姐姐|妹妹|亲属|家人|"
    r"亲戚|朋友|同事|老板娘|担保人|保证人)"
)
_OBLIGATION = r"(?:负责|承担|支付|偿还|赔偿|赔付|给付|代为|代付|代偿|保证|担保|垫付|交付|归还|返还|还款|还清|付清)"
_NON_PARTY = _re(
    r"案外人|第三人|其他人|他人代为",
    rf"(?:其|甲方|乙方|男方|女方|申请人|被申请人|双方)(?:的|之)?{_RELATIVES}.{{0,12}}{_OBLIGATION}",
    rf"由.{{0,6}}{_RELATIVES}.{{0,12}}{_OBLIGATION}",
    rf"(?:其|甲方|乙方|男方|女方|申请人|被申请人)之(?:父|母|妻|夫|子|女|兄|弟|姐|妹).{{0,12}}{_OBLIGATION}",
    r"(?:保险公司|所在单位|工作单位).{0,12}(?:赔付|赔偿|负责|支付|承担|扣)",
)
_VAGUE = _re(
    r"适当(?:的)?(?:补偿|赔偿|费用|经济|给予|减免|延期)",
    r"合理(?:的)?(?:补偿|赔偿|费用|数额|期限|时间)",
    r"一定(?:数额|金额|的)?(?:补偿|赔偿|费用|经济)",
    r"相应(?:的)?(?:补偿|赔偿|费用|款项|经济)",
    r"若干|部分(?:款项|费用|损失)(?!.*元)",
    r"尽快|尽早|近期|择日|有钱(?:时|后)|条件允许|视情况|酌情|看情况|手头宽裕",
    r"另行协商|另行商定|协商解决|再行协商|再议|商定后|待定|双方协商确定",
)
_MONEY_VERB = re.compile(
    r"(?:支付|赔偿|偿还|给付|补偿|退还|返还|归还|赔付)[^，。；]{0,10}"
    r"(?:款|费|工资|报酬|损失|钱|金|租|借款|欠款)"
)
_PAYMENT = re.compile(r"支付|赔偿|偿还|给付|补偿|退还|赔付|转账|付清|还款|工资|报酬|利息")
_CHILDREN = re.compile(r"抚养|抚育|探望|看望|监护|子女|孩子|儿子|女儿")
_HANDOVER = re.compile(r"交付|返还|归还|腾退|腾空|搬离|搬出|迁出|交还|移交|过户|登记|交房|拆除")
_CONDUCT = re.compile(
    r"道歉|停止|修复|恢复|不得|不再|清除|排除|消除|保证|维修|整改|赔礼|干扰|打扰|骚扰|拴绳"
)
_SETTLEMENT = re.compile(r"放弃|再无|了结|终结|不再追究|纠纷.{0,4}(?:解决|结束)|承担|负担")


@dataclass(frozen=True)
class ClauseVerdict:
    """One clause judged: what it does, whether a court can confirm it, on which article, and
    the catalogue key of what to do instead (``agreements.terms.suggest_<category>``)."""

    clause: str
    category: Category
    #: Every refusal ground found (the first decides ``category``).
    grounds: tuple[Category, ...] = ()
    #: A name the clause binds who is not among the parties (NON_PARTY only).
    stranger: str = ""

    @property
    def confirmable(self) -> bool:
        return not self.grounds

    @property
    def basis(self) -> str:
        return BASIS.get(self.category, CONFIRMABLE_BASIS)

    @property
    def suggestion_key(self) -> str:
        return f"agreements.terms.suggest_{self.category.value}"


_NUMBERING = re.compile(
    r"^\s*(?:[（(]?[一二三四五六七八九十\d]+[)）.、．]|第[一二三四五六七八九十\d]+条)\s*"
)
_NAME_SUBJECT = re.compile(
    rf"(?:由)?(?P<who>[\u4e00-\u9fff]{{2,4}}?)(?:于|在|自|应|须|需|先|将|向|每|按|一次性|分期)?"
    rf"[^，。；]{{0,14}}?{_OBLIGATION}"
)
_ROLE_WORDS = (
    "甲方",
    "乙方",
    "丙方",
    "申请人",
    "被申请人",
    "男方",
    "女方",
    "双方",
    "各方",
    "一方",
    "对方",
    "原告",
    "被告",
)


def _strangers(text: str, parties: Sequence[str]) -> str:
    """A two-to-four character name at the head of an obligation that is no party's name.

    Only used when the caller knows the parties (the case does; the command line may be told):
    names are found at the start of a sentence part, where a clause names who must perform."""
    if not parties:
        return ""
    known = [p for p in parties if p]
    for part in re.split(r"[，。；,;]", text):
        part = part.strip()
        match = _NAME_SUBJECT.match(part)
        if match is None:
            continue
        who = match["who"]
        if any(who.startswith(r) or r.startswith(who) for r in _ROLE_WORDS):
            continue
        if any(who in p or p.startswith(who) or who.startswith(p) for p in known):
            continue
        if re.match(r"^(?:如|若|逾期|上述|以上|本|该|其余|余款|剩余|首付|每月|全部)", who):
            continue
        return who
    return ""


def judge(clause: str, parties: Sequence[str] = ()) -> ClauseVerdict:
    """Judge one clause; ``parties`` are the parties' names when known (for NON_PARTY)."""
    text = _NUMBERING.sub("", clause).strip()
    grounds: list[Category] = []
    stranger = ""
    if _OUTSIDE.search(text):
        grounds.append(Category.OUTSIDE_REMIT)
    if _SPECIAL.search(text):
        grounds.append(Category.SPECIAL_PROCEDURE)
    if _IDENTITY.search(text):
        grounds.append(Category.IDENTITY)
    if _PROPERTY.search(text) and not _only_handover(text):
        grounds.append(Category.PROPERTY_RIGHT)
    stranger = _strangers(text, parties)
    if _NON_PARTY.search(text) or stranger:
        grounds.append(Category.NON_PARTY)
    if _VAGUE.search(text) or _money_without_amount(text):
        grounds.append(Category.UNCLEAR)
    if grounds:
        return ClauseVerdict(clause, grounds[0], tuple(grounds), stranger)
    return ClauseVerdict(clause, _kind(text))


def _only_handover(text: str) -> bool:
    """ "协助办理房屋过户手续" performs a transfer (给付): confirmable, unless the clause also
    declares the ownership ("归…所有", "确认…产权")."""
    if not _HANDOVER_FORM.search(text):
        return False
    stripped = _HANDOVER_FORM.sub("", text)
    return not re.search(r"归.{1,12}所有|确认|认定|确权|界址|共有", stripped)


def _money_without_amount(text: str) -> bool:
    if not _MONEY_VERB.search(text):
        return False
    if re.search(_MONEY_AMOUNT, text) or re.search(r"\d", text):
        return False
    # Determinable without a figure: a share of a known sum, the whole of a named debt.
    return not re.search(
        r"全部|全额|剩余|余款|上述|以上|该笔|本金及|按[^，。；]{0,20}(?:标准|比例|计算|万分之|百分之|%)",
        text,
    )


def _kind(text: str) -> Category:
    if _CHILDREN.search(text):
        return Category.CHILDREN
    if _PAYMENT.search(text) and re.search(_MONEY_AMOUNT, text):
        return Category.PAYMENT
    if _HANDOVER_FORM.search(text) or _HANDOVER.search(text):
        return Category.HANDOVER
    if _PAYMENT.search(text):
        return Category.PAYMENT
    if _CONDUCT.search(text):
        return Category.CONDUCT
    if _SETTLEMENT.search(text):
        return Category.SETTLEMENT
    return Category.OTHER


@dataclass(frozen=True)
class Confirmability:
    """Every clause of an agreement judged; clause numbers are 1-based, as printed."""

    verdicts: tuple[ClauseVerdict, ...] = ()
    flags: dict[int, tuple[Category, ...]] = field(default_factory=dict)

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(v.clause for v in self.verdicts)

    @property
    def confirmable_numbers(self) -> tuple[int, ...]:
        return tuple(i + 1 for i, v in enumerate(self.verdicts) if v.confirmable)

    @property
    def excluded_numbers(self) -> tuple[int, ...]:
        return tuple(i + 1 for i, v in enumerate(self.verdicts) if not v.confirmable)

    @property
    def confirmable_terms(self) -> tuple[str, ...]:
        return tuple(v.clause for v in self.verdicts if v.confirmable)

    @property
    def anything_confirmable(self) -> bool:
        return any(v.confirmable for v in self.verdicts)

    @property
    def all_flags(self) -> tuple[Category, ...]:
        seen: dict[Category, None] = {}
        for v in self.verdicts:
            seen.update(dict.fromkeys(v.grounds))
        return tuple(seen)


def confirmability(terms: Iterable[str], parties: Sequence[str] = ()) -> Confirmability:
    """Judge every clause; ``flags`` maps a clause's 0-based index to its refusal grounds."""
    verdicts = tuple(judge(t, parties) for t in terms)
    flags = {i: v.grounds for i, v in enumerate(verdicts) if v.grounds}
    return Confirmability(verdicts, flags)


def clause_numbers(numbers: Iterable[int]) -> str:
    """ "第1、2、4条" as the application prints them."""
    listed = [str(n) for n in numbers]
    return f"第{'、'.join(listed)}条" if listed else ""
