"""The remaining Bot API methods and the method registry.

Method names are matched case-insensitively, as the real Bot API does; the
registry maps the lower-cased name to the canonical spelling (used in
``calls`` and stats) and the handler.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .media import MAX_DOWNLOAD
from .messaging import MESSAGING_METHODS, target_chat
from .models import ApiError, JSONDict, bad_request, dumps
from .params import get_bool, get_float, get_int, get_json, get_str
from .state import CALLBACK_ANSWER_TIMEOUT, BotState

if TYPE_CHECKING:
    from .engine import Engine

Handler = Callable[["Engine", BotState, JSONDict], Awaitable[Any]]

_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


_SCOPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)


def scope_key(scope: Any, language_code: str | None) -> tuple[str, str]:
    """Commands are stored per (scope, language) like Telegram.

    The scope is checked as Telegram does (a known type; ``chat_id`` for the per-chat scopes)
    and stored in one canonical form, so ``{"type": "chat", "chat_id": "42"}`` and
    ``{"chat_id": 42, "type": "chat"}`` name the same menu."""
    if not scope:
        scope = {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in _SCOPES:
        raise bad_request("can't parse BotCommandScope")
    canonical: JSONDict = {"type": scope["type"]}
    if scope["type"].startswith("chat"):
        chat_id = scope.get("chat_id")
        if chat_id is None or str(chat_id).strip() == "":
            raise bad_request("chat_id is empty")
        text = str(chat_id)
        canonical["chat_id"] = int(text) if text.lstrip("-").isdigit() else text
    if scope["type"] == "chat_member":
        canonical["user_id"] = int(scope.get("user_id") or 0)
    return dumps(canonical).decode(), language_code or ""


def menu_keys(chat_id: int, language_code: str | None) -> list[tuple[str, str]]:
    """The (scope, language) keys a private chat's menu is looked up by, in Telegram's order:
    this chat in the user's language, this chat, all private chats (language, then any), the
    default (language, then any). The first that holds commands is what the user sees."""
    scopes = [{"type": "chat", "chat_id": chat_id}, {"type": "all_private_chats"}, None]
    keys: list[tuple[str, str]] = []
    for scope in scopes:
        if language_code:
            keys.append(scope_key(scope, language_code))
        keys.append(scope_key(scope, None))
    return keys


async def get_me(engine: Engine, bot: BotState, params: JSONDict) -> JSONDict:
    """getMe: id from the token prefix, a fixed username."""
    return {
        **bot.user,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


async def get_updates(engine: Engine, bot: BotState, params: JSONDict) -> list[JSONDict]:
    """getUpdates with offset confirmation and long polling."""
    allowed = get_json(params, "allowed_updates")
    timeout = max(0.0, get_float(params, "timeout") or 0.0)
    return await bot.get_updates(
        get_int(params, "offset", 0) or 0,
        get_int(params, "limit", 100) or 100,
        timeout,
        allowed if isinstance(allowed, list) else None,
    )


async def set_webhook(engine: Engine, bot: BotState, params: JSONDict) -> bool:
    """setWebhook; plain http is accepted because receivers in tests are local."""
    url = get_str(params, "url") or ""
    secret = get_str(params, "secret_token")
    if secret is not None and not _SECRET_RE.match(secret):
        raise bad_request("secret token contains unallowed characters")
    if url and not url.startswith(("http://", "https://")):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    allowed = get_json(params, "allowed_updates")
    bot.set_allowed_updates(allowed if isinstance(allowed, list) else None)
    max_connections = get_int(params, "max_connections", 40) or 40
    await engine.set_webhook(
        bot, url, secret, get_bool(params, "drop_pending_updates"), min(max_connections, 100)
    )
    return True


async def delete_webhook(engine: Engine, bot: BotState, params: JSONDict) -> bool:
    """deleteWebhook (also what PTB's run_polling calls first)."""
    await engine.delete_webhook(bot, get_bool(params, "drop_pending_updates"))
    return True


async def get_webhook_info(engine: Engine, bot: BotState, params: JSONDict) -> JSONDict:
    """getWebhookInfo, including Telegram's last-error fields."""
    info: JSONDict = {
        "url": bot.webhook_url,
        "has_custom_certificate": False,
        "pending_update_count": len(bot.pending),
    }
    dispatcher = engine.webhook_dispatcher(bot)
    if dispatcher is not None:
        info["max_connections"] = bot.webhook_max_connections
        if dispatcher.last_error_date is not None:
            info["last_error_date"] = dispatcher.last_error_date
            info["last_error_message"] = dispatcher.last_error_message
    if bot.allowed_updates is not None:
        info["allowed_updates"] = sorted(bot.allowed_updates)
    return info


async def send_chat_action(engine: Engine, bot: BotState, params: JSONDict) -> bool:
    """sendChatAction; the action is recorded for ``server.chat_actions``."""
    chat = target_chat(bot, params)
    action = get_str(params, "action")
    if action not in _CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    chat.actions.append(action)
    return True


async def answer_callback_query(engine: Engine, bot: BotState, params: JSONDict) -> bool:
    """answerCallbackQuery: once per query and within Telegram's ~15 s window."""
    query_id = get_str(params, "callback_query_id") or ""
    record = bot.callbacks.get(query_id)
    if (
        record is None
        or record.answer is not None
        or time.monotonic() - record.created > CALLBACK_ANSWER_TIMEOUT
    ):
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    record.answer = {
        "text": get_str(params, "text"),
        "show_alert": get_bool(params, "show_alert"),
        "url": get_str(params, "url"),
        "cache_time": get_int(params, "cache_time", 0),
        "time": time.time(),
    }
    engine.message_signal.notify()
    return True


async def set_my_commands(engine: Engine, bot: BotState, params: JSONDict) -> bool:
    """setMyCommands with Telegram's command-name rules."""
    commands = get_json(params, "commands")
    if not isinstance(commands, list):
        raise bad_request("parameter commands is required")
    if len(commands) > 100:
        raise bad_request("too many commands specified")
    cleaned: list[JSONDict] = []
    for command in commands:
        if not isinstance(command, dict):
            raise bad_request("can't parse BotCommand")
        name = str(command.get("command", ""))
        description = str(command.get("description", ""))
        if not _COMMAND_RE.match(name):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise bad_request("command description is empty")
        cleaned.append({"command": name, "description": description})
    key = scope_key(get_json(params, "scope"), get_str(params, "language_code"))
    bot.commands[key] = cleaned
    engine.message_signal.notify()
    return True


async def get_my_commands(engine: Engine, bot: BotState, params: JSONDict) -> list[JSONDict]:
    """getMyCommands for a scope/language (empty list when unset)."""
    key = scope_key(get_json(params, "scope"), get_str(params, "language_code"))
    return list(bot.commands.get(key, []))


async def delete_my_commands(engine: Engine, bot: BotState, params: JSONDict) -> bool:
    """deleteMyCommands."""
    key = scope_key(get_json(params, "scope"), get_str(params, "language_code"))
    bot.commands.pop(key, None)
    engine.message_signal.notify()
    return True


async def set_chat_menu_button(engine: Engine, bot: BotState, params: JSONDict) -> bool:
    """setChatMenuButton (per chat, or the default when chat_id is omitted)."""
    chat_id = get_int(params, "chat_id")
    if chat_id is not None and chat_id not in bot.chats:
        raise bad_request("chat not found")
    button = get_json(params, "menu_button") or {"type": "default"}
    if not isinstance(button, dict) or button.get("type") not in ("default", "commands", "web_app"):
        raise bad_request("can't parse menu button")
    bot.menu_buttons[chat_id] = button
    return True


async def get_chat_menu_button(engine: Engine, bot: BotState, params: JSONDict) -> JSONDict:
    """getChatMenuButton."""
    chat_id = get_int(params, "chat_id")
    return bot.menu_buttons.get(chat_id) or bot.menu_buttons.get(None) or {"type": "default"}


async def get_chat(engine: Engine, bot: BotState, params: JSONDict) -> JSONDict:
    """getChat returns a ChatFullInfo with the fields PTB 22 requires."""
    chat = target_chat(bot, params)
    return {
        **chat.as_dict(),
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }


async def get_file(engine: Engine, bot: BotState, params: JSONDict) -> JSONDict:
    """getFile; files above 20 MB cannot be downloaded through the Bot API."""
    stored = engine.files.get(get_str(params, "file_id") or "")
    if len(stored.data) > MAX_DOWNLOAD:
        raise bad_request("file is too big")
    return {**stored.describe(), "file_path": stored.file_path}


def _profile_setter(field: str) -> Handler:
    async def handler(engine: Engine, bot: BotState, params: JSONDict) -> bool:
        bot.profile[field] = get_str(params, field)
        return True

    return handler


async def log_out(engine: Engine, bot: BotState, params: JSONDict) -> bool:
    """logOut/close: accepted and ignored."""
    return True


_ALL: dict[str, Handler] = {
    "getMe": get_me,
    "getUpdates": get_updates,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
    "sendChatAction": send_chat_action,
    "answerCallbackQuery": answer_callback_query,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    "setChatMenuButton": set_chat_menu_button,
    "getChatMenuButton": get_chat_menu_button,
    "getChat": get_chat,
    "getFile": get_file,
    "setMyDescription": _profile_setter("description"),
    "setMyShortDescription": _profile_setter("short_description"),
    "setMyName": _profile_setter("name"),
    "logOut": log_out,
    "close": log_out,
    **MESSAGING_METHODS,
}

#: lower-cased method name → (canonical name, handler)
METHODS: dict[str, tuple[str, Handler]] = {
    name.lower(): (name, handler) for name, handler in _ALL.items()
}


def lookup(method: str) -> tuple[str, Handler]:
    """Find a method or raise Telegram's 404."""
    entry = METHODS.get(method.lower())
    if entry is None:
        raise ApiError(404, "Not Found")
    return entry
