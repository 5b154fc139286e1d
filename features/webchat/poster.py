"""QR posters (一码解纠纷): one printable A4 PDF per mediation unit.

The QR opens ``PUBLIC_URL/chat?unit=<code>``: the browser chat starts the intake with that unit
set, so the case goes to the committee whose poster the resident scanned (not to wherever the
place they type would route it). Laid out by the documents render pool, like every PDF here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import jinja2

from documents.render import PreparedDocument, html_to_text
from i18n import translate
from mediation.units import UnitInfo

TEMPLATE = "qr_poster.html"
_TEXT_KEYS = ("title", "scan", "step1", "step2", "step3", "step4", "free")


def poster_url(base: str, unit: UnitInfo) -> str:
    return f"{base}/chat?unit={quote(unit.code)}"


def _environment() -> jinja2.Environment:
    loader = jinja2.PackageLoader("documents", "templates/zh-CN")
    return jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined)


def prepare_poster(unit: UnitInfo, base: str, language: str = "zh-CN") -> PreparedDocument:
    import segno

    url = poster_url(base, unit)
    text: dict[str, Any] = {k: translate(language, f"webchat.poster.{k}") for k in _TEXT_KEYS}
    text["address"] = translate(language, "webchat.poster.address", address=unit.address)
    text["link"] = translate(language, "webchat.poster.link", url=url)
    qr_uri = segno.make(url, error="q").svg_data_uri(scale=10, border=2)
    html = (
        _environment()
        .get_template(TEMPLATE)
        .render(lang=language, unit=unit, url=url, text=text, qr_uri=qr_uri)
    )
    return PreparedDocument("qr_poster", language, html, html_to_text(html), ("base.css",))


async def render_poster(pool: Any, unit: UnitInfo, base: str, language: str = "zh-CN") -> bytes:
    """The poster's PDF bytes, laid out in the render pool's worker processes."""
    prepared = prepare_poster(unit, base, language)
    pdf: bytes = await pool.render_prepared(prepared)
    return pdf
