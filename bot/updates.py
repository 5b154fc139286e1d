"""Telegram ``Update`` → channel-neutral :class:`services.inbound.Inbound`.

Pure translation: nothing here talks to the network or the database. Telegram names,
usernames and phone numbers of senders are deliberately not carried over, except a contact's
phone number when a party shares it on purpose.
"""

from __future__ import annotations

from typing import Any

from telegram import Message, Update

from mediation import intake
from services.inbound import Command, Inbound

CHANNEL = "telegram"


def chat_key(update: Update) -> str:
    """The ordering key: updates with the same key are handled strictly one after another."""
    if update.effective_chat is not None:
        return str(update.effective_chat.id)
    if update.effective_user is not None:
        return f"u{update.effective_user.id}"
    return "none"


def raw_chat_key(raw: dict[str, Any]) -> str:
    """Same key from the raw JSON, without parsing the whole update (used on arrival)."""
    for field in ("message", "edited_message", "channel_post", "edited_channel_post"):
        chat = (raw.get(field) or {}).get("chat") if isinstance(raw.get(field), dict) else None
        if isinstance(chat, dict) and isinstance(chat.get("id"), int):
            return str(chat["id"])
    cq = raw.get("callback_query")
    if isinstance(cq, dict):
        msg = cq.get("message")
        if isinstance(msg, dict) and isinstance(msg.get("chat"), dict):
            chat_id = msg["chat"].get("id")
            if isinstance(chat_id, int):
                return str(chat_id)
        sender = cq.get("from")
        if isinstance(sender, dict) and isinstance(sender.get("id"), int):
            return f"u{sender['id']}"
    for value in raw.values():
        if isinstance(value, dict):
            sender = value.get("from")
            if isinstance(sender, dict) and isinstance(sender.get("id"), int):
                return f"u{sender['id']}"
    return "none"


def parse_command(text: str) -> Command | None:
    """``/start@mybot payload`` → Command("start", ("payload",))."""
    if not text.startswith("/") or len(text) < 2:
        return None
    head, _, rest = text[1:].partition(" ")
    name = head.split("@", 1)[0].lower()
    if not name or not name.replace("_", "").isalnum() or not name.isascii():
        return None
    return Command(name, tuple(rest.split()))


def _message_payload(message: Message) -> intake.Input | Command | None:
    if message.text is not None:
        return parse_command(message.text) or intake.TextInput(message.text)
    if message.contact is not None:
        sender = message.from_user.id if message.from_user else None
        own = message.contact.user_id is not None and message.contact.user_id == sender
        return intake.ContactInput(message.contact.phone_number, is_own=own)
    if message.photo:
        largest = message.photo[-1]
        return intake.FileInput("photo", largest.file_id, size=largest.file_size)
    for kind in ("document", "video", "audio", "voice", "video_note"):
        media = getattr(message, kind)
        if media is not None:
            return intake.FileInput(
                "voice" if kind in ("voice", "video_note") else kind,
                media.file_id,
                name=getattr(media, "file_name", None),
                mime_type=getattr(media, "mime_type", None),
                size=media.file_size,
            )
    if message.sticker is not None:
        return intake.OtherInput("sticker")
    if message.location is not None:
        return intake.OtherInput("location")
    return intake.OtherInput("other")


def replace_nul(value: Any) -> Any:
    """The raw update with every NUL character replaced by U+FFFD (same UTF-16 length, so
    entity offsets stay right).

    PostgreSQL refuses NUL in text and in JSONB: such an update failed to be stored, the
    webhook answered 500 and Telegram would resend it for ever (found by
    tests/security/test_hostile_updates.py on PostgreSQL).
    """
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd") if "\x00" in value else value
    if isinstance(value, dict):
        return {replace_nul(k): replace_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [replace_nul(v) for v in value]
    return value


def _expect(obj: object, field: str, kind: type | tuple[type, ...], optional: bool = True) -> None:
    value = getattr(obj, field, None)
    if value is None and optional:
        return
    if type(value) is bool and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise ValueError(f"{type(obj).__name__}.{field} has the wrong type")
    if not isinstance(value, kind):
        raise ValueError(f"{type(obj).__name__}.{field} has the wrong type")


def check_types(update: Update) -> None:
    """Refuse an update whose fields that we read have types Telegram never sends.

    ``Update.de_json`` accepts any JSON type anywhere: a list as ``from.id`` crashed PTB's own
    bookkeeping (``unhashable type``) outside our handler and left the update pending forever;
    a number as ``language_code`` crashed the conversation. Found by
    tests/security/test_hostile_updates.py. Called on arrival (``TelegramBot.accept``), so such
    an update is kept as "unparseable" for inspection and never handled.
    """
    for obj in (update.effective_user, update.effective_chat, update.effective_sender):
        if obj is not None:
            _expect(obj, "id", int, optional=False)
    user = update.effective_user
    if user is not None:
        _expect(user, "language_code", str)
        _expect(user, "is_bot", bool)
    if update.effective_chat is not None:
        _expect(update.effective_chat, "type", str, optional=False)
    if update.callback_query is not None:
        _expect(update.callback_query, "id", str, optional=False)
        _expect(update.callback_query, "data", str)
    message = update.message or update.edited_message
    if message is None:
        return
    _expect(message, "message_id", int, optional=False)
    _expect(message, "text", str)
    _expect(message, "caption", str)
    if message.contact is not None:
        _expect(message.contact, "phone_number", str, optional=False)
        _expect(message.contact, "user_id", int)
    if message.photo is not None and not isinstance(message.photo, tuple | list):
        raise ValueError("Message.photo has the wrong type")
    media = [*(message.photo or ())]
    media += [getattr(message, k) for k in ("document", "video", "audio", "voice", "video_note")]
    for item in media:
        if item is None:
            continue
        _expect(item, "file_id", str, optional=False)
        _expect(item, "file_size", int)
        _expect(item, "file_name", str)
        _expect(item, "mime_type", str)


def to_inbound(update: Update) -> Inbound | None:
    """None for updates that need no answer (membership changes, channel posts, polls…)."""
    user = update.effective_user
    chat = update.effective_chat
    if update.callback_query is not None:
        cq = update.callback_query
        if chat is None or user is None:
            return None
        return Inbound(
            channel=CHANNEL,
            chat_id=str(chat.id),
            user_id=str(user.id),
            payload=intake.ActionInput(cq.data or ""),
            chat_type=chat.type,
            language_hint=user.language_code,
            callback_id=cq.id,
        )
    message = update.message or update.edited_message
    if message is None or user is None or chat is None or user.is_bot:
        return None
    return Inbound(
        channel=CHANNEL,
        chat_id=str(chat.id),
        user_id=str(user.id),
        payload=_message_payload(message),
        chat_type=chat.type,
        language_hint=user.language_code,
        edited=update.edited_message is not None,
        forwarded=message.forward_origin is not None,
        message_id=message.message_id,
        caption=message.caption,
    )
