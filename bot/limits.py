"""Telegram's limits as the sender keeps them: message rates (a token bucket per chat and one
for the bot), the wait a 429 asks for, and the length of one message's text.

Apart from :mod:`bot.sender` so that the rules can be read and tested without its queues and
workers (the long-polling loop waits out a 429 with :func:`retry_seconds` too).
"""

from __future__ import annotations

import time
from datetime import timedelta


class TokenBucket:
    """A token bucket (``rate`` 0 disables it).

    Callers ask how long until a token is free (:meth:`wait_time`) and take it only when every
    bucket that applies has one at the same moment (:meth:`take`): consuming tokens ahead of
    the real send time would let delayed sends bunch up beyond the limit. No awaits between
    checking and taking, so it is safe across asyncio tasks without a lock.
    """

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = max(1.0, burst)
        self.tokens = self.burst
        self.stamp = time.monotonic()

    def wait_time(self) -> float:
        if self.rate <= 0:
            return 0.0
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        if self.rate > 0:
            self.tokens -= 1

    def settle(self) -> None:
        """Restart the refill clock now (after a send completed).

        A request can spend a long time in flight; counting refill only from its completion
        guarantees the server sees at least the intended spacing between two messages.
        """
        if self.rate > 0:
            self.tokens = min(self.burst, self.tokens)
            self.stamp = time.monotonic()


#: Telegram's limit for one message's text, in UTF-16 code units.
TEXT_LIMIT = 4096


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """``text`` in parts Telegram accepts, cut at a line break where one is near the end."""
    parts: list[str] = []
    rest = text
    while _utf16_len(rest) > limit:
        low, high = 1, len(rest)
        while low < high:  # the longest prefix within the limit (code points never split)
            middle = (low + high + 1) // 2
            if _utf16_len(rest[:middle]) <= limit:
                low = middle
            else:
                high = middle - 1
        cut = low
        newline = rest.rfind("\n", 0, cut)
        if newline > cut // 2:
            cut = newline + 1
        parts.append(rest[:cut])
        rest = rest[cut:]
    parts.append(rest)
    return parts


def retry_seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
