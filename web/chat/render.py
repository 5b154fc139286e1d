"""Outbox payloads (written for any channel) → what the page shows.

Text and buttons pass through; a Mini App button becomes a same-origin link to the signing
page (the browser session authenticates there); files become links to ``/chat/file/<seq>``
(checked against the session), and so does a recording a message carries (``audio_ref``,
played in the page); an invitation QR becomes a browser join link and its QR code.
Only this person's own mailbox rows are ever rendered, so nothing here can leak another
person's identity beyond what the engine already chose to send them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from i18n import translate


def _same_origin_path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _buttons(rows: Any) -> list[list[dict[str, str]]]:
    out: list[list[dict[str, str]]] = []
    for row in rows if isinstance(rows, list) else []:
        cells: list[dict[str, str]] = []
        for b in row if isinstance(row, list) else []:
            if not isinstance(b, dict):
                continue
            if b.get("web_app"):
                cells.append(
                    {"text": str(b.get("text", "")), "url": _same_origin_path(b["web_app"])}
                )
            elif b.get("action"):
                cells.append({"text": str(b.get("text", "")), "action": str(b["action"])})
        if cells:
            out.append(cells)
    return out


def invite_token(link: str) -> str | None:
    """The invitation token inside a deep link (``…?start=inv_…``) or a browser join link."""
    parts = urlsplit(link)
    start = parse_qs(parts.query).get("start", [""])[0]
    if start.startswith("inv_"):
        return start
    tail = parts.path.rsplit("/", 1)[-1]
    return tail if tail.startswith("inv_") else None


def qr_svg(data: str) -> str:
    import segno

    return str(segno.make(data, error="m").svg_data_uri(scale=5, border=2))


def render_item(seq: int, payload: dict[str, Any], language: str, base: str) -> dict[str, Any]:
    kind = payload.get("kind")
    if kind in ("file", "document"):
        name = str(payload.get("filename") or "file")
        return {
            "text": str(payload.get("caption") or ""),
            "file": {"name": name, "url": f"/chat/file/{seq}"},
        }
    if kind == "qr":
        link = str(payload.get("data", ""))
        token = invite_token(link)
        join = f"{base}/chat/join/{token}" if token else link
        item: dict[str, Any] = {
            "text": str(payload.get("caption") or ""),
            "join": join,
            "qr": qr_svg(join),
        }
        if link != join and link.startswith("https://t.me/"):
            item["telegram"] = link
        return item
    if kind == "copy":
        caption = str(payload.get("caption") or "")
        return {"text": caption or translate(language, "webchat.file_unavailable")}
    item = {"text": str(payload.get("text", ""))}
    audio_ref = payload.get("audio_ref")
    if isinstance(audio_ref, str) and audio_ref.startswith("web:"):
        item["audio"] = f"/chat/file/{seq}"  # a recording made in a page: playable here
    buttons = _buttons(payload.get("buttons"))
    if buttons:
        item["buttons"] = buttons
    if payload.get("contact_button"):
        item["contact"] = translate(language, "webchat.share_phone")
    return item
