"""Typed outgoing messages: what use cases produce and channels render.

A use case says *what* to send (a text with buttons, a QR code of a link, a stored PDF, a copy of
a party's photo…); the Telegram sender (``bot.sender``) and the browser chat
(``features.webchat.web_render``) each decide *how*. The outbox stores a message as JSON
(:func:`to_payload`) in the same transaction as the state change; channels read it back with
:func:`from_payload`, so every kind is named once, here, and an unknown or malformed row is an
error at the edge rather than a silently empty message.

The JSON shape is the one the outbox has always held (``kind`` absent for text), so rows queued
before this module existed are read the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Button:
    """A button: a callback ``action``, or a page opened in place (``web_app``: its URL)."""

    text: str
    action: str = ""
    web_app: str = ""


@dataclass(frozen=True)
class TextMessage:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    #: A one-time keyboard asking for the person's phone number, with this label.
    contact_button: str | None = None
    remove_keyboard: bool = False
    #: A voice recording this text is about (a channel that can play it shows a player).
    audio_ref: str | None = None
    #: The case message (room record) this copy carries: services.invariants counts them.
    case_message: int | None = None


@dataclass(frozen=True)
class CallbackAnswer:
    """Stops the spinner on a pressed button (not a message in the chat)."""

    callback_id: str
    text: str | None = None


@dataclass(frozen=True)
class RelayedFile:
    """A party's file or location, copied from the message it arrived in (in the sender's
    chat), with the room's role label as caption; the copy names no one."""

    from_chat_id: str
    message_id: int
    caption: str | None = None
    case_message: int | None = None


@dataclass(frozen=True)
class QrCode:
    """An invitation link as a QR code image."""

    data: str
    caption: str = ""


@dataclass(frozen=True)
class TextDocument:
    """Text too long for a message (a room record), sent as a ``.txt`` file."""

    text: str
    filename: str = "file.txt"
    caption: str | None = None


@dataclass(frozen=True)
class StoredDocument:
    """A generated file in the file store (an agreement PDF), by its key."""

    path: str
    filename: str | None = None
    caption: str | None = None


@dataclass(frozen=True)
class CommandMenu:
    """The chat's own command menu (the ``/`` button), as (command, description) pairs; empty:
    the chat goes back to the bot's default menu. Not a message in the chat: a staff member's
    menu follows their role, set when they link and reset when they unlink (issue 20)."""

    commands: tuple[tuple[str, str], ...] = ()


OutgoingMessage = (
    TextMessage
    | CallbackAnswer
    | RelayedFile
    | QrCode
    | TextDocument
    | StoredDocument
    | CommandMenu
)


class MalformedMessage(ValueError):
    """An outbox row that is none of the kinds above."""


def to_payload(message: OutgoingMessage) -> dict[str, Any]:
    """The outbox row's JSON for a message (optional fields only when set)."""
    if isinstance(message, TextMessage):
        payload: dict[str, Any] = {"text": message.text}
        if message.buttons:
            payload["buttons"] = [[_button_json(b) for b in row] for row in message.buttons]
        if message.contact_button:
            payload["contact_button"] = message.contact_button
        if message.remove_keyboard:
            payload["remove_keyboard"] = True
        if message.audio_ref:
            payload["audio_ref"] = message.audio_ref
        return _with_case_message(payload, message.case_message)
    if isinstance(message, CallbackAnswer):
        payload = {"kind": "answer_callback", "callback_id": message.callback_id}
        if message.text:
            payload["text"] = message.text
        return payload
    if isinstance(message, RelayedFile):
        payload = {
            "kind": "copy",
            "from_chat_id": message.from_chat_id,
            "message_id": message.message_id,
        }
        if message.caption is not None:
            payload["caption"] = message.caption
        return _with_case_message(payload, message.case_message)
    if isinstance(message, QrCode):
        return {"kind": "qr", "data": message.data, "caption": message.caption}
    if isinstance(message, CommandMenu):
        return {"kind": "menu", "commands": [list(pair) for pair in message.commands]}
    if isinstance(message, TextDocument):
        payload = {"kind": "document", "filename": message.filename, "text": message.text}
        return _optional(payload, "caption", message.caption)
    payload = {"kind": "file", "path": message.path}
    payload = _optional(payload, "filename", message.filename)
    return _optional(payload, "caption", message.caption)


def from_payload(payload: Mapping[str, Any]) -> OutgoingMessage:
    """The message an outbox row holds; :class:`MalformedMessage` if it holds none."""
    try:
        return _parse(payload)
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedMessage(f"not an outgoing message: {exc}") from exc


def _parse(p: Mapping[str, Any]) -> OutgoingMessage:
    kind = p.get("kind")
    caption = _str_or_none(p.get("caption"))
    if kind is None:
        return TextMessage(
            text=str(p["text"]),
            buttons=tuple(
                tuple(_button(b) for b in row if isinstance(b, Mapping))
                for row in p.get("buttons") or ()
                if isinstance(row, list)
            ),
            contact_button=_str_or_none(p.get("contact_button")),
            remove_keyboard=bool(p.get("remove_keyboard")),
            audio_ref=_str_or_none(p.get("audio_ref")),
            case_message=_int_or_none(p.get("cm")),
        )
    if kind == "answer_callback":
        return CallbackAnswer(str(p["callback_id"]), _str_or_none(p.get("text")))
    if kind == "copy":
        return RelayedFile(
            str(p["from_chat_id"]), int(p["message_id"]), caption, _int_or_none(p.get("cm"))
        )
    if kind == "qr":
        return QrCode(str(p["data"]), caption or "")
    if kind == "menu":
        return CommandMenu(tuple((str(c), str(d)) for c, d in p["commands"]))
    if kind == "document":
        return TextDocument(str(p["text"]), str(p.get("filename") or "file.txt"), caption)
    if kind == "file":
        return StoredDocument(str(p["path"]), _str_or_none(p.get("filename")), caption)
    raise ValueError(f"unknown kind {kind!r}")


def _button_json(b: Button) -> dict[str, str]:
    if b.web_app:
        return {"text": b.text, "web_app": b.web_app}
    return {"text": b.text, "action": b.action}


def _button(b: Mapping[str, Any]) -> Button:
    return Button(str(b.get("text", "")), str(b.get("action") or ""), str(b.get("web_app") or ""))


def _with_case_message(payload: dict[str, Any], case_message: int | None) -> dict[str, Any]:
    return _optional(payload, "cm", case_message)


def _optional(payload: dict[str, Any], key: str, value: object) -> dict[str, Any]:
    if value is not None:
        payload[key] = value
    return payload


def _str_or_none(value: object) -> str | None:
    return None if value is None else str(value)


def _int_or_none(value: object) -> int | None:
    return int(value) if isinstance(value, int | str) and str(value).lstrip("-").isdigit() else None
