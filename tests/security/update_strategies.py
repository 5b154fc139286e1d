"""Hypothesis strategies for raw Telegram update JSON, valid in shape or deliberately not.

Why raw JSON: the service receives bytes from Telegram (webhook or getUpdates); PTB's
``Update.de_json`` and our ``bot.updates.to_inbound`` run on them before any handler. Hostile
input is generated at that level: random Unicode (RTL overrides, NUL, emoji, lone surrogates
are impossible in JSON from Telegram but everything else is), huge strings, wrong types,
missing fields, unknown update kinds, garbage callback data and commands with garbage args.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

BUILTIN_COMMANDS = (
    "start",
    "help",
    "language",
    "cancel",
    "cases",
    "case",
    "link",
    "join",
    "switch",
    "record",
    "note",
    "invite",
)
BUILTIN_ACTIONS = (
    "c:continue",
    "c:restart",
    "i:cancel",
    "i:cancel_no",
    "i:cancel_yes",
    "i:consent",
    "i:decline",
    "i:edit",
    "i:next",
    "i:skip",
    "i:submit",
    "i:type:",
    "j:reason_skip",
    "lang:en",
    "lang:zh",
    "m:close",
    "m:inv",
    "m:invite",
    "m:mode",
    "m:mute",
    "m:outcome",
    "m:remove",
    "m:rep",
    "m:send",
    "m:session",
    "m:take",
    "m:to",
    "m:unmute",
    "reply:",
    "s:",
    "staff:",
    "deadline:",
    "j:",
)
UNKNOWN_KINDS = (
    "channel_post",
    "edited_channel_post",
    "inline_query",
    "chosen_inline_result",
    "shipping_query",
    "pre_checkout_query",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "message_reaction",
    "business_message",
    "purchased_paid_media",
    "kind_from_the_future",
)

nasty_text = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "\u202e\u05d0\u05d1",
            "👨‍👩‍👧‍👦" * 50,
            "调解" * 3000,
            "{name}",
            "{0}",
            "%s%s%s",
            "<b>x</b>",
            "</pre>",
            "*_`[",
            "13812345678",
            "110105194912310021",
            "\n" * 500,
            "9" * 5000,
            "-1",
            "１２３",
            "١٢٣",
            "ⅫⅫ",
        ]
    ),
    st.text(min_size=4000, max_size=12000),
)
wrong = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def command_text(commands: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.builds(
        lambda name, bot, args: f"/{name}{bot} {' '.join(args)}".rstrip(),
        st.sampled_from(commands) | st.text(max_size=20),
        st.sampled_from(["", "@mediation_bot", "@other_bot", "@"]),
        st.lists(nasty_text.map(lambda t: t[:80]), max_size=4),
    )


def callback_data(actions: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds(
            lambda a, tail: (a + tail)[:64],
            st.sampled_from(actions),
            st.text(max_size=40) | st.integers(-10, 10**12).map(str),
        ),
        st.text(max_size=64),
        st.just(""),
    )


def maybe_break(value: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    """Sometimes drop a field or give it the wrong type."""
    if value and data.draw(st.integers(0, 9)) == 0:
        key = data.draw(st.sampled_from(sorted(value)))
        if data.draw(st.booleans()):
            value.pop(key)
        else:
            value[key] = data.draw(wrong)
    return value


@st.composite
def raw_update(
    draw: st.DrawFn,
    chats: list[int],
    commands: tuple[str, ...],
    actions: tuple[str, ...],
    update_id: int,
) -> dict[str, Any]:
    data = draw(st.data())
    chat_id = draw(st.sampled_from(chats))
    user = maybe_break(
        {
            "id": chat_id,
            "is_bot": draw(st.sampled_from([False, False, False, True])),
            "first_name": draw(nasty_text.map(lambda t: t[:64] or "x")),
            "language_code": draw(st.sampled_from(["zh-hans", "en", "xx", "", "zh-CN-x-garbage"])),
        },
        data,
    )
    chat_type = draw(st.sampled_from(["private"] * 6 + ["group", "supergroup", "channel", "??"]))
    chat = maybe_break({"id": chat_id, "type": chat_type}, data)
    kind = draw(
        st.sampled_from(
            ["message"] * 6 + ["edited_message", "callback_query", "callback_query", "unknown"]
        )
    )
    if kind == "unknown":
        body: Any = draw(st.one_of(wrong, st.just({"from": user, "chat": chat})))
        return {"update_id": update_id, draw(st.sampled_from(UNKNOWN_KINDS)): body}
    message: dict[str, Any] = {
        "message_id": draw(st.integers(1, 2**31 - 1)),
        "date": draw(st.integers(0, 2**32)),
        "chat": chat,
        "from": user,
    }
    content = draw(
        st.sampled_from(
            ["text"] * 5
            + ["command"] * 3
            + [
                "contact",
                "photo",
                "document",
                "sticker",
                "location",
                "voice",
                "nothing",
                "forwarded",
            ]
        )
    )
    if content == "text":
        message["text"] = draw(nasty_text)
    elif content == "command":
        message["text"] = draw(command_text(commands))
        message["entities"] = [
            {"type": "bot_command", "offset": 0, "length": 1 + draw(st.integers(0, 30))}
        ]
    elif content == "contact":
        message["contact"] = maybe_break(
            {
                "phone_number": draw(nasty_text.map(lambda t: t[:40]) | st.just("+8613812345678")),
                "first_name": "王五",
                "user_id": draw(st.sampled_from([chat_id, chat_id + 1, None])),
            },
            data,
        )
    elif content == "photo":
        message["photo"] = draw(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "file_id": nasty_text.map(lambda t: t[:100] or "f"),
                        "file_unique_id": st.just("u"),
                        "width": st.integers(0, 10**6),
                        "height": st.integers(0, 10**6),
                        "file_size": st.integers(-1, 2**40),
                    }
                ),
                max_size=3,
            )
        )
        message["caption"] = draw(st.none() | nasty_text.map(lambda t: t[:1024]))
    elif content == "document":
        message["document"] = maybe_break(
            {
                "file_id": draw(nasty_text.map(lambda t: t[:100] or "f")),
                "file_unique_id": "u",
                "file_name": draw(nasty_text.map(lambda t: t[:255])),
                "mime_type": draw(st.sampled_from(["application/pdf", "text/html", "", "x/y;z"])),
                "file_size": draw(st.integers(-1, 2**40)),
            },
            data,
        )
    elif content == "voice":
        message["voice"] = {
            "file_id": "v",
            "file_unique_id": "u",
            "duration": draw(st.integers(-1, 10**6)),
        }
    elif content == "sticker":
        message["sticker"] = {
            "file_id": "s",
            "file_unique_id": "u",
            "type": "regular",
            "width": 1,
            "height": 1,
            "is_animated": False,
            "is_video": False,
        }
    elif content == "location":
        message["location"] = {
            "latitude": draw(st.floats(-90, 90)),
            "longitude": draw(st.floats(-180, 180)),
        }
    elif content == "forwarded":
        message["text"] = draw(nasty_text)
        message["forward_origin"] = {"type": "hidden_user", "sender_user_name": "x", "date": 1}
    message = maybe_break(message, data)
    if kind == "callback_query":
        return {
            "update_id": update_id,
            "callback_query": maybe_break(
                {
                    "id": draw(st.text(min_size=1, max_size=20)),
                    "from": user,
                    "chat_instance": "ci",
                    "message": {"message_id": draw(st.integers(1, 10**6)), "date": 0, "chat": chat},
                    "data": draw(callback_data(actions)),
                },
                data,
            ),
        }
    return {"update_id": update_id, kind: message}
