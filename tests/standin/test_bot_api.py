"""The Bot API surface, exercised through the real python-telegram-bot client."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
import telegram
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from telegram.error import BadRequest, Conflict, EndPointNotFound, Forbidden, InvalidToken

from standin import StandinBotAPI

from .conftest import TOKEN, make_bot

KEYBOARD = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("同意调解", callback_data="consent:yes")],
        [InlineKeyboardButton("拒绝", callback_data="consent:no")],
    ]
)


async def test_get_me_reports_bot_from_token(bot: telegram.Bot) -> None:
    me = await bot.get_me()
    assert me.id == 123456
    assert me.is_bot
    assert me.username == "mediation_test_bot"


async def test_send_message_then_press_arrives_as_callback_query(
    server: StandinBotAPI, bot: telegram.Bot
) -> None:
    user = server.user(1001)
    await user.send_command("/start")
    [start] = await bot.get_updates()
    assert start.message is not None and start.message.text == "/start"

    sent = await bot.send_message(1001, "请确认是否同意调解", reply_markup=KEYBOARD)
    assert sent.chat.id == 1001 and sent.from_user is not None and sent.from_user.is_bot
    assert sent.reply_markup == KEYBOARD

    await user.press("拒绝")
    [update] = await bot.get_updates(offset=start.update_id + 1)
    query = update.callback_query
    assert query is not None
    assert query.data == "consent:no"
    assert query.from_user.id == 1001
    assert query.message is not None and query.message.message_id == sent.message_id
    assert await query.answer("已收到") is True
    assert server.callback_answer(query.id) is not None
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await query.answer("twice")


async def test_sent_message_is_observable(server: StandinBotAPI, bot: telegram.Bot) -> None:
    server.register_chat(2002)
    keyboard = ReplyKeyboardMarkup([[KeyboardButton("分享手机号", request_contact=True)]])
    await bot.send_message(
        2002, "<b>您好</b>，请分享手机号", parse_mode="HTML", reply_markup=keyboard
    )
    [message] = server.sent_to(2002)
    assert message.text == "您好，请分享手机号"
    assert message.raw_text == "<b>您好</b>，请分享手机号"
    assert message.entities == [{"type": "bold", "offset": 0, "length": 2}]
    assert message.requests_contact
    assert [call.method for call in server.calls] == ["getMe", "sendMessage"]


async def test_message_ids_increase_per_chat(server: StandinBotAPI, bot: telegram.Bot) -> None:
    server.register_chat(1)
    server.register_chat(2)
    first = [(await bot.send_message(1, f"a{i}")).message_id for i in range(3)]
    other = (await bot.send_message(2, "b")).message_id
    assert first == sorted(first) and len(set(first)) == 3
    assert other == 1


async def test_long_poll_returns_as_soon_as_an_update_arrives(
    server: StandinBotAPI, bot: telegram.Bot
) -> None:
    user = server.user(1001)

    async def later() -> None:
        await asyncio.sleep(0.3)
        await user.send_text("我想申请调解")

    started = time.monotonic()
    task = asyncio.create_task(later())
    updates = await bot.get_updates(timeout=4)
    elapsed = time.monotonic() - started
    await task
    assert [u.message.text for u in updates if u.message] == ["我想申请调解"]
    assert 0.25 < elapsed < 2.0


async def test_long_poll_times_out_empty(bot: telegram.Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert time.monotonic() - started >= 0.9


async def test_offset_confirms_earlier_updates(server: StandinBotAPI, bot: telegram.Bot) -> None:
    user = server.user(1001)
    for text in ("一", "二", "三"):
        await user.send_text(text)
    first = await bot.get_updates()
    assert [u.message.text for u in first if u.message] == ["一", "二", "三"]
    # Without an offset nothing is confirmed: Telegram re-delivers.
    assert len(await bot.get_updates()) == 3
    rest = await bot.get_updates(offset=first[1].update_id)
    assert [u.message.text for u in rest if u.message] == ["二", "三"]
    assert await bot.get_updates(offset=first[2].update_id + 1) == ()
    await server.wait_idle(timeout=1)


async def test_limit_and_negative_offset(server: StandinBotAPI, bot: telegram.Bot) -> None:
    user = server.user(1001)
    for i in range(5):
        await user.send_text(str(i))
    assert [u.message.text for u in await bot.get_updates(limit=2) if u.message] == ["0", "1"]
    last = await bot.get_updates(offset=-1)
    assert [u.message.text for u in last if u.message] == ["4"]


async def test_second_poller_kicks_out_the_first(server: StandinBotAPI) -> None:
    async with make_bot(server) as first, make_bot(server) as second:
        task = asyncio.create_task(first.get_updates(timeout=3))
        await asyncio.sleep(0.2)
        assert await second.get_updates(timeout=0) == ()
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await task


async def test_allowed_updates_filters_new_updates(
    server: StandinBotAPI, bot: telegram.Bot
) -> None:
    user = server.user(1001)
    await bot.get_updates(allowed_updates=["callback_query"])
    await user.send_text("ignored")
    assert await bot.get_updates() == ()
    await bot.get_updates(allowed_updates=[])
    await user.send_text("seen")
    assert [u.message.text for u in await bot.get_updates() if u.message] == ["seen"]


async def test_validation_errors_match_telegram(server: StandinBotAPI, bot: telegram.Bot) -> None:
    server.register_chat(1001)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(1001, "")
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(1001, "调" * 4097)
    await bot.send_message(1001, "调" * 4096)
    long_data = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(1001, "hi", reply_markup=long_data)
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(424242, "hi")
    with pytest.raises(BadRequest, match='Can\'t parse entities: unsupported start tag "br"'):
        await bot.send_message(1001, "第一行<br>第二行", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)character '\.' is reserved"):
        await bot.send_message(1001, "金额 1000.50 元", parse_mode="MarkdownV2")
    assert len(server.sent_to(1001)) == 1
    assert {e.status for e in server.errors} == {400}


async def test_missing_chat_id_over_raw_http(server: StandinBotAPI) -> None:
    async with aiohttp.ClientSession() as http:
        url = f"{server.bot_api_url}{TOKEN}/sendMessage"
        async with http.post(url, json={"text": "hi"}) as response:
            body = await response.json()
        assert response.status == 400
        assert body == {
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: chat_id is empty",
        }
        server.register_chat(7)
        async with http.post(url, data={"chat_id": "7"}) as response:
            assert (await response.json())["description"] == "Bad Request: message text is empty"
        async with http.get(url, params={"chat_id": "7", "text": "查询参数"}) as response:
            assert (await response.json())["result"]["text"] == "查询参数"
        async with http.post(f"{server.bot_api_url}{TOKEN}/sendTelepathy") as response:
            assert response.status == 404
        async with http.post(f"{server.bot_api_url}notatoken/getMe") as response:
            assert response.status == 404


async def test_unknown_method_and_allow_list_map_to_ptb_errors() -> None:
    async with StandinBotAPI(tokens=["999:allowed"]) as server:
        async with telegram.Bot(
            "999:allowed", base_url=server.bot_api_url, base_file_url=server.file_url
        ) as allowed:
            # PTB turns Telegram's 404 for an unknown method into EndPointNotFound.
            with pytest.raises(EndPointNotFound):
                await allowed.do_api_request("sendTelepathy")
        stranger = telegram.Bot("998:other", base_url=server.bot_api_url)
        with pytest.raises(InvalidToken):
            await stranger.get_me()


async def test_blocked_user_gives_403_and_my_chat_member(
    server: StandinBotAPI, bot: telegram.Bot
) -> None:
    user = server.user(1001)
    await user.send_text("hi")
    await user.block()
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(1001, "still there?")
    updates = await bot.get_updates()
    member = updates[-1].my_chat_member
    assert member is not None and member.new_chat_member.status == "kicked"


async def test_edit_delete_and_not_modified(server: StandinBotAPI, bot: telegram.Bot) -> None:
    server.register_chat(1001)
    sent = await bot.send_message(1001, "第一版", reply_markup=KEYBOARD)
    edited = await bot.edit_message_text("第二版", chat_id=1001, message_id=sent.message_id)
    assert isinstance(edited, telegram.Message)
    assert edited.text == "第二版" and edited.edit_date is not None
    assert edited.reply_markup is None  # omitted reply_markup removes the keyboard
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("第二版", chat_id=1001, message_id=sent.message_id)
    await bot.edit_message_reply_markup(1001, sent.message_id, reply_markup=KEYBOARD)
    [record] = server.sent_to(1001)
    assert record.text == "第二版" and record.history == ["第一版"] and record.edit_count == 2
    assert record.button_texts == ["同意调解", "拒绝"]
    assert await bot.delete_message(1001, sent.message_id)
    assert server.sent_to(1001)[0].deleted
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(1001, sent.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", chat_id=1001, message_id=sent.message_id)


async def test_copy_forward_location_action_and_reply(
    server: StandinBotAPI, bot: telegram.Bot
) -> None:
    user = server.user(1001, first_name="李四")
    update = await user.send_text("原始陈述")
    server.register_chat(-500, "group")
    source_id = update["message"]["message_id"]
    copied = await bot.copy_message(-500, 1001, source_id)
    forwarded = await bot.forward_message(-500, 1001, source_id)
    assert forwarded.forward_origin is not None
    assert isinstance(forwarded.forward_origin, telegram.MessageOriginUser)
    assert forwarded.forward_origin.sender_user.first_name == "李四"
    texts = [(m.method, m.text) for m in server.sent_to(-500)]
    assert texts == [("copyMessage", "原始陈述"), ("forwardMessage", "原始陈述")]
    assert server.sent_to(-500)[0].message_id == copied.message_id
    reply = await bot.send_message(1001, "收到", reply_to_message_id=source_id)
    assert reply.reply_to_message is not None and reply.reply_to_message.text == "原始陈述"
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(1001, "x", reply_to_message_id=9999)
    location = await bot.send_location(1001, latitude=31.23, longitude=121.47)
    assert location.location is not None and location.location.latitude == pytest.approx(31.23)
    assert await bot.send_chat_action(1001, "typing")
    assert server.chat_actions(1001) == ["typing"]


async def test_commands_menu_and_get_chat(server: StandinBotAPI, bot: telegram.Bot) -> None:
    await bot.set_my_commands([("start", "开始"), ("help", "帮助")])
    await bot.set_my_commands([("start", "Start")], language_code="en")
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert [c.description for c in await bot.get_my_commands(language_code="en")] == ["Start"]
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([("Start-Now", "bad")])
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    assert await bot.set_chat_menu_button(menu_button=telegram.MenuButtonCommands())
    assert isinstance(await bot.get_chat_menu_button(), telegram.MenuButtonCommands)


@pytest.mark.filterwarnings("ignore:Please use 'Bot.setMyCommands'")
async def test_a_chat_sees_its_own_menu_before_the_default(
    server: StandinBotAPI, bot: telegram.Bot
) -> None:
    """Telegram's order for a private chat: the chat's scope (its language, then any), all
    private chats, the default; deleting the chat's menu brings the default back."""
    staff = server.user(1002, language_code="en")
    party = server.user(1003, language_code="zh-hans")
    await bot.set_my_commands([("start", "开始"), ("help", "帮助")])
    await bot.set_my_commands([("start", "Start")], language_code="en")
    assert staff.menu == ["start"] and party.menu == ["start", "help"]
    scope = telegram.BotCommandScopeChat(1002)
    await bot.set_my_commands([("queue", "待接手"), ("help", "帮助")], scope=scope)
    assert staff.menu == ["queue", "help"] and party.menu == ["start", "help"]
    await bot.set_my_commands([("queue", "Queue")], scope=scope, language_code="en")
    assert staff.menu == ["queue"]
    assert [c.command for c in await bot.get_my_commands(scope=scope)] == ["queue", "help"]
    await bot.delete_my_commands(scope=scope, language_code="en")
    await bot.delete_my_commands(scope=scope)
    assert staff.menu == ["start"]
    await bot.set_my_commands([("case", "案件")], scope=telegram.BotCommandScopeAllPrivateChats())
    assert party.menu == ["case"]
    for scope_json in ({"type": "chat"}, {"type": "galaxy"}):
        with pytest.raises(BadRequest):
            await bot.do_api_request(
                "setMyCommands",
                api_kwargs={
                    "commands": [{"command": "x", "description": "y"}],
                    "scope": scope_json,
                },
            )


async def test_menu_button_and_get_chat(server: StandinBotAPI, bot: telegram.Bot) -> None:
    assert await bot.set_chat_menu_button(menu_button=telegram.MenuButtonCommands())
    assert isinstance(await bot.get_chat_menu_button(), telegram.MenuButtonCommands)
    user = server.user(1001, username="zhangsan")
    user.register()
    chat = await bot.get_chat(1001)
    assert (chat.id, chat.type, chat.first_name, chat.username) == (
        1001,
        "private",
        "张三",
        "zhangsan",
    )
