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
    """The name as usually said: 中华人民共和国民法典 → 民法典."""
    return normalise(name).replace("(", "（").replace(")", "）")


def looks_like_title(name: str) -> bool:
    """Whether a bare string could be the title of a law or regulation."""
    return len(name) >= 2 and name.endswith(_TITLE_ENDINGS)


class NameResolver:
    """Maps written names (full, short, abbreviated, with a leading 根据…) to full law names."""

    def __init__(self, full_names: Iterable[str]) -> None:
        self._by_norm: dict[str, str] = {}
        for full in full_names:
            self._by_norm.setdefault(normalise(full), full)
        for abbr, target in ABBREVIATIONS.items():
            full_name = self._by_norm.get(normalise(target))
            if full_name is not None:
                self._by_norm.setdefault(normalise(abbr), full_name)
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
