"""``reply_markup`` validation: keyboards that Telegram would refuse are refused here.

The classic failure is callback data that grows past 64 bytes once a case id
or a Chinese label is packed into it; Telegram answers BUTTON_DATA_INVALID and
the user never sees the keyboard, so the fake must do the same.
"""

from __future__ import annotations

from typing import Any

from .models import JSONDict, bad_request
from .params import get_json

MAX_CALLBACK_DATA = 64
_BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def validate_markup(params: JSONDict) -> JSONDict | None:
    """Parse ``reply_markup`` and reject what Telegram rejects (e.g. > 64-byte callback_data)."""
    markup = get_json(params, "reply_markup", "reply keyboard markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        for row in _rows(markup["inline_keyboard"], "InlineKeyboardButton", "inline keyboard"):
            for button in row:
                _validate_inline_button(button)
    elif "keyboard" in markup:
        for row in _rows(markup["keyboard"], "KeyboardButton", "keyboard"):
            for button in row:
                text = button if isinstance(button, str) else (button or {}).get("text")
                if not text:
                    raise bad_request("keyboard button text is empty")
    elif not markup.get("remove_keyboard") and not markup.get("force_reply"):
        raise bad_request("can't parse reply keyboard markup JSON object")
    return markup


def _rows(rows: Any, button_type: str, keyboard: str) -> list[list[Any]]:
    """A keyboard's rows: a list of lists of buttons, as Telegram requires."""
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(f"can't parse {keyboard} button: {button_type} expected")
    return rows


def _validate_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not button.get("text"):
        raise bad_request("can't parse inline keyboard button: Text must be non-empty")
    if not any(key in button for key in _BUTTON_ACTIONS):
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if "callback_data" in button:
        data = str(button["callback_data"])
        if not data or len(data.encode()) > MAX_CALLBACK_DATA:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        url = str(button["url"])
        if not url.startswith(("http://", "https://", "tg://")):
            raise bad_request("BUTTON_URL_INVALID")
