"""Validation of what parties type: names, phone numbers, ID numbers, amounts, free text.

Each validator returns the cleaned value or raises :class:`InvalidInput` carrying a catalog key,
so that the adapter can explain the problem in the user's language.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from mediation import ethnicity


@dataclass
class InvalidInput(Exception):
    """``key`` is a message-catalog key; ``params`` fill its placeholders."""

    key: str
    params: dict[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.key} {self.params}"


_CJK = "\u3400-\u9fff\uf900-\ufaff·•"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
# Name: Chinese characters (incl. the middle dot of minority names), or Latin letters.
_NAME_RE = re.compile(r"^[\u3400-\u9fff\uf900-\ufaff·•]{2,20}$|^[A-Za-z][A-Za-z .'-]{1,59}$")
_CN_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_INTL = re.compile(r"^\+\d{8,15}$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def clean_text(text: str, *, max_len: int, min_len: int = 1) -> str:
    """Normalise (NFC), drop control/bidi characters, collapse blank runs, enforce length."""
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub("", text).replace("\u2011", "-").strip()
    text = re.sub(r"\n{3,}", "\n\n", text)
    if len(text) < min_len:
        raise InvalidInput("error.too_short", {"min": min_len})
    if len(text) > max_len:
        raise InvalidInput("error.too_long", {"max": max_len, "length": len(text)})
    return text


def as_clause(text: str) -> str:
    """Typed words quoted inside one of our sentences, without their own closing mark: "原因：
    应由区人社局牵头。" inside "…原因：{reason}。请重新派单。" would read "。。"."""
    return text.rstrip("。．.！!；;，, \u3000")


def clean_name(text: str) -> str:
    """A person's name as typed: spaces between Chinese characters dropped (an elderly
    applicant types 张 秀 英 for 张秀英), Latin names keep single spaces."""
    name = clean_text(text, max_len=60)
    name = re.sub(r"\s+", " ", name)
    name = re.sub(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])", "", name)
    if not _NAME_RE.match(name):
        raise InvalidInput("error.bad_name")
    return name


#: An organisation's name (some 公司, 装饰队, 物业服务中心): Chinese, digits, Latin letters and
#: the brackets its registered name may hold (重庆某某（集团）有限公司).
_ORG_RE = re.compile(rf"^[{_CJK}0-9A-Za-z（）()·&\-]{{2,60}}$")
_ORG_ENDINGS = (
    "公司", "集团", "厂", "店", "中心", "商行", "超市", "工作室", "社", "所", "馆",
    "医院", "学校", "委员会", "物业", "银行", "合作社", "经营部", "门市", "酒店", "餐厅",
)  # fmt: skip
#: A note in brackets after a name: 李志强（装修队老板）, 王芳(房东).
_NOTE_RE = re.compile(r"^(?P<name>[^（(【\[]+?)\s*[（(【\[](?P<note>[^）)】\]]{1,60})[）)】\]]\s*$")


@dataclass(frozen=True)
class PartyName:
    """Who the other side is, as far as the applicant knows: ``name`` (empty when unknown),
    ``note`` (their role or where to find them: 装修队老板, 住1202), ``kind`` (``person`` or
    ``organisation``)."""

    name: str
    note: str = ""
    kind: str = "person"


def clean_party_name(text: str) -> PartyName:
    """A party's name as people type it: a person (张 秀 英), a person with a role in brackets
    (李志强（装修队老板）: the name and a note), or an organisation (某某装饰工程有限公司; its
    registered name may itself hold brackets, so they are kept there)."""
    raw = re.sub(r"\s+", " ", clean_text(text, max_len=100))
    compact = re.sub(r"\s+", "", raw)
    if compact.endswith(_ORG_ENDINGS) and _ORG_RE.match(compact):
        return PartyName(compact, kind="organisation")
    found = _NOTE_RE.match(raw)
    if found is not None:
        name, note = found.group("name").strip(), found.group("note").strip()
        inner = re.sub(r"\s+", "", name)
        if inner.endswith(_ORG_ENDINGS) and _ORG_RE.match(inner):
            return PartyName(inner, note, "organisation")
        return PartyName(clean_name(name), note)
    return PartyName(clean_name(raw))


#: What people type when they do not know a detail of the other side. Words no name starts
#: with (不知道, 不清楚…) say so wherever they stand; short ones (无, 没有, 跳过) only alone or
#: before what is not known, so 无锡某某公司 stays a name.
_UNKNOWN_STRONG = r"(?:不知道|不清楚|不晓得|不认识|不详|说不清|没有问|没问过?|忘了|记不得)"
_UNKNOWN_WEAK = r"(?:无|没有|跳过|未知)"
_UNKNOWN_WHAT = (
    r"(?:他|她|对方|对面|人家)?(?:的)?(?:叫什么|叫啥|姓什么|姓啥|名字|姓名|电话|号码|手机号?|住址|地址|住哪)"
    r"(?:名字|号码|里)?"
)
_UNKNOWN_RE = re.compile(
    rf"^(?:我)?(?:也)?(?:(?P<strong>{_UNKNOWN_STRONG})|{_UNKNOWN_WEAK})"
    rf"(?P<what>{_UNKNOWN_WHAT})?(?P<sep>[，,。.!！;；\s]+|$)?"
)
_UNKNOWN_THEN = ("就是", "应该是", "好像是", "是", "住", "在")
_UNKNOWN_WORDS_EN = ("unknown", "don't know", "dont know", "skip", "not sure", "n/a")


