"""The lean Bot API client maps every Bot API outcome to python-telegram-bot's exceptions."""

from __future__ import annotations

import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot.botapi import BotApiClient
from bot.limits import retry_seconds
from standin import StandinBotAPI
from tests.e2e.harness import free_port


async def test_results_and_errors() -> None:
    async with StandinBotAPI() as standin:
        user = standin.user(42)
        user.register()
        api = BotApiClient(standin.bot_api_url, "1:abc")
        try:
            sent = await api.call(
                "sendMessage",
                {
                    "chat_id": 42,
                    "text": "你好 {x}",
                    "reply_markup": {"inline_keyboard": [[{"text": "是", "callback_data": "y"}]]},
                },
            )
            assert isinstance(sent["message_id"], int)
            assert standin.sent_to(42)[0].text == "你好 {x}"
            assert standin.sent_to(42)[0].buttons == [("是", "y")]
            standin.fail_next("sendMessage", status=429, retry_after=3)
            with pytest.raises(RetryAfter) as err:
                await api.call("sendMessage", {"chat_id": 42, "text": "x"})
            assert retry_seconds(err.value.retry_after) == 3
            standin.fail_next("sendMessage", status=502)
            with pytest.raises(NetworkError):
                await api.call("sendMessage", {"chat_id": 42, "text": "x"})
            with pytest.raises(BadRequest, match="too long"):
                await api.call("sendMessage", {"chat_id": 42, "text": "x" * 5000})
            standin.block(42)
            with pytest.raises(Forbidden):
                await api.call("sendMessage", {"chat_id": 42, "text": "x"})
        finally:
            await api.close()


async def test_unreachable_server_is_a_network_error() -> None:
    api = BotApiClient(f"http://127.0.0.1:{free_port()}/bot", "1:abc")
    try:
        with pytest.raises(NetworkError):
            await api.call("sendMessage", {"chat_id": 1, "text": "x"})
    finally:
        await api.close()
