"""Fault injection, latency and Telegram's flood limits."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import pytest
import telegram
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from standin import RateLimits, StandinBotAPI

from .conftest import make_bot


async def test_429_becomes_retry_after(server: StandinBotAPI, bot: telegram.Bot) -> None:
    server.register_chat(1001)
    server.fail_next("sendMessage", status=429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(1001, "hi")
    assert caught.value.retry_after == dt.timedelta(seconds=7)
    assert server.sent_to(1001) == []
    await bot.send_message(1001, "hi")  # only the next call failed
    assert len(server.sent_to(1001)) == 1


async def test_502_is_a_network_error(server: StandinBotAPI, bot: telegram.Bot) -> None:
    server.register_chat(1001)
    server.fail_next("sendmessage", status=502, times=2)  # method names are case-insensitive
    for _ in range(2):
        with pytest.raises(NetworkError, match="Bad Gateway") as caught:
            await bot.send_message(1001, "hi")
        assert not isinstance(caught.value, BadRequest)
    await bot.send_message(1001, "hi")
    assert [e.status for e in server.errors] == [502, 502]


async def test_wildcard_and_400_fault(server: StandinBotAPI, bot: telegram.Bot) -> None:
    server.fail_next("*", status=400, description="Bad Request: injected")
    with pytest.raises(BadRequest, match="Injected"):
        await bot.get_me()
    assert (await bot.get_me()).username == "mediation_test_bot"


async def test_timeout_next_hangs_the_response_but_applies_the_call(
    server: StandinBotAPI,
) -> None:
    server.register_chat(1001)
    server.timeout_next("sendMessage", 1.0)
    async with make_bot(server, read_timeout=0.3) as bot:
        started = time.monotonic()
        with pytest.raises(TimedOut):
            await bot.send_message(1001, "可能重复")
        assert time.monotonic() - started < 0.9
        # Like a lost Telegram reply: the message was delivered anyway.
        assert [m.text for m in server.sent_to(1001)] == ["可能重复"]


async def test_latency_is_added_without_serialising_requests(
    server: StandinBotAPI, bot: telegram.Bot
) -> None:
    server.register_chat(1001)
    server.latency = 0.2
    started = time.monotonic()
    await asyncio.gather(*(bot.send_message(1001, str(i)) for i in range(10)))
    elapsed = time.monotonic() - started
    assert 0.2 <= elapsed < 1.0  # 10 calls in parallel, not 10 x 0.2 s
    assert len(server.sent_to(1001)) == 10


async def test_rate_limits_answer_429_and_count_violations() -> None:
    limits = RateLimits(per_chat_per_second=1.0, chat_burst=3)
    async with StandinBotAPI(enforce_rate_limits=True, rate_limits=limits) as server:
        server.register_chat(1001)
        server.register_chat(1002)
        async with make_bot(server) as bot:
            for i in range(3):
                await bot.send_message(1001, f"burst {i}")
            with pytest.raises(RetryAfter) as caught:
                await bot.send_message(1001, "one too many")
            assert caught.value.retry_after == dt.timedelta(seconds=1)
            await bot.send_message(1002, "other chats are unaffected")
            assert server.rate_limit_violations == 1
            await asyncio.sleep(1.05)
            await bot.send_message(1001, "after waiting")
    assert server.rate_limit_violations == 1
    assert len(server.sent_to(1001)) == 4
    assert server.stats()["violations_by_chat"] == {"1001": 1}


async def test_global_limit_across_chats() -> None:
    limits = RateLimits(per_bot_per_second=0.5, bot_burst=5, chat_burst=100)
    async with StandinBotAPI(enforce_rate_limits=True, rate_limits=limits) as server:
        for chat_id in range(1, 8):
            server.register_chat(chat_id)
        async with make_bot(server) as bot:
            results = await asyncio.gather(
                *(bot.send_message(chat_id, "hi") for chat_id in range(1, 8)),
                return_exceptions=True,
            )
    assert sum(isinstance(r, RetryAfter) for r in results) == 2  # 7 sends, burst 5
    assert sum(isinstance(r, telegram.Message) for r in results) == 5
    assert server.rate_limit_violations == 2


async def test_group_limit_is_per_minute() -> None:
    limits = RateLimits(per_group_per_minute=20, group_burst=2)
    async with StandinBotAPI(enforce_rate_limits=True, rate_limits=limits) as server:
        server.register_chat(-100, "group")
        async with make_bot(server) as bot:
            await bot.send_message(-100, "1")
            await bot.send_message(-100, "2")
            with pytest.raises(RetryAfter) as caught:
                await bot.send_message(-100, "3")
    # 20 per minute refills one message every 3 seconds.
    assert caught.value.retry_after == dt.timedelta(seconds=3)
    assert server.rate_limit_violations == 1


async def test_without_enforcement_bursts_pass(server: StandinBotAPI, bot: telegram.Bot) -> None:
    server.register_chat(1001)
    await asyncio.gather(*(bot.send_message(1001, str(i)) for i in range(20)))
    assert server.rate_limit_violations == 0
