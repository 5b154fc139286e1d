"""Flood limits and injected faults: the ways Telegram says "not now".

A bot that never sees 429, 502 or a hung request in tests will meet them for
the first time in production.  The rate limiter models Telegram's documented
limits with token buckets; the fault injector fails or delays specific calls
on demand so retry paths can be tested deterministically.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass

from .models import ApiError, RateLimits

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class TokenBucket:
    """Classic token bucket; ``wait()`` says how long until one token is free."""

    __slots__ = ("capacity", "rate", "stamp", "tokens")

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.stamp = now

    def wait(self, now: float) -> float:
        """Refill, then return 0 if a token is available or the seconds to wait."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            return 0.0
        return (1 - self.tokens) / self.rate if self.rate > 0 else math.inf


class RateLimiter:
    """Per-bot, per-private-chat and per-group buckets, checked together."""

    def __init__(self, limits: RateLimits) -> None:
        self.limits = limits
        self.violations = 0
        self.violations_by_chat: dict[int, int] = defaultdict(int)
        self._bots: dict[int, TokenBucket] = {}
        self._chats: dict[tuple[int, int], TokenBucket] = {}

    def reset(self) -> None:
        """Forget buckets and violation counts (limits themselves are kept)."""
        self.violations = 0
        self.violations_by_chat.clear()
        self._bots.clear()
        self._chats.clear()

    def check(self, bot_id: int, chat_id: int, is_group: bool) -> None:
        """Consume one message token or raise the 429 Telegram would send."""
        now = time.monotonic()
        limits = self.limits
        bot_bucket = self._bots.get(bot_id)
        if bot_bucket is None:
            bot_bucket = self._bots[bot_id] = TokenBucket(
                limits.per_bot_per_second, limits.bot_burst, now
            )
        chat_bucket = self._chats.get((bot_id, chat_id))
        if chat_bucket is None:
            if is_group:
                chat_bucket = TokenBucket(
                    limits.per_group_per_minute / 60.0, limits.group_burst, now
                )
            else:
                chat_bucket = TokenBucket(limits.per_chat_per_second, limits.chat_burst, now)
            self._chats[(bot_id, chat_id)] = chat_bucket
        wait = max(bot_bucket.wait(now), chat_bucket.wait(now))
        if wait > 0:
            self.violations += 1
            self.violations_by_chat[chat_id] += 1
            retry_after = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
        bot_bucket.tokens -= 1
        chat_bucket.tokens -= 1


@dataclass
class FaultRule:
    """One pending injected fault: an error status, or a response delay."""

    method: str
    times: int
    status: int | None = None
    retry_after: int | None = None
    description: str | None = None
    delay: float = 0.0
    #: ``"after"``: carry the call out, then hold the answer ``delay`` s (Telegram accepted
    #: it; the reply is late). ``"before"``: hold first; a client that gave up by then never
    #: had the call carried out.
    delay_when: str = "after"
    #: Drop the connection without an answer: ``"before"`` or ``"after"`` carrying it out.
    reset: str | None = None

    def error(self) -> ApiError:
        """The error this rule produces (only for status rules)."""
        status = self.status or 500
        if status == 429:
            retry_after = self.retry_after if self.retry_after is not None else 1
            return ApiError(
                429,
                self.description or f"Too Many Requests: retry after {retry_after}",
                retry_after,
            )
        return ApiError(status, self.description or _DEFAULT_DESCRIPTIONS.get(status, "Error"))


class FaultInjector:
    """Queues of one-shot faults per method (``"*"`` matches any method)."""

    def __init__(self) -> None:
        self._rules: dict[str, list[FaultRule]] = {}

    def __bool__(self) -> bool:
        return bool(self._rules)

    def add(self, rule: FaultRule) -> None:
        """Queue a rule; rules for one method fire in the order they were added."""
        if rule.times > 0:
            self._rules.setdefault(rule.method.lower(), []).append(rule)

    def take(self, method: str) -> FaultRule | None:
        """Pop the next matching rule for *method*, if any."""
        for key in (method.lower(), "*"):
            rules = self._rules.get(key)
            if rules:
                rule = rules[0]
                rule.times -= 1
                if rule.times <= 0:
                    rules.pop(0)
                    if not rules:
                        del self._rules[key]
                return rule
        return None

    def pending(self) -> list[FaultRule]:
        """Rules not yet consumed, for stats and debugging."""
        return [rule for rules in self._rules.values() for rule in rules]

    def clear(self) -> None:
        """Drop all pending faults."""
        self._rules.clear()
