"""Law names: normalisation, usual abbreviations, and resolving a written name to a law in the KB.

Why: people (and models) cite 《民法典》, 民法典, 中华人民共和国民法典 or 道交法 for the same law;
every lookup and citation check must land on the same row, and an unknown name must be
reported as unknown, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

PRC_PREFIX = "中华人民共和国"

#: Usual short forms → the law's name without the 中华人民共和国 prefix. Only forms in common
#: use; a name already equal to the short title needs no entry.
ABBREVIATIONS: dict[str, str] = {
    "道交法": "道路交通安全法",
    "交通安全法": "道路交通安全法",
    "民诉法": "民事诉讼法",
    "刑诉法": "刑事诉讼法",
    "行诉法": "行政诉讼法",
    "消保法": "消费者权益保护法",
    "消法": "消费者权益保护法",
    "消费者保护法": "消费者权益保护法",
    "治安法": "治安管理处罚法",
    "治安处罚法": "治安管理处罚法",
    "妇女法": "妇女权益保障法",
    "妇保法": "妇女权益保障法",
    "未保法": "未成年人保护法",
    "未成年人法": "未成年人保护法",
    "个保法": "个人信息保护法",
    "个人信息法": "个人信息保护法",
    "劳动仲裁法": "劳动争议调解仲裁法",
    "调解仲裁法": "劳动争议调解仲裁法",
    "社保法": "社会保险法",
    "国赔法": "国家赔偿法",
    "食安法": "食品安全法",
    "食品法": "食品安全法",
    "反家暴法": "反家庭暴力法",
    "老年人法": "老年人权益保障法",
    "残疾人法": "残疾人保障法",
    "安全生产法": "安全生产法",
    "行政复议": "行政复议法",
    "土地承包法": "农村土地承包法",
    "网安法": "网络安全法",
    "电商法": "电子商务法",
    "反垄断": "反垄断法",
    "破产法": "企业破产法",
    "人调法": "人民调解法",
    "产品法": "产品质量法",
    "质量法": "产品质量法",
}

_SPC = "最高人民法院关于"
#: Usual short names of judicial interpretations and rules → their full titles (as the corpus
#: writes them; without the 中华人民共和国 inside 《》, which :func:`normalise` drops). Names only:
#: whether the document and the cited article exist is always checked against the base.
INTERPRETATIONS: dict[str, str] = {
    "民间借贷规定": _SPC + "审理民间借贷案件适用法律若干问题的规定",
    "民间借贷司法解释": _SPC + "审理民间借贷案件适用法律若干问题的规定",
    "民间借贷解释": _SPC + "审理民间借贷案件适用法律若干问题的规定",
    "民诉法解释": _SPC + "适用《民事诉讼法》的解释",
    "民事诉讼法解释": _SPC + "适用《民事诉讼法》的解释",
    "民诉解释": _SPC + "适用《民事诉讼法》的解释",
    "人身损害赔偿解释": _SPC + "审理人身损害赔偿案件适用法律若干问题的解释",
    "人身损害赔偿司法解释": _SPC + "审理人身损害赔偿案件适用法律若干问题的解释",
    "人损解释": _SPC + "审理人身损害赔偿案件适用法律若干问题的解释",
    "道路交通事故解释": _SPC + "审理道路交通事故损害赔偿案件适用法律若干问题的解释",
    "交通事故解释": _SPC + "审理道路交通事故损害赔偿案件适用法律若干问题的解释",
    "道交事故解释": _SPC + "审理道路交通事故损害赔偿案件适用法律若干问题的解释",
    "劳动争议解释（一）": _SPC + "审理劳动争议案件适用法律问题的解释（一）",
    "劳动争议解释一": _SPC + "审理劳动争议案件适用法律问题的解释（一）",
    "劳动争议司法解释（一）": _SPC + "审理劳动争议案件适用法律问题的解释（一）",
    "物业服务解释": _SPC + "审理物业服务纠纷案件适用法律若干问题的解释",
    "物业纠纷解释": _SPC + "审理物业服务纠纷案件适用法律若干问题的解释",
    "城镇房屋租赁解释": _SPC + "审理城镇房屋租赁合同纠纷案件具体应用法律若干问题的解释",
    "房屋租赁合同解释": _SPC + "审理城镇房屋租赁合同纠纷案件具体应用法律若干问题的解释",
    "精神损害赔偿解释": _SPC + "确定民事侵权精神损害赔偿责任若干问题的解释",
    "诉讼时效规定": _SPC + "审理民事案件适用诉讼时效制度若干问题的规定",
    "民事证据规定": _SPC + "民事诉讼证据的若干规定",
    "司法确认规定": _SPC + "人民调解协议司法确认程序的若干规定",
    "特邀调解规定": _SPC + "人民法院特邀调解的规定",
    "在线调解规则": "人民法院在线调解规则",
    "民事调解规定": _SPC + "人民法院民事调解工作若干问题的规定",
    "行政协议司法解释": _SPC + "审理行政协议案件若干问题的规定",
    "行政协议规定": _SPC + "审理行政协议案件若干问题的规定",
    "民法典时间效力规定": _SPC + "适用《民法典》时间效力的若干规定",
    "时间效力规定": _SPC + "适用《民法典》时间效力的若干规定",
    "婚姻家庭编解释（一）": _SPC + "适用《民法典》婚姻家庭编的解释（一）",
    "婚姻家庭编解释（二）": _SPC + "适用《民法典》婚姻家庭编的解释（二）",
    "继承编解释（一）": _SPC + "适用《民法典》继承编的解释（一）",
    "担保制度解释": _SPC + "适用《民法典》有关担保制度的解释",
    "合同编通则解释": _SPC + "适用《民法典》合同编通则若干问题的解释",
    "总则编解释": _SPC + "适用《民法典》总则编若干问题的解释",
    "侵权责任编解释（一）": _SPC + "适用《民法典》侵权责任编的解释（一）",
    "网络消费规定（一）": _SPC + "审理网络消费纠纷案件适用法律若干问题的规定（一）",
    "婚姻法解释（一）": _SPC + "适用《婚姻法》若干问题的解释（一）",
    "婚姻法解释（二）": _SPC + "适用《婚姻法》若干问题的解释（二）",
    "婚姻法解释（三）": _SPC + "适用《婚姻法》若干问题的解释（三）",
    "担保法解释": _SPC + "适用《担保法》若干问题的解释",
}
#: The form shown for an interpretation (first usual name listed for it).
_DISPLAY: dict[str, str] = {}
for _short, _full in INTERPRETATIONS.items():
    _DISPLAY.setdefault(_full, _short)

_DERIVE_DROP = re.compile(
    r"^(?:最高人民法院|最高人民检察院|、)+关于|审理|办理|案件|纠纷|具体应用法律|适用法律|若干问题的|问题的"
)


def derived_short_name(full: str) -> str | None:
    """A generic short form of a court interpretation's title: 最高人民法院关于审理X案件适用法律
    若干问题的解释 → X解释 (the way practitioners shorten them); ``None`` for other titles."""
    s = full.replace(" ", "")
    if not s.startswith(("最高人民法院", "最高人民检察院")) or "关于" not in s[:20]:
        return None
    if "《" in s:  # 关于适用《X》的解释: the explicit table above names the usual ones
        return None
    short = _DERIVE_DROP.sub("", s)
    # The series number as written (（二）) or as normalised ((二)).
    if not re.search(r"(?:解释|规定)(?:[（(][一二三四五六七八九十]+[）)])?$", short):
        return None
    return short if 4 <= len(short) < len(s) else None


#: Words that end a law's title: a bare (unbracketed) name must end with one of these.
_TITLE_ENDINGS = (
    "法",
    "法典",
    "条例",
    "规定",
    "解释",
    "办法",
    "细则",
    "决定",
    "规则",
    "章程",
    "宪法",
)

#: Leading words that are not part of a bare law name (根据民法典… → 民法典).
_LEADING_RE = re.compile(
    r"^(?:.*?(?:根据|依据|依照|按照|参照|对照|违反|适用|援引|引用|符合|属于|规定|规范|查询|关于|看看|看下|"
    r"还有|以及|或者|结合|比如|例如|按|依|据|和|与|及|或|在|是|的|了|中|里|内|见))"
)

_SPACE_RE = re.compile(r"\s+")


def normalise(name: str) -> str:
    """Canonical comparison form: no brackets, no spaces, no 中华人民共和国 prefix."""
    s = _SPACE_RE.sub("", name).strip("《》〈〉<>\"'“”‘’")
    s = s.replace("（", "(").replace("）", ")").replace("〈", "《").replace("〉", "》")
    if s.startswith(PRC_PREFIX) and len(s) > len(PRC_PREFIX):
        s = s[len(PRC_PREFIX) :]
    # 关于适用《中华人民共和国民事诉讼法》的解释 = 关于适用《民事诉讼法》的解释
    return s.replace("《" + PRC_PREFIX, "《")


def short_title(name: str) -> str:
    """The name as usually said: 中华人民共和国民法典 → 民法典; a court interpretation by its
    usual short name (民间借贷规定, 民诉法解释) or the generic one (人身损害赔偿解释)."""
    plain = normalise(name).replace("(", "（").replace(")", "）")
    usual = _DISPLAY.get(plain)
    if usual is not None:
        return usual
    return derived_short_name(plain) or plain


def looks_like_title(name: str) -> bool:
    """Whether a bare string could be the title of a law or regulation."""
    return len(name) >= 2 and name.endswith(_TITLE_ENDINGS)


class NameResolver:
    """Maps written names (full, short, abbreviated, with a leading 根据…) to full law names."""

    def __init__(self, full_names: Iterable[str]) -> None:
        self._by_norm: dict[str, str] = {}
        for full in full_names:
            self._by_norm.setdefault(normalise(full), full)
        for abbr, target in (*ABBREVIATIONS.items(), *INTERPRETATIONS.items()):
            full_name = self._by_norm.get(normalise(target))
            if full_name is not None:
                self._by_norm.setdefault(normalise(abbr), full_name)
        # Generic short forms of court interpretations, unless two titles share one.
        derived: dict[str, set[str]] = {}
        for norm, full in list(self._by_norm.items()):
            short = derived_short_name(norm)
            if short is not None:
                derived.setdefault(normalise(short), set()).add(full)
        for short, fulls in derived.items():
            if len(fulls) == 1:
                self._by_norm.setdefault(short, next(iter(fulls)))
        self._max_len = max((len(k) for k in self._by_norm), default=0)

    @property
    def names(self) -> list[str]:
        """Every full name known."""
        return sorted(set(self._by_norm.values()))

    def resolve(self, written: str) -> str | None:
        """The full name for an exact (normalised) name or abbreviation, else ``None``."""
        return self._by_norm.get(normalise(written))

    def resolve_tail(self, text: str) -> tuple[str, str] | None:
        """Find a law name that ``text`` ends with (longest first): ``(as written, full name)``.

        Used for bare citations such as "根据劳动合同法第30条", where the name's start is unknown.
        """
        s = _SPACE_RE.sub("", text)
        for length in range(min(len(s), self._max_len + len(PRC_PREFIX)), 1, -1):
            tail = s[-length:]
            full = self.resolve(tail)
            if full is not None:
                return tail, full
        return None

    def guess_unknown_tail(self, text: str) -> str | None:
        """For a bare name the KB does not know: the most plausible title at the end of ``text``.

        "根据婚姻法" → "婚姻法". ``None`` when the text does not end like a law's title.
        """
        s = _SPACE_RE.sub("", text)
        if PRC_PREFIX in s:
            return PRC_PREFIX + s.split(PRC_PREFIX)[-1] if looks_like_title(s) else None
        stripped = _LEADING_RE.sub("", s)
        if stripped != s and looks_like_title(stripped):
            return stripped
        return s if looks_like_title(s) and len(s) <= 12 else None
