"""Plain data types shared by the stand-in Bot API server.

Everything here is deliberately free of aiohttp so the simulation and the
observation helpers can be imported (and type-checked) without a running
server.  The JSON helpers pick ``orjson`` when it happens to be installed
because the Bot API hot path is dominated by (de)serialisation.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple, TypeVar

try:  # pragma: no cover - depends on the environment
    import orjson

    def dumps(obj: Any) -> bytes:
        """Serialise *obj* to compact UTF-8 JSON bytes."""
        data: bytes = orjson.dumps(obj)
        return data

    def loads(data: bytes | str) -> Any:
        """Parse JSON from bytes or str."""
        return orjson.loads(data)

except ImportError:  # pragma: no cover - depends on the environment
    _encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)

    def dumps(obj: Any) -> bytes:
        """Serialise *obj* to compact UTF-8 JSON bytes."""
        return _encoder.encode(obj).encode()

    def loads(data: bytes | str) -> Any:
        """Parse JSON from bytes or str."""
        return json.loads(data)


JSONDict = dict[str, Any]
T = TypeVar("T")


class ApiError(Exception):
    """A Bot API failure, rendered as ``{"ok": false, ...}`` with the HTTP status.

    Handlers raise it instead of returning error objects so the success path
    stays a plain ``return result``.
    """

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> JSONDict:
        """The JSON body Telegram would send for this error."""
        body: JSONDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(reason: str) -> ApiError:
    """Build the 400 that Telegram prefixes with ``Bad Request:``."""
    return ApiError(400, f"Bad Request: {reason}")


class Call(NamedTuple):
    """One Bot API request as received (recorded before it is processed)."""

    method: str
    params: JSONDict
    time: float


class ErrorRecord(NamedTuple):
    """A Bot API request that was answered with ``ok: false``."""

    method: str
    params: JSONDict
    status: int
    description: str
    time: float


class KeyboardButtonInfo(NamedTuple):
    """A reply-keyboard button, flattened for easy assertions."""

    text: str
    request_contact: bool = False
    request_location: bool = False
    web_app: str | None = None


@dataclass
class SentMessage:
    """What the bot sent to a chat, as a test wants to assert on it.

    ``text`` is what the user sees (entities already parsed, so HTML tags are
    gone); ``raw_text`` is the string the bot passed.  ``message`` is the live
    Message object exactly as the Bot API would return it now (after edits).
    """

    message_id: int
    chat_id: int
    method: str
    text: str | None
    parse_mode: str | None
    reply_markup: JSONDict | None
    buttons: list[tuple[str, str]]
    keyboard: list[KeyboardButtonInfo]
    message: JSONDict = field(repr=False)
    raw_text: str | None = None
    entities: list[JSONDict] = field(default_factory=list)
    file: bytes | None = field(default=None, repr=False)
    filename: str | None = None
    mime_type: str | None = None
    history: list[str | None] = field(default_factory=list)
    edit_count: int = 0
    deleted: bool = False
    time: float = field(default_factory=time.time)

    @property
    def caption(self) -> str | None:
        """Alias of ``text`` for media messages, mirroring the Bot API naming."""
        return self.text

    @property
    def button_texts(self) -> list[str]:
        """Labels of the inline buttons, in reading order."""
        return [text for text, _ in self.buttons]

    @property
    def requests_contact(self) -> bool:
        """Whether the attached reply keyboard asks the user to share their phone."""
        return any(button.request_contact for button in self.keyboard)

    def summary(self) -> str:
        """One line for assertion messages, so timeouts say what did arrive."""
        flag = " (deleted)" if self.deleted else ""
        parts = [f"#{self.message_id} {self.method}{flag}: {self.text!r}"]
        if self.buttons:
            parts.append(f"buttons={self.buttons}")
        if self.keyboard:
            parts.append(f"keyboard={[b.text for b in self.keyboard]}")
        return " ".join(parts)

    def to_json(self) -> JSONDict:
        """A JSON-safe view for the control API (file bytes are reported by size only)."""
        data = asdict(self)
        data["file"] = None
        data["file_size"] = len(self.file) if self.file is not None else None
        data["keyboard"] = [button._asdict() for button in self.keyboard]
        data["buttons"] = [list(button) for button in self.buttons]
        return data


def flatten_inline(markup: JSONDict | None) -> list[tuple[str, str]]:
    """``(text, callback_data | url | web_app url | ...)`` for every inline button."""
    if not markup or "inline_keyboard" not in markup:
        return []
    result: list[tuple[str, str]] = []
    for row in markup["inline_keyboard"]:
        for button in row:
            target = ""
            for key in ("callback_data", "url", "switch_inline_query", "pay"):
                if key in button:
                    target = str(button[key])
                    break
            else:
                for key in ("web_app", "login_url"):
                    if isinstance(button.get(key), dict):
                        target = str(button[key].get("url", ""))
                        break
            result.append((str(button.get("text", "")), target))
    return result


def flatten_keyboard(markup: JSONDict | None) -> list[KeyboardButtonInfo]:
    """Reply-keyboard buttons (plain strings are allowed by the Bot API too)."""
    if not markup or "keyboard" not in markup:
        return []
    result: list[KeyboardButtonInfo] = []
    for row in markup["keyboard"]:
        for button in row:
            if isinstance(button, str):
                result.append(KeyboardButtonInfo(button))
                continue
            web_app = button.get("web_app")
            result.append(
                KeyboardButtonInfo(
                    text=str(button.get("text", "")),
                    request_contact=bool(button.get("request_contact")),
                    request_location=bool(button.get("request_location")),
                    web_app=web_app.get("url") if isinstance(web_app, dict) else None,
                )
            )
    return result


@dataclass
class RateLimits:
    """Telegram's documented flood limits, as token buckets.

    Telegram does not publish exact algorithms; these numbers follow the Bot
    FAQ (about 30 messages/s overall, 1/s per private chat with short bursts,
    20/min per group) which is what a well-behaved bot must respect.
    """

    per_bot_per_second: float = 30.0
    bot_burst: int = 30
    per_chat_per_second: float = 1.0
    chat_burst: int = 3
    per_group_per_minute: float = 20.0
    group_burst: int = 20

    def update(self, values: JSONDict) -> None:
        """Apply a partial update from the control API, ignoring unknown keys."""
        for key, value in values.items():
            if key in self.__dataclass_fields__:
                setattr(self, key, type(getattr(self, key))(value))


class Signal:
    """Wake every waiter on change; cheaper than an Event for many short waits.

    Unlike ``asyncio.Event`` nobody has to clear it, so a waiter can never miss
    a notification between checking its condition and going to sleep (the
    check-then-wait sequence runs without yielding).
    """

    __slots__ = ("_waiters",)

    def __init__(self) -> None:
        self._waiters: list[asyncio.Future[None]] = []

    def notify(self) -> None:
        """Wake all current waiters."""
        if not self._waiters:
            return
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    async def wait(self, seconds: float | None) -> bool:
        """Sleep until the next ``notify``; ``False`` when *seconds* elapsed first."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        try:
            async with asyncio.timeout(seconds):
                await fut
            return True
        except TimeoutError:
            return False
        finally:
            if not fut.done():
                fut.cancel()
                if fut in self._waiters:
                    self._waiters.remove(fut)

    async def wait_until(self, check: Callable[[], T | None], seconds: float) -> T | None:
        """Re-run *check* after every notification until it returns non-``None``."""
        deadline = time.monotonic() + seconds
        while True:
            value = check()
            if value is not None:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            await self.wait(remaining)
