"""Request parameter parsing, with Telegram's loose typing rules.

The Bot API accepts the same parameters as query string, urlencoded form,
JSON or multipart parts.  Clients such as python-telegram-bot send every
scalar as a string and nested objects (``reply_markup``) as JSON strings, so
the getters below coerce instead of trusting the transport's types.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

from .models import ApiError, JSONDict, bad_request, loads

_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


@dataclass(frozen=True)
class UploadedFile:
    """A multipart file part, read fully into memory (uploads are small in tests)."""

    filename: str | None
    content_type: str | None
    data: bytes


async def parse_request(request: web.Request) -> JSONDict:
    """Merge query string and body into one dict; files become ``UploadedFile``."""
    params: JSONDict = dict(request.query) if request.query_string else {}
    if not request.body_exists:
        return params
    content_type = request.content_type
    if content_type in _FORM_TYPES:
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, FileField):
                params[key] = UploadedFile(value.filename, value.content_type, value.file.read())
            else:
                params[key] = value
        return params
    body = await request.read()
    if not body:
        return params
    if content_type == "application/json" or body[:1] == b"{":
        try:
            data = loads(body)
        except ValueError:
            raise bad_request("can't parse JSON object") from None
        if not isinstance(data, dict):
            raise bad_request("JSON object expected")
        params.update(data)
        return params
    raise ApiError(400, f"Bad Request: unsupported content type {content_type}")


def get_str(params: JSONDict, name: str) -> str | None:
    """A string parameter; numbers are stringified like Telegram does."""
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    raise bad_request(f"wrong parameter {name} specified")


def get_int(params: JSONDict, name: str, default: int | None = None) -> int | None:
    """An integer parameter, accepting ``"42"`` as well as ``42``."""
    value = params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        raise bad_request(f"invalid {name} specified") from None


def get_float(params: JSONDict, name: str) -> float | None:
    """A float parameter (coordinates, timeouts)."""
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        raise bad_request(f"wrong {name} specified") from None


def get_bool(params: JSONDict, name: str) -> bool:
    """A boolean parameter; Telegram accepts ``true``/``1``/``True``."""
    value = params.get(name)
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    return str(value).strip().lower() in ("true", "1", "yes")


def get_json(params: JSONDict, name: str, what: str | None = None) -> Any:
    """A nested object that may arrive as a JSON string (form) or as JSON (json body)."""
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, dict | list):
        return value
    if isinstance(value, UploadedFile):
        raise bad_request(f"wrong parameter {name} specified")
    try:
        return loads(value)
    except ValueError:
        raise bad_request(f"can't parse {what or name} JSON object") from None


def get_chat_ref(params: JSONDict, name: str = "chat_id") -> int | str | None:
    """A chat identifier: an integer id or an ``@channelusername``."""
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    if text.startswith("@"):
        return text
    try:
        return int(text)
    except ValueError:
        raise bad_request("chat not found") from None


def describe_params(params: JSONDict) -> JSONDict:
    """Params made JSON-safe for the control API (uploads shown by name and size)."""
    out: JSONDict = {}
    for key, value in params.items():
        if isinstance(value, UploadedFile):
            out[key] = {"upload": value.filename, "size": len(value.data)}
        else:
            out[key] = value
    return out
