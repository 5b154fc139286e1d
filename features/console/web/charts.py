"""Server-side SVG charts: no JavaScript library, nothing fetched from a CDN.

Why SVG on the server: the dashboard must work on a phone behind a strict Content-Security-
Policy (``script-src 'self'``, no inline styles), and a few bars do not need a charting
library. Charts scale with ``viewBox`` and carry a ``<title>`` per bar so screen readers and
hover show exact values. Every label is escaped here.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

PALETTE = ("#2563eb", "#16a34a", "#d97706", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d")


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    empty: str,
    colors: Sequence[str] | None = None,
) -> str:
    """Horizontal bars: long Chinese labels stay readable on a narrow screen."""
    row, width, value_w = 30, 460, 60
    widest = max((_text_width(lbl) for lbl, _ in items), default=0)
    label_w = int(min(220, max(110, widest + 12)))  # same width for every chart: same text size
    bar_w = width - label_w - value_w
    if not items:
        return _empty(title, empty, width)
    height = row * len(items) + 10
    top = max((v for _, v in items), default=0) or 1
    parts = [_open(title, width, height)]
    for i, (label, value) in enumerate(items):
        y = 5 + i * row
        w = max(2.0, bar_w * value / top) if value else 0
        color = (colors or PALETTE)[i % len(colors or PALETTE)]
        text = escape(_clip(label, label_w - 12))
        parts.append(
            f"<g><title>{escape(label)}: {_fmt(value)}</title>"
            f'<text x="{label_w - 6}" y="{y + 19}" text-anchor="end" font-size="13" '
            f'fill="#334155">{text}</text>'
            f'<rect x="{label_w}" y="{y + 5}" width="{w:.1f}" height="{row - 10}" rx="3" '
            f'fill="{color}"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 19}" font-size="13" fill="#0f172a">'
            f"{_fmt(value)}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def column_chart(items: Sequence[tuple[str, float]], *, title: str, empty: str) -> str:
    """Vertical columns over time (months), labels under each column."""
    width, height, pad_l, pad_b, pad_t = 480, 220, 36, 36, 16
    if not items:
        return _empty(title, empty, width)
    top = max((v for _, v in items), default=0) or 1
    plot_w, plot_h = width - pad_l - 8, height - pad_b - pad_t
    step = plot_w / len(items)
    col_w = max(4.0, min(40.0, step * 0.7))
    parts = [_open(title, width, height)]
    base_y = pad_t + plot_h
    parts.append(
        f'<line x1="{pad_l}" y1="{base_y}" x2="{width - 8}" y2="{base_y}" stroke="#94a3b8"/>'
        f'<text x="{pad_l - 4}" y="{pad_t + 4}" text-anchor="end" font-size="11" '
        f'fill="#64748b">{_fmt(top)}</text>'
    )
    every = max(1, len(items) // 8)
    for i, (label, value) in enumerate(items):
        h = plot_h * value / top
        x = pad_l + i * step + (step - col_w) / 2
        parts.append(
            f"<g><title>{escape(label)}: {_fmt(value)}</title>"
            f'<rect x="{x:.1f}" y="{base_y - h:.1f}" width="{col_w:.1f}" height="{h:.1f}" '
            f'rx="2" fill="{PALETTE[0]}"/></g>'
        )
        if i % every == 0:
            parts.append(
                f'<text x="{x + col_w / 2:.1f}" y="{base_y + 16}" text-anchor="middle" '
                f'font-size="11" fill="#475569">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _text_width(text: str, size: int = 13) -> float:
    """Rough rendered width: CJK glyphs are square, Latin ones about half as wide."""
    return sum(size if ord(ch) > 0x2E80 else size * 0.62 for ch in text)


def _clip(text: str, width: float) -> str:
    if _text_width(text) <= width:
        return text
    while text and _text_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


def _open(title: str, width: int, height: int) -> str:
    return (
        f'<svg class="chart" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="Noto Sans CJK SC, sans-serif"><title>{escape(title)}</title>'
    )


def _empty(title: str, empty: str, width: int) -> str:
    return (
        _open(title, width, 40)
        + f'<text x="8" y="25" font-size="13" fill="#64748b">{escape(empty)}</text></svg>'
    )
