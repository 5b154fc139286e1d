"""Money amounts in figures and in Chinese capital numerals (大写金额).

Agreements, IOUs and receipts state every amount twice, in figures and in capitals, because
capitals cannot be altered by adding a stroke. The rules follow the People's Bank of China's
conventions for filling in bills (正确填写票据和结算凭证的基本规定, a banking practice document,
not statute): "元" is followed by "整" when there are no 角/分; a single "零" stands for any run of
zeros inside the number; when 角 is zero but 分 is not, "零" is written after "元"; "壹拾" is
written out for 10–19 so nothing can be prefixed.

Amounts are :class:`~decimal.Decimal` (or ``int``/``str``), never ``float``: a float cannot hold
0.1 exactly and a legal document must not print a rounding artefact.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

__all__ = ["MAX_AMOUNT", "AmountError", "format_amount", "parse_amount", "to_capital"]

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_GROUP_UNITS = ("", "万", "亿")
_CENT = Decimal("0.01")

#: Largest amount accepted (just under 10^12 yuan, 壹万亿): anything larger in a
#: people's-mediation document is a typing error, not a claim, and 万亿 needs other rules.
MAX_AMOUNT = Decimal("999999999999.99")


class AmountError(ValueError):
    """An amount that cannot be a sum of money (negative, fractional cents, not a number)."""


def parse_amount(value: Decimal | int | str) -> Decimal:
    """Turn ``value`` into a non-negative Decimal with at most two decimal places.

    Accepts thousands separators and a trailing "元" so a value typed by a mediator works.
    More than two decimal places is refused rather than rounded: rounding someone's money
    silently would change the agreement.
    """
    if isinstance(value, bool | float):
        raise AmountError(f"amount must be Decimal, int or str, not {type(value).__name__}")
    if isinstance(value, str):
        text = value.strip().replace(",", "").replace("，", "").removesuffix("元").strip()
        try:
            amount = Decimal(text)
        except InvalidOperation as exc:
            raise AmountError(f"not an amount: {value!r}") from exc
    else:
        amount = Decimal(value)
    if not amount.is_finite():
        raise AmountError(f"not an amount: {value!r}")
    if amount < 0:
        raise AmountError(f"amount must not be negative: {value!r}")
    if amount > MAX_AMOUNT:
        raise AmountError(f"amount too large: {value!r}")
    if amount != amount.quantize(_CENT, rounding=ROUND_HALF_UP):
        raise AmountError(f"amount has more than two decimal places: {value!r}")
    return amount.quantize(_CENT)


def format_amount(value: Decimal | int | str) -> str:
    """Figures with thousands separators and two decimals: ``12,000.00``."""
    return f"{parse_amount(value):,.2f}"


def _group_to_capital(group: int) -> str:
    """Write 0–9999 with 仟佰拾, collapsing inner zeros to one 零 (no leading/trailing 零)."""
    out: list[str] = []
    pending_zero = False
    for position in range(3, -1, -1):
        digit = group // 10**position % 10
        if digit == 0:
            pending_zero = bool(out)
            continue
        if pending_zero:
            out.append("零")
            pending_zero = False
        out.append(_DIGITS[digit] + _SMALL_UNITS[position])
    return "".join(out)


def _integer_to_capital(number: int) -> str:
    groups: list[int] = []
    while number:
        groups.append(number % 10000)
        number //= 10000
    out: list[str] = []
    need_zero = False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            need_zero = bool(out)
            continue
        # A zero is needed when a higher group was written and this one does not fill its
        # 仟 place (100010 → 壹拾万零壹拾), or when whole groups were skipped.
        if out and (need_zero or group < 1000):
            out.append("零")
        out.append(_group_to_capital(group) + _GROUP_UNITS[index])
        need_zero = False
    return "".join(out)


def to_capital(value: Decimal | int | str) -> str:
    """Chinese capital numerals for a sum in yuan: 12000 → ``壹万贰仟元整``.

    Examples: 0.5 → 伍角; 100.05 → 壹佰元零伍分; 16409.02 → 壹万陆仟肆佰零玖元零贰分;
    0 → 零元整.
    """
    amount = parse_amount(value)
    cents = int(amount * 100)
    yuan, rest = divmod(cents, 100)
    jiao, fen = divmod(rest, 10)
    if cents == 0:
        return "零元整"
    out = _integer_to_capital(yuan) + "元" if yuan else ""
    if jiao == 0 and fen == 0:
        return out + "整"
    if jiao:
        out += _DIGITS[jiao] + "角"
    elif yuan:
        out += "零"
    if fen:
        out += _DIGITS[fen] + "分"
    return out