def unknown_detail(text: str) -> str | None:
    """``None`` unless the answer says the detail is not known ("不知道", "不清楚", "跳过",
    "不知道叫什么 就是1202的"); then what else was said, kept for the mediator (may be empty)."""
    raw = unicodedata.normalize("NFKC", text).strip()
    lowered = raw.casefold()
    for word in _UNKNOWN_WORDS_EN:
        if lowered.startswith(word):
            return raw[len(word) :].strip(" ,.;:-")
    found = _UNKNOWN_RE.match(raw)
    if found is None:
        return None
    rest = raw[found.end() :].strip(" ，,。.;；:：-")
    alone = any(found.group(g) is not None for g in ("strong", "what", "sep"))
    if not alone and not rest.startswith(_UNKNOWN_THEN):
        return None
    return rest


_PLACE_HAS_WORDS = re.compile(rf"[{_CJK}A-Za-z]")
_PLACE_MONEY = re.compile(r"^[￥¥$]?\s*[\d,，.\s]+\s*(?:元|块钱?|万元?|千元?)?$")


def clean_place(text: str, *, min_len: int, max_len: int) -> str:
    """Where the dispute happened: a place, not an amount or a bare number ("8,600" typed at
    this question is most likely the amount of the question before)."""
    place = clean_text(text, min_len=min_len, max_len=max_len)
    compact = unicodedata.normalize("NFKC", place)
    if _PLACE_MONEY.match(compact) or not _PLACE_HAS_WORDS.search(compact):
        raise InvalidInput("error.place_not_a_place", {"text": place})
    return place


def normalise_phone(text: str) -> str:
    """Mainland mobile numbers as 11 digits; others in E.164 (+…).

    Accepts spaces, dashes and a +86/0086 prefix, as people type them.
    """
    raw = re.sub(r"[\s\-()（）]", "", unicodedata.normalize("NFKC", text.strip()))
    if raw.startswith("0086"):
        raw = "+86" + raw[4:]
    if raw.startswith("+86"):
        raw = raw[3:]
    elif raw.startswith("86") and len(raw) == 13:
        raw = raw[2:]
    if _CN_MOBILE.match(raw):
        return raw
    if _INTL.match(raw):
        return raw
    if raw.isdigit() and len(raw) > 11 and not raw.startswith("1"):
        # Telegram shares contacts without "+": 447700900123 → +447700900123.
        candidate = "+" + raw
        if _INTL.match(candidate):
            return candidate
    raise InvalidInput("error.bad_phone")


