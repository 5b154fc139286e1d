"""A local stand-in for the Telegram Bot API that ships with the product.

Tests, benchmarks and ``main.py demo`` never reach api.telegram.org: they
point the real python-telegram-bot client at ``StandinBotAPI`` over real
HTTP.  Like httpx's mock transport, the fake is part of the product and is
tested itself, so its behaviour (validation, ordering, flood limits, faults)
can be trusted when the bot's tests pass against it.
"""

from .control import StandinControl
from .engine import Engine
from .media import make_ogg, make_png
from .models import ApiError, Call, ErrorRecord, KeyboardButtonInfo, RateLimits, SentMessage
from .server import StandinBotAPI
from .simulation import SimUser

__all__ = [
    "ApiError",
    "Call",
    "Engine",
    "ErrorRecord",
    "KeyboardButtonInfo",
    "RateLimits",
    "SentMessage",
    "SimUser",
    "StandinBotAPI",
    "StandinControl",
    "make_ogg",
    "make_png",
]
