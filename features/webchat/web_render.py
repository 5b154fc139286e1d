"""Outgoing messages (services.outgoing, written for any channel) → what the page shows.

Text and buttons pass through (already in the web's wording: services.delivery renders a
reply for its reader's channel, ``i18n.translate_for``); the person's own messages (kind
``mine``) come back as their side of the conversation; a Mini App button becomes a same-origin link to the signing
page (the browser session authenticates there); files become links to ``/chat/file/<seq>``
(checked against the session), and so does a recording a message carries (``audio_ref``,
played in the page); an invitation QR becomes a browser join link and its QR code, with the
words to pass it on (``share``: the page's copy and share buttons).
Only this person's own mailbox rows are ever rendered, so nothing here can leak another
person's identity beyond what the engine already chose to send them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from features.webchat.channel import OWN
from i18n import translate
from services.outgoing import (
    Button,
    CallbackAnswer,
    CommandMenu,
    MalformedMessage,
    QrCode,
    RelayedFile,
    StoredDocument,
    TextDocument,
    from_payload,
)


def _same_origin_path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _buttons(rows: tuple[tuple[Button, ...], ...]) -> list[list[dict[str, str]]]:
    out: list[list[dict[str, str]]] = []
    for row in rows:
        cells: list[dict[str, str]] = []
        for b in row:
            if b.web_app:
                cells.append({"text": b.text, "url": _same_origin_path(b.web_app)})
            elif b.action:
                cells.append({"text": b.text, "action": b.action})
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


def render_item(
    seq: int, payload: dict[str, Any], language: str, base: str, phone: str | None = None
) -> dict[str, Any]:
    """One mailbox row as the page shows it; ``phone``: the login number, masked, which the
    one-tap phone button names (the page asks for no number it already has)."""
    if payload.get("kind") == OWN:  # the person's own message (features.webchat.channel)
        return {"mine": True, "text": str(payload.get("text") or ""), "cid": payload.get("cid")}
    try:
        message = from_payload(payload)
    except MalformedMessage:
        return {"text": ""}
    if isinstance(message, StoredDocument | TextDocument):
        return {
            "text": message.caption or "",
            "file": {"name": message.filename or "file", "url": f"/chat/file/{seq}"},
        }
    if isinstance(message, QrCode):
        token = invite_token(message.data)
        join = f"{base}/chat/join/{token}" if token else message.data
        item: dict[str, Any] = {"text": message.caption, "join": join, "qr": qr_svg(join)}
        # What the person passes on (the page's 复制邀请 / 分享 buttons): words for the invitee,
        # not the inviter's instructions around the link.
        item["share"] = translate(language, "webchat.share_text", link=join)
        if message.data != join and message.data.startswith("https://t.me/"):
            item["telegram"] = message.data
        return item
    if isinstance(message, RelayedFile):
        return {"text": message.caption or translate(language, "webchat.file_unavailable")}
    if isinstance(message, CallbackAnswer):
        return {"text": message.text or ""}
    if isinstance(message, CommandMenu):
        return {"text": ""}  # a Telegram menu: staff link in Telegram only
    item = {"text": message.text}
    if message.audio_ref is not None and message.audio_ref.startswith("web:"):
        item["audio"] = f"/chat/file/{seq}"  # a recording made in a page: playable here
    buttons = _buttons(message.buttons)
    if buttons:
        item["buttons"] = buttons
    if message.contact_button:
        item["contact"] = (
            translate(language, "webchat.share_phone_as", phone=phone)
            if phone
            else translate(language, "webchat.share_phone")
        )
    return item