def id_check_digit(first17: str) -> str:
    """GB 11643: ISO 7064 MOD 11-2 check character of a resident ID number."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def validate_id_number(text: str, *, today: date | None = None) -> str:
    """An 18-character 居民身份证号码: digits, check character, real birth date."""
    value = unicodedata.normalize("NFKC", text).strip().replace(" ", "").upper()
    if not re.fullmatch(r"\d{17}[\dX]", value):
        raise InvalidInput("error.bad_id_format")
    if id_check_digit(value[:17]) != value[17]:
        raise InvalidInput("error.bad_id_checksum")
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError as exc:
        raise InvalidInput("error.bad_id_birthdate") from exc
    if born.year < 1900 or born > (today or date.today()):
        raise InvalidInput("error.bad_id_birthdate")
    return value


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_CN_DIGITS |= {"七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10_000, "亿": 100_000_000}


def _chinese_number(text: str) -> Decimal:
    """Chinese numerals, including the spoken shorthand 一万二 = 12000, 三千五 = 3500."""
    total, section, digit = 0, 0, 0
    last_unit, after_zero = 0, False
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
            after_zero = after_zero or digit == 0
        elif ch in ("十", "百", "千"):
            section += (digit or 1) * _CN_UNITS[ch]
            digit, last_unit, after_zero = 0, _CN_UNITS[ch], False
        elif ch in ("万", "亿"):
            total = (total + section + digit) * _CN_UNITS[ch]
            section = digit = 0
            last_unit, after_zero = _CN_UNITS[ch], False
        else:
            raise InvalidInput("error.bad_amount")
    if digit and last_unit >= 100 and not after_zero and text[-1] in _CN_DIGITS:
        digit *= last_unit // 10  # a bare trailing digit counts in the next lower unit
    return Decimal(total + section + digit)


#: Words that make an amount approximate: 大概四千八, 5000左右, 四千多.
_APPROX_BEFORE = ("大概", "大约", "大致", "差不多", "估计", "将近", "接近", "约", "近")
_APPROX_AFTER = ("左右", "上下", "来块", "多点", "多")
_DIGIT_TO_CN = str.maketrans("0123456789", "零一二三四五六七八九")


@dataclass(frozen=True)
class AmountReading:
    """An amount as read from what was typed: ``approximate`` when the person said so (大概,
    左右); ``plain`` when it was written out in digits (4800, 4,800元), so there was nothing
    to interpret and no need to ask back."""

    value: Decimal
    approximate: bool = False
    plain: bool = True


def read_amount(text: str) -> AmountReading:
    """Money as people type or say it: ``12000``, ``1.2万``, ``4.8千``, ``12,000元``,
    ``¥4,800``, ``4800块``, ``一万二``, ``四千八百元整``, ``大概四千八``, ``5000左右``."""
    raw = unicodedata.normalize("NFKC", text).strip()
    raw = re.sub(r"[,，\s]", "", raw)
    approximate = False
    for word in _APPROX_BEFORE:
        if raw.startswith(word):
            raw, approximate = raw.removeprefix(word), True
            break
    raw = re.sub(r"^(?:[￥¥]|人民币|RMB|CNY)", "", raw, flags=re.IGNORECASE)
    for word in _APPROX_AFTER:
        if raw.endswith(word):
            raw, approximate = raw.removesuffix(word), True
            break
    raw = re.sub(r"(?:元整?|块钱?|RMB|CNY)$", "", raw, flags=re.IGNORECASE)
    for word in _APPROX_AFTER:  # 四千多块: the 多 before the currency word
        if raw.endswith(word):
            raw, approximate = raw.removesuffix(word), True
            break
    plain = bool(re.fullmatch(r"\d+(\.\d+)?", raw)) and not approximate
    value = _digits_with_unit(raw)
    if value is None and raw and re.fullmatch(r"[\d零〇一二两三四五六七八九十百千万亿]+", raw):
        value = _chinese_number(raw.translate(_DIGIT_TO_CN))
    if value is None or value <= 0:
        raise InvalidInput("error.bad_amount")
    if value > Decimal("100000000000"):
        raise InvalidInput("error.amount_too_large")
    return AmountReading(value.quantize(Decimal("0.01")), approximate, plain)


def _digits_with_unit(raw: str) -> Decimal | None:
    """``4800``, ``1.2万``, ``4.8千``: digits, optionally times one Chinese unit."""
    found = re.fullmatch(r"(\d+(?:\.\d+)?)([十百千万]|千万|百万|亿)?", raw)
    if found is None:
        return None
    try:
        number = Decimal(found.group(1))
    except InvalidOperation:
        return None
    multiplier = 1
    for unit in found.group(2) or "":
        multiplier *= _CN_UNITS[unit]
    return number * multiplier


def parse_amount(text: str) -> Decimal:
    """An exact amount (an agreement's term, an offer, a bid): as :func:`read_amount`, but
    大概/左右 is refused — an estimate is fine at intake, not in what a party commits to."""
    reading = read_amount(text)
    if reading.approximate:
        raise InvalidInput("error.amount_not_exact")
    return reading.value


#: GB 32100-2015 统一社会信用代码: the 31 characters it uses (no I, O, S, V, Z) and the weights
#: of the first 17 positions; the 18th is the check character.
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check(first17: str) -> str:
    """GB 32100-2015: the check character, 31 − (Σ value × weight mod 31) (31 becomes 0)."""
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]


def validate_credit_code(text: str) -> str:
    """An organisation's 18-character 统一社会信用代码, as typed (spaces, lower case, full width
    allowed), with its check character verified: a court files the organisation under it, so a
    mistyped code would make the application name nobody."""
    value = "".join(unicodedata.normalize("NFKC", text).split()).upper()
    if len(value) != 18 or any(c not in _USCC_CHARS for c in value):
        raise InvalidInput("error.bad_credit_code_format")
    if credit_code_check(value[:17]) != value[17]:
        raise InvalidInput("error.bad_credit_code_checksum")
    return value


def parse_age(text: str) -> int:
    """An age as stated ("16", "16岁"; digits only), 0–130: used to tell a
    minor (民法典 第十七条) when no ID number is known."""
    raw = (
        unicodedata.normalize("NFKC", text).strip().removesuffix("周岁").removesuffix("岁").strip()
    )
    if not raw.isdigit() or not 0 <= int(raw) <= 130:
        raise InvalidInput("error.bad_age")
    return int(raw)


def parse_ethnicity(text: str) -> str:
    """民族 as one of the 56 standard names (GB/T 3304, ``mediation.ethnicity``); free text
    that names none of them is refused rather than printed on a court-facing paper."""
    found = ethnicity.match(text)
    if found is None:
        raise InvalidInput("error.bad_ethnicity")
    return found


def parse_gender(text: str) -> str:
    """性别 as documents print it: 男 or 女 (also typed 男性/女性, M/F, male/female)."""
    raw = unicodedata.normalize("NFKC", text).strip().casefold().removesuffix("性")
    found = {"男": "男", "m": "男", "male": "男", "女": "女", "f": "女", "female": "女"}.get(raw)
    if found is None:
        raise InvalidInput("error.bad_gender")
    return found
