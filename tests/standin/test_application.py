"""A whole python-telegram-bot ``Application`` polling the stand-in, as the product runs."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from standin import StandinBotAPI

from .conftest import TOKEN


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_chat is not None
    payload = " ".join(context.args or [])
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("我同意", callback_data="agree")]])
    await context.bot.send_message(
        update.effective_chat.id, f"欢迎 <b>{payload}</b>", parse_mode="HTML", reply_markup=markup
    )


async def agree(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("已记录")
    await query.edit_message_text("已同意，请分享手机号")
    assert query.message is not None
    keyboard = ReplyKeyboardMarkup([[KeyboardButton("分享手机号", request_contact=True)]])
    await context.bot.send_message(query.message.chat.id, "点击下方按钮", reply_markup=keyboard)


async def contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None and message.contact is not None
    own = message.contact.user_id == message.chat.id
    await message.reply_text(f"已验证 {message.contact.phone_number}" if own else "请分享本人号码")


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(f"收到：{update.effective_message.text}")


@pytest.fixture
async def running_app(server: StandinBotAPI) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    app = (
        Application.builder()
        .token(TOKEN)
        .base_url(server.bot_api_url)
        .base_file_url(server.file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(agree, pattern="^agree$"))
    app.add_handler(MessageHandler(filters.CONTACT, contact))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await app.start()
        yield app
        await app.updater.stop()
        await app.stop()


async def test_full_conversation(server: StandinBotAPI, running_app: Application) -> None:  # type: ignore[type-arg]
    user = server.user(1001, first_name="张三")
    await user.send_command("/start", "case-7")
    [welcome] = await user.wait_for_messages(1)
    assert welcome.text == "欢迎 case-7" and welcome.buttons == [("我同意", "agree")]

    press = await user.press("我同意")
    await user.wait_for_edit(welcome)
    assert welcome.text == "已同意，请分享手机号" and welcome.buttons == []
    answer = server.callback_answer(press["callback_query"]["id"])
    assert answer is not None and answer["text"] == "已记录"

    [prompt] = await user.wait_for_messages(1)
    assert prompt.requests_contact
    await user.press("分享手机号", prompt)
    [verified] = await user.wait_for_messages(1)
    assert verified.text == "已验证 +8613800138000"

    await user.send_contact("+8613900000000", own=False)
    [rejected] = await user.wait_for_messages(1)
    assert rejected.text == "请分享本人号码"
    await server.wait_idle()


async def test_hostile_update_does_not_stop_the_bot(
    server: StandinBotAPI,
    running_app: Application,  # type: ignore[type-arg]
) -> None:
    # Schema-valid but hostile: no sender, control/bidi characters, an update type PTB
    # does not know.  (Schema-invalid updates are not hostile input: Telegram never sends
    # them, and PTB rejects the whole getUpdates batch.)
    hostile = "\u202e\u0000<b>" + "调" * 4000
    server.inject_raw_update(
        {
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 5, "type": "private"},
                "text": hostile,
            }
        }
    )
    server.inject_raw_update({"unknown_update_kind": {"weird": True}})
    user = server.user(5)
    await user.send_text("还在吗")
    first, second = await user.wait_for_messages(2)
    assert first.text == "收到：" + hostile
    assert second.text == "收到：还在吗"


async def test_wait_timeout_explains_what_happened(
    server: StandinBotAPI,
    running_app: Application,  # type: ignore[type-arg]
) -> None:
    user = server.user(1001)
    await user.send_text("hello")
    with pytest.raises(AssertionError) as caught:
        await user.wait_for_messages(2, timeout=0.5)
    report = str(caught.value)
    assert "waiting for 2 message(s) in chat 1001; 1 arrived" in report
    assert "收到：hello" in report
