"""What arrived from a person, independent of the channel it came through."""

from __future__ import annotations

from dataclasses import dataclass

from mediation.intake import Input


@dataclass(frozen=True)
class Command:
    name: str
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Inbound:
    """One inbound event. ``payload`` is None for update kinds we do not support."""

    channel: str
    chat_id: str
    user_id: str
    payload: Input | Command | None
    chat_type: str = "private"
    language_hint: str | None = None
    edited: bool = False
    forwarded: bool = False
    callback_id: str | None = None
    message_id: int | None = None
    caption: str | None = None
