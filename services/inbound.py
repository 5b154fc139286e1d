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


#: A button that does what typing its command does (``cmd:cases``, ``cmd:case 2``): replies
#: offer commands as buttons, since a person in the browser chat has no ``/`` to type and a
#: person in Telegram would rather tap (the dispatcher routes them as the command).
COMMAND_BUTTON = "cmd:"


def command_action(name: str, *args: str) -> str:
    """The button action that runs ``/name args``."""
    return COMMAND_BUTTON + " ".join((name, *args))


def command_of_action(action: str) -> Command | None:
    """The command a button stands for (:func:`command_action`), or None."""
    if not action.startswith(COMMAND_BUTTON):
        return None
    words = action.removeprefix(COMMAND_BUTTON).split()
    if not words or not (words[0].isascii() and words[0].isalnum()):
        return None
    return Command(words[0], tuple(words[1:]))
