"""Bot API methods that create, change or remove messages.

Each handler validates like Telegram first (so a bug that would be a 400 in
production is a 400 here), then records a ``SentMessage`` for the tests and
returns the Message object the real API would return.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .formatting import parse_text, utf16_len
from .markup import validate_markup
from .models import (
    ApiError,
    JSONDict,
    SentMessage,
    bad_request,
    flatten_inline,
    flatten_keyboard,
)
from .params import get_bool, get_chat_ref, get_float, get_int, get_json, get_str
from .state import BotState, Chat

if TYPE_CHECKING:
    from .engine import Engine
    from .media import StoredFile

MAX_TEXT = 4096
MAX_CAPTION = 1024
_MEDIA_KEYS = ("photo", "document", "voice", "audio", "video", "animation", "sticker")
_COPY_KEYS = (
    *_MEDIA_KEYS,
    "text",
    "entities",
    "caption",
    "caption_entities",
    "location",
    "contact",
)


def target_chat(bot: BotState, params: JSONDict, name: str = "chat_id") -> Chat:
    """The chat a method addresses: must be given, known and not blocking the bot."""
    ref = get_chat_ref(params, name)
    if ref is None:
        raise bad_request("chat_id is empty")
    chat = bot.chat_by_ref(ref)
    if chat is None:
        raise bad_request("chat not found")
    if chat.blocked:
        if chat.is_group:
            raise ApiError(403, "Forbidden: bot was kicked from the group chat")
        raise ApiError(403, "Forbidden: bot was blocked by the user")
    return chat


def _parsed(
    params: JSONDict, field: str, entities_field: str, limit: int, empty: str | None, long: str
) -> tuple[str | None, str, list[JSONDict]]:
    """(raw, plain, entities) for a text or caption parameter."""
    raw = get_str(params, field)
    if raw is None or raw == "":
        if empty is not None:
            raise bad_request(empty)
        return None, "", []
    plain, entities = parse_text(
        raw, get_str(params, "parse_mode"), get_json(params, entities_field)
    )
    if empty is not None and not plain.strip():
        raise bad_request(empty)
    if utf16_len(plain) > limit:
        raise bad_request(long)
    return raw, plain, entities


def _text(params: JSONDict) -> tuple[str | None, str, list[JSONDict]]:
    """(raw, plain, entities) of a message's ``text``, which must not be empty."""
    return _parsed(
        params, "text", "entities", MAX_TEXT, "message text is empty", "message is too long"
    )


def _caption(params: JSONDict) -> tuple[str | None, str, list[JSONDict]]:
    """(raw, plain, entities) of a media message's ``caption``, which may be absent."""
    return _parsed(
        params, "caption", "caption_entities", MAX_CAPTION, None, "message caption is too long"
    )


def _reply_target(chat: Chat, params: JSONDict) -> JSONDict | None:
    reply = get_json(params, "reply_parameters")
    allow = get_bool(params, "allow_sending_without_reply")
    if isinstance(reply, dict):
        message_id = reply.get("message_id")
        allow = allow or bool(reply.get("allow_sending_without_reply"))
    else:
        message_id = get_int(params, "reply_to_message_id")
    if message_id is None:
        return None
    original = chat.messages.get(int(message_id))
    if original is None:
        if allow:
            return None
        raise bad_request("message to be replied not found")
    return {key: value for key, value in original.items() if key != "reply_to_message"}


def post_message(
    engine: Engine,
    bot: BotState,
    chat: Chat,
    method: str,
    params: JSONDict,
    content: JSONDict,
    *,
    raw_text: str | None,
    plain: str | None,
    entities: list[JSONDict] | None = None,
    file: StoredFile | None = None,
) -> JSONDict:
    """Validate markup/reply, apply flood limits, store and return the Message."""
    markup = validate_markup(params)
    reply_to = _reply_target(chat, params)
    if engine.enforce_rate_limits:
        engine.limiter.check(bot.bot_id or 0, chat.id, chat.is_group)
    now = time.time()
    message_id = chat.new_message_id()
    message: JSONDict = {
        "message_id": message_id,
        "from": bot.user,
        "chat": chat.as_dict(),
        "date": int(now),
    }
    if reply_to is not None:
        message["reply_to_message"] = reply_to
    message.update(content)
    if markup is not None and "inline_keyboard" in markup:
        message["reply_markup"] = markup
    chat.messages[message_id] = message
    sent = SentMessage(
        message_id=message_id,
        chat_id=chat.id,
        method=method,
        text=plain,
        parse_mode=get_str(params, "parse_mode"),
        reply_markup=markup,
        buttons=flatten_inline(markup),
        keyboard=flatten_keyboard(markup),
        message=message,
        raw_text=raw_text,
        entities=entities or [],
        file=file.data if file is not None else None,
        filename=file.file_name if file is not None else None,
        mime_type=file.mime_type if file is not None else None,
        time=now,
    )
    chat.sent.append(sent)
    chat.sent_by_id[message_id] = sent
    engine.message_signal.notify()
    return message


