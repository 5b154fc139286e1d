"""The ``/_standin/`` control routes, the ``StandinControl`` client and the CLI."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import RetryAfter

from harness.process import standin_cli
from standin import StandinBotAPI, StandinControl, make_png

from .conftest import TOKEN

ROOT = Path(__file__).resolve().parents[2]


async def test_control_client_drives_a_conversation(
    server: StandinBotAPI, bot: telegram.Bot
) -> None:
    async with StandinControl(server.base_url) as control:
        update = await control.send_text(3003, "你好", first_name="王五")
        assert update["message"]["from"]["first_name"] == "王五"
        [received] = await bot.get_updates()
        assert received.message is not None and received.message.text == "你好"

        markup = InlineKeyboardMarkup([[InlineKeyboardButton("确认", callback_data="ok")]])
        await bot.send_message(3003, "请确认", reply_markup=markup)
        [message] = await control.wait_for(3003, count=1, timeout=2)
        assert message["text"] == "请确认" and message["buttons"] == [["确认", "ok"]]
        press = await control.press(3003, "确认")
        assert press["callback_query"]["data"] == "ok"
        photo = await control.act(3003, "photo", data=make_png(), caption="证据")
        assert photo["message"]["caption"] == "证据"

        waiter = asyncio.create_task(control.wait_for(3003, count=1, since=message["message_id"]))
        await asyncio.sleep(0.05)
        await bot.send_message(3003, "第二条")
        assert [m["text"] for m in await waiter] == ["第二条"]
        assert [m["text"] for m in await control.messages(3003)] == ["请确认", "第二条"]

        stats = await control.stats()
        assert stats["calls"]["sendMessage"] == 2
        assert stats["messages"] == {"3003": 2}
        assert [c["method"] for c in await control.calls("sendMessage")] == ["sendMessage"] * 2

        with pytest.raises(AssertionError, match="no button"):
            await control.press(3003, "不存在的按钮")
        with pytest.raises(AssertionError, match="Timed out"):
            await control.wait_for(3003, count=5, timeout=0.2)


async def test_control_config_faults_and_reset(server: StandinBotAPI, bot: telegram.Bot) -> None:
    async with StandinControl(server.base_url) as control:
        config = await control.config(latency=0.01, enforce_rate_limits=True)
        assert config["latency"] == 0.01 and server.enforce_rate_limits
        await control.config(latency=0, enforce_rate_limits=False)
        await control.register_chat(5005)
        await control.fail_next("sendMessage", status=429, retry_after=2)
        with pytest.raises(RetryAfter):
            await bot.send_message(5005, "x")
        await bot.send_message(5005, "y")
        raw = await control.inject_raw_update({"message": {"text": None, "chat": {"id": 6}}})
        assert raw["update_id"] > 0
        await control.clear()
        assert (await control.stats())["total_calls"] == 0
        await control.reset()
        assert server.sent_to(5005) == []
        assert (await control.stats())["updates_pending"] == 0


async def test_cli_runs_a_standalone_server(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process, base = await standin_cli("--latency", "0.01", cwd=tmp_path, env=env, timeout=60)
    try:
        assert base.startswith("http://127.0.0.1:")
        async with (
            telegram.Bot(TOKEN, base_url=base + "/bot", base_file_url=base + "/file/bot") as bot,
            StandinControl(base) as control,
        ):
            await control.send_command(1, "/start", "case-42")
            [update] = await bot.get_updates()
            assert update.message is not None and update.message.text == "/start case-42"
            assert (await control.stats())["latency"] == 0.01
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 10)
    assert process.returncode == 0
