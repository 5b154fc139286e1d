"""Channel-neutral replies: what to say (catalog keys), not how (Telegram or browser).

The domain decides *which* message and *which* buttons; adapters render them in the reader's
language and in their own widget set. A :class:`Msg` may appear as a parameter of another
message (e.g. a dispute-type label inside a summary) and is translated recursively.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

MAX_ACTION_BYTES = 64  # Telegram's callback_data limit


@dataclass(frozen=True)
class Msg:
    key: str
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Button:
    """An inline button: a label (catalog key or Msg) and the action it triggers."""

    label: Msg
    action: str

    def __post_init__(self) -> None:
        if len(self.action.encode()) > MAX_ACTION_BYTES:
            raise ValueError(f"action too long for a button: {self.action!r}")


@dataclass(frozen=True)
class Reply:
    """One message to one recipient.

    ``ask_contact`` offers the platform's "share my phone number" control; ``remove_keyboard``
    takes it away again once the phone step is over.
    """

    text: Msg
    buttons: tuple[tuple[Button, ...], ...] = ()
    ask_contact: bool = False
    remove_keyboard: bool = False


def reply(key: str, /, **params: object) -> Reply:
    return Reply(Msg(key, params))


def button(key: str, action: str, **params: object) -> Button:
    return Button(Msg(key, params), action)