def _with_caption(content: JSONDict, plain: str, entities: list[JSONDict]) -> JSONDict:
    if plain:
        content["caption"] = plain
        if entities:
            content["caption_entities"] = entities
    return content


async def send_message(engine: Engine, bot: BotState, params: JSONDict) -> JSONDict:
    """sendMessage."""
    chat = target_chat(bot, params)
    raw, plain, entities = _text(params)
    content: JSONDict = {"text": plain}
    if entities:
        content["entities"] = entities
    return post_message(
        engine,
        bot,
        chat,
        "sendMessage",
        params,
        content,
        raw_text=raw,
        plain=plain,
        entities=entities,
    )


def _send_media(kind: str, method: str) -> Any:
    """Build the handler for sendPhoto / sendDocument / sendVoice / sendAudio."""

    async def handler(engine: Engine, bot: BotState, params: JSONDict) -> JSONDict:
        chat = target_chat(bot, params)
        stored, _ = engine.files.resolve_input(params.get(kind), params, kind, kind)
        raw, plain, entities = _caption(params)
        if kind == "photo":
            media: Any = engine.files.photo_sizes(stored)
        else:
            media = stored.describe()
            if stored.file_name:
                media["file_name"] = stored.file_name
            if kind in ("voice", "audio"):
                media["duration"] = get_int(params, "duration", 1)
                media["mime_type"] = stored.mime_type or (
                    "audio/ogg" if kind == "voice" else "audio/mpeg"
                )
            elif stored.mime_type:
                media["mime_type"] = stored.mime_type
            for key in ("title", "performer"):
                if kind == "audio" and params.get(key):
                    media[key] = get_str(params, key)
        content = _with_caption({kind: media}, plain, entities)
        return post_message(
            engine,
            bot,
            chat,
            method,
            params,
            content,
            raw_text=raw,
            plain=plain or None,
            entities=entities,
            file=stored,
        )

    handler.__name__ = f"send_{kind}"
    return handler


async def send_location(engine: Engine, bot: BotState, params: JSONDict) -> JSONDict:
    """sendLocation."""
    chat = target_chat(bot, params)
    latitude, longitude = get_float(params, "latitude"), get_float(params, "longitude")
    if latitude is None or not -90 <= latitude <= 90:
        raise bad_request("wrong latitude")
    if longitude is None or not -180 <= longitude <= 180:
        raise bad_request("wrong longitude")
    content = {"location": {"latitude": latitude, "longitude": longitude}}
    return post_message(
        engine, bot, chat, "sendLocation", params, content, raw_text=None, plain=None
    )


def _source_message(bot: BotState, params: JSONDict, verb: str) -> tuple[JSONDict, Chat]:
    ref = get_chat_ref(params, "from_chat_id")
    source_chat = bot.chat_by_ref(ref) if ref is not None else None
    if source_chat is None:
        raise bad_request("chat not found")
    message_id = get_int(params, "message_id")
    original = source_chat.messages.get(message_id) if message_id is not None else None
    if original is None:
        raise bad_request(f"message to {verb} not found")
    return original, source_chat


def _file_of(engine: Engine, content: JSONDict) -> StoredFile | None:
    for key in _MEDIA_KEYS:
        media = content.get(key)
        if isinstance(media, list) and media:
            media = media[-1]
        if isinstance(media, dict):
            return engine.files.by_id.get(str(media.get("file_id")))
    return None


async def copy_message(engine: Engine, bot: BotState, params: JSONDict) -> JSONDict:
    """copyMessage: same content, no forward header; returns only the MessageId."""
    chat = target_chat(bot, params)
    original, _ = _source_message(bot, params, "copy")
    content = {key: original[key] for key in _COPY_KEYS if key in original}
    if "caption" in params:
        _, plain, entities = _caption(params)
        content.pop("caption", None)
        content.pop("caption_entities", None)
        _with_caption(content, plain, entities)
    text = content.get("text", content.get("caption"))
    message = post_message(
        engine,
        bot,
        chat,
        "copyMessage",
        params,
        content,
        raw_text=text,
        plain=text,
        entities=content.get("entities", content.get("caption_entities")),
        file=_file_of(engine, content),
    )
    return {"message_id": message["message_id"]}


