"""The 56 ethnic groups by their GB/T 3304 names (中国各民族名称的罗马字母拼写法和代码), in the
standard's order (code = position + 1).

Why a closed list: a court files a party under the 民族 the ID card states, and a typed free
text ("汉", "汉民", "Han") would print as typed on the 协议书 and the 司法确认申请书. The answer
is matched to a standard name (a missing 族 is added) or refused.
"""

from __future__ import annotations

import unicodedata

ETHNIC_GROUPS: tuple[str, ...] = (
    "汉族", "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族", "朝鲜族",
    "满族", "侗族", "瑶族", "白族", "土家族", "哈尼族", "哈萨克族", "傣族", "黎族", "傈僳族",
    "佤族", "畲族", "高山族", "拉祜族", "水族", "东乡族", "纳西族", "景颇族", "柯尔克孜族", "土族",
    "达斡尔族", "仫佬族", "羌族", "布朗族", "撒拉族", "毛南族", "仡佬族", "锡伯族", "阿昌族",
    "普米族", "塔吉克族", "怒族", "乌孜别克族", "俄罗斯族", "鄂温克族", "德昂族", "保安族",
    "裕固族", "京族", "塔塔尔族", "独龙族", "鄂伦春族", "赫哲族", "门巴族", "珞巴族", "基诺族",
)  # fmt: skip

_KNOWN = frozenset(ETHNIC_GROUPS)


def code_of(name: str) -> str:
    """The two-digit GB/T 3304 code of a standard name (01 汉族 … 56 基诺族)."""
    return f"{ETHNIC_GROUPS.index(name) + 1:02d}"


def match(text: str) -> str | None:
    """The standard name the answer means ("汉" → 汉族, "土家族" → 土家族), or None."""
    raw = "".join(unicodedata.normalize("NFKC", text).split())
    if raw in _KNOWN:
        return raw
    if f"{raw}族" in _KNOWN:
        return f"{raw}族"
    return None