async def forward_message(engine: Engine, bot: BotState, params: JSONDict) -> JSONDict:
    """forwardMessage: content plus ``forward_origin`` naming the original sender."""
    chat = target_chat(bot, params)
    original, _ = _source_message(bot, params, "forward")
    content = {key: original[key] for key in _COPY_KEYS if key in original}
    content["forward_origin"] = original.get("forward_origin") or {
        "type": "user",
        "sender_user": original.get("from", bot.user),
        "date": original.get("date", int(time.time())),
    }
    text = content.get("text", content.get("caption"))
    return post_message(
        engine,
        bot,
        chat,
        "forwardMessage",
        params,
        content,
        raw_text=text,
        plain=text,
        file=_file_of(engine, content),
    )


def _editable(bot: BotState, params: JSONDict) -> tuple[Chat, JSONDict, SentMessage]:
    if params.get("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")
    chat = target_chat(bot, params)
    message_id = get_int(params, "message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    message = chat.messages.get(message_id)
    if message is None:
        raise bad_request("message to edit not found")
    sent = chat.sent_by_id.get(message_id)
    if sent is None:
        raise bad_request("message can't be edited")
    return chat, message, sent


def _inline_markup(params: JSONDict) -> JSONDict | None:
    markup = validate_markup(params)
    if markup is not None and "inline_keyboard" not in markup:
        raise bad_request("inline keyboard expected")
    return markup


def _not_modified() -> ApiError:
    return bad_request(
        "message is not modified: specified new message content and reply markup are exactly "
        "the same as a current content and reply markup of the message"
    )


def _apply_edit(
    engine: Engine, message: JSONDict, sent: SentMessage, fields: JSONDict, markup: JSONDict | None
) -> JSONDict:
    for key, value in fields.items():
        if value:
            message[key] = value
        else:
            message.pop(key, None)
    if markup is not None:
        message["reply_markup"] = markup
    else:
        message.pop("reply_markup", None)
    message["edit_date"] = int(time.time())
    sent.reply_markup = markup
    sent.buttons = flatten_inline(markup)
    sent.edit_count += 1
    engine.message_signal.notify()
    return message


async def edit_message_text(engine: Engine, bot: BotState, params: JSONDict) -> JSONDict:
    """editMessageText; omitting reply_markup removes the inline keyboard, as in Telegram."""
    _, message, sent = _editable(bot, params)
    raw, plain, entities = _text(params)
    markup = _inline_markup(params)
    if "text" not in message:
        raise bad_request("there is no text in the message to edit")
    if (
        message.get("text") == plain
        and message.get("entities", []) == entities
        and message.get("reply_markup") == markup
    ):
        raise _not_modified()
    sent.history.append(sent.text)
    sent.text, sent.raw_text, sent.entities = plain, raw, entities
    sent.parse_mode = get_str(params, "parse_mode")
    return _apply_edit(engine, message, sent, {"text": plain, "entities": entities}, markup)


async def edit_message_caption(engine: Engine, bot: BotState, params: JSONDict) -> JSONDict:
    """editMessageCaption (only messages with media have a caption)."""
    _, message, sent = _editable(bot, params)
    raw, plain, entities = _caption(params)
    markup = _inline_markup(params)
    if not any(key in message for key in _MEDIA_KEYS):
        raise bad_request("there is no caption in the message to edit")
    if (
        message.get("caption", "") == plain
        and message.get("caption_entities", []) == entities
        and message.get("reply_markup") == markup
    ):
        raise _not_modified()
    sent.history.append(sent.text)
    sent.text, sent.raw_text, sent.entities = plain or None, raw, entities
    fields = {"caption": plain, "caption_entities": entities}
    return _apply_edit(engine, message, sent, fields, markup)


async def edit_message_reply_markup(engine: Engine, bot: BotState, params: JSONDict) -> JSONDict:
    """editMessageReplyMarkup."""
    _, message, sent = _editable(bot, params)
    markup = _inline_markup(params)
    if message.get("reply_markup") == markup:
        raise _not_modified()
    return _apply_edit(engine, message, sent, {}, markup)


async def delete_message(engine: Engine, bot: BotState, params: JSONDict) -> bool:
    """deleteMessage; works for the bot's and (in private chats) the user's messages."""
    chat = target_chat(bot, params)
    message_id = get_int(params, "message_id")
    if message_id is None or chat.messages.pop(message_id, None) is None:
        raise bad_request("message to delete not found")
    sent = chat.sent_by_id.get(message_id)
    if sent is not None:
        sent.deleted = True
    engine.message_signal.notify()
    return True


MESSAGING_METHODS = {
    "sendMessage": send_message,
    "sendPhoto": _send_media("photo", "sendPhoto"),
    "sendDocument": _send_media("document", "sendDocument"),
    "sendVoice": _send_media("voice", "sendVoice"),
    "sendAudio": _send_media("audio", "sendAudio"),
    "sendLocation": send_location,
    "copyMessage": copy_message,
    "forwardMessage": forward_message,
    "editMessageText": edit_message_text,
    "editMessageCaption": edit_message_caption,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
}
