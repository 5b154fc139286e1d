"""Simulated Telegram users: the other side of the conversation.

A ``SimUser`` produces exactly the updates a real client would (private chat
id = user id, ``bot_command`` entities for ``/start``, ``forward_origin``,
contacts carrying ``user_id`` only when the user shares their own number), so
handlers are exercised on realistic input rather than hand-written dicts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from itertools import count
from typing import TYPE_CHECKING

from .media import image_size, make_ogg, make_png
from .models import JSONDict, SentMessage, flatten_inline
from .state import BotState, CallbackRecord, Chat

if TYPE_CHECKING:
    from .engine import Engine

_query_ids = count(4_000_000_000_000_000_001)


class SimUser:
    """One simulated user talking to one bot; every action returns the Update dict."""

    def __init__(
        self,
        engine: Engine,
        bot: BotState,
        user_id: int,
        first_name: str,
        username: str | None,
        language_code: str | None,
        phone: str | None,
        last_name: str | None = None,
    ) -> None:
        self.engine = engine
        self.bot = bot
        self.user_id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.phone = phone
        #: How many of this chat's bot messages ``wait_for_messages`` already returned.
        self.seen = 0
        self._last_sent: dict[int, JSONDict] = {}

    # -- identity ------------------------------------------------------------

    @property
    def chat_id(self) -> int:
        """Private chat id (equals the user id, as in Telegram)."""
        return self.user_id

    @property
    def user_dict(self) -> JSONDict:
        """The ``User`` object for ``from`` fields."""
        data: JSONDict = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    def register(self) -> Chat:
        """Make the private chat known without sending anything."""
        return self.bot.ensure_chat(
            self.user_id,
            type="private",
            first_name=self.first_name,
            last_name=self.last_name,
            username=self.username,
        )

    def _chat(self, group_id: int | None) -> Chat:
        if group_id is None:
            return self.register()
        chat = self.bot.ensure_chat(group_id, type="group")
        if chat.title is None:
            chat.title = f"Group {group_id}"
        return chat

    def _message(self, chat: Chat, **content: object) -> JSONDict:
        message_id = chat.new_message_id()
        message: JSONDict = {
            "message_id": message_id,
            "from": self.user_dict,
            "chat": chat.as_dict(),
            "date": int(time.time()),
            **content,
        }
        chat.messages[message_id] = message
        self._last_sent[chat.id] = message
        return message

    def _post(self, content: JSONDict, group_id: int | None = None) -> JSONDict:
        chat = self._chat(group_id)
        return self.bot.enqueue({"message": self._message(chat, **content)})

    # -- actions ---------------------------------------------------------------

    async def send_text(self, text: str, *, reply_to: int | None = None) -> JSONDict:
        """A text message; a leading ``/command`` gets its ``bot_command`` entity."""
        content: JSONDict = {"text": text}
        if text.startswith("/"):
            length = len(text.split(maxsplit=1)[0]) if text.strip() else 1
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        if reply_to is not None:
            original = self.register().messages.get(reply_to)
            if original is not None:
                content["reply_to_message"] = original
        return self._post(content)

    async def send_command(self, command: str, payload: str | None = None) -> JSONDict:
        """``/start payload`` style deep links and commands."""
        if not command.startswith("/"):
            command = "/" + command
        text = f"{command} {payload}" if payload else command
        return await self.send_text(text)

    async def edit_last(self, text: str) -> JSONDict:
        """Edit the user's last message in the private chat (``edited_message``)."""
        chat = self.register()
        last = self._last_sent.get(chat.id)
        if last is None:
            raise AssertionError(f"user {self.user_id} has not sent a message to edit")
        last["text"] = text
        last["edit_date"] = int(time.time())
        return self.bot.enqueue({"edited_message": dict(last)})

    async def forward_text(
        self, text: str, from_name: str = "李四", from_user_id: int | None = None
    ) -> JSONDict:
        """A forwarded message; without *from_user_id* the origin is a hidden user."""
        origin: JSONDict
        if from_user_id is None:
            origin = {
                "type": "hidden_user",
                "sender_user_name": from_name,
                "date": int(time.time()),
            }
        else:
            origin = {
                "type": "user",
                "sender_user": {"id": from_user_id, "is_bot": False, "first_name": from_name},
                "date": int(time.time()) - 3600,
            }
        return self._post({"text": text, "forward_origin": origin})

    async def send_contact(self, phone: str | None = None, own: bool = True) -> JSONDict:
        """Share a contact; Telegram sets ``user_id`` only for the sender's own card."""
        phone = phone or self.phone or "+8613800138000"
        contact: JSONDict = {"phone_number": phone, "first_name": self.first_name}
        if own:
            contact["user_id"] = self.user_id
            if self.last_name:
                contact["last_name"] = self.last_name
            self.phone = phone
        else:
            contact["first_name"] = "王五"
        return self._post({"contact": contact})

    async def send_photo(
        self, png_bytes: bytes | None = None, caption: str | None = None
    ) -> JSONDict:
        """A photo (any PNG/JPEG bytes; a small generated PNG by default)."""
        data = png_bytes if png_bytes is not None else make_png(120, 80)
        files = self.engine.files
        width, height = image_size(data) or (1, 1)
        stored = files.add(data, "photo", mime_type="image/jpeg", width=width, height=height)
        content: JSONDict = {"photo": files.photo_sizes(stored)}
        if caption:
            content["caption"] = caption
        return self._post(content)

    async def send_document(
        self,
        data: bytes,
        filename: str = "evidence.pdf",
        mime: str = "application/pdf",
        caption: str | None = None,
    ) -> JSONDict:
        """A document (evidence files, contracts)."""
        stored = self.engine.files.add(data, "document", file_name=filename, mime_type=mime)
        document = {**stored.describe(), "file_name": filename, "mime_type": mime}
        content: JSONDict = {"document": document}
        if caption:
            content["caption"] = caption
        return self._post(content)

    async def send_voice(self, ogg_bytes: bytes | None = None, duration: int = 3) -> JSONDict:
        """A voice note (OGG/Opus)."""
        data = ogg_bytes if ogg_bytes is not None else make_ogg(duration)
        stored = self.engine.files.add(data, "voice", mime_type="audio/ogg")
        voice = {**stored.describe(), "duration": duration, "mime_type": "audio/ogg"}
        return self._post({"voice": voice})

    async def send_sticker(self, emoji: str = "👍") -> JSONDict:
        """A sticker, i.e. input the bot usually cannot interpret."""
        stored = self.engine.files.add(
            b"RIFF\x00\x00\x00\x00WEBP", "sticker", mime_type="image/webp"
        )
        sticker = {
            **stored.describe(),
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self._post({"sticker": sticker})

    async def send_location(self, lat: float, lon: float) -> JSONDict:
        """A location pin."""
        return self._post({"location": {"latitude": lat, "longitude": lon}})

    async def send_in_group(self, text: str, group_id: int) -> JSONDict:
        """A text in a group chat the user and the bot are both in."""
        content: JSONDict = {"text": text}
        if text.startswith("/"):
            length = len(text.split(maxsplit=1)[0])
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self._post(content, group_id)

    async def press(self, button: str, message: SentMessage | int | None = None) -> JSONDict:
        """Press a button by its text or callback_data.

        Inline buttons produce a ``callback_query`` for the newest bot message
        carrying the button (or *message*).  If no inline button matches, a
        reply-keyboard button is tried: it sends its text, or the user's own
        contact for ``request_contact`` buttons.
        """
        chat = self.register()
        candidates = [m for m in reversed(chat.sent) if not m.deleted]
        if message is not None:
            wanted = message if isinstance(message, int) else message.message_id
            candidates = [m for m in candidates if m.message_id == wanted]
        for sent in candidates:
            for text, target in sent.buttons:
                if button not in (text, target):
                    continue
                markup_button = _find_inline(sent.reply_markup, text, target)
                if "callback_data" not in markup_button:
                    raise AssertionError(f"button {text!r} opens {target!r}; it sends no update")
                return self._callback(chat, sent, str(markup_button["callback_data"]))
        for sent in candidates:
            for key in sent.keyboard:
                if key.text == button:
                    if key.request_contact:
                        return await self.send_contact(own=True)
                    if key.request_location:
                        return await self.send_location(39.9042, 116.4074)
                    return await self.send_text(key.text)
        available = [
            f"#{m.message_id}: {m.button_texts or [k.text for k in m.keyboard]}" for m in candidates
        ]
        raise AssertionError(
            f"no button {button!r} in chat {chat.id}; buttons on bot messages: {available}"
        )

    def _callback(self, chat: Chat, sent: SentMessage, data: str) -> JSONDict:
        query_id = str(next(_query_ids))
        self.bot.callbacks[query_id] = CallbackRecord(query_id, chat.id, sent.message_id, data)
        query = {
            "id": query_id,
            "from": self.user_dict,
            "message": dict(sent.message),
            "chat_instance": str(-abs(hash((self.bot.bot_id, chat.id))) % 10**18),
            "data": data,
        }
        return self.bot.enqueue({"callback_query": query})

    async def block(self) -> JSONDict:
        """Block the bot: later sends get 403, and the bot gets ``my_chat_member``."""
        return self._membership("kicked", blocked=True)

    async def unblock(self) -> JSONDict:
        """Unblock (restart) the bot."""
        return self._membership("member", blocked=False)

    def _membership(self, status: str, *, blocked: bool) -> JSONDict:
        chat = self.register()
        chat.blocked = blocked
        old, new = ("member", status) if blocked else ("kicked", status)
        update = {
            "my_chat_member": {
                "chat": chat.as_dict(),
                "from": self.user_dict,
                "date": int(time.time()),
                "old_chat_member": {"status": old, "user": self.bot.user},
                "new_chat_member": _member(new, self.bot.user),
            }
        }
        return self.bot.enqueue(update)

    # -- observation -------------------------------------------------------

    @property
    def messages(self) -> list[SentMessage]:
        """Everything the bot sent to this user, oldest first."""
        chat = self.bot.chats.get(self.user_id)
        return list(chat.sent) if chat is not None else []

    @property
    def last_message(self) -> SentMessage | None:
        """The newest bot message that was not deleted."""
        return next((m for m in reversed(self.messages) if not m.deleted), None)

    @property
    def menu(self) -> list[str]:
        """The command names this user's chat shows behind the ``/`` button (its own menu set
        with a chat scope, else the bot's default), in the user's language."""
        return self.engine.menu_for(self.user_id, self.language_code, bot_id=self.bot.bot_id)

    async def wait_for_menu(
        self,
        check: Callable[[list[str]], bool],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[str]:
        """The chat's menu once ``check`` holds for it (menus are set after the messages that
        announce them, by the bot's own sender)."""
        found = await self.engine.message_signal.wait_until(
            lambda: self.menu if check(self.menu) else None, timeout
        )
        if found is None:
            raise AssertionError(f"the menu of chat {self.user_id} stayed {self.menu}")
        return found

    async def wait_for_messages(self, n: int = 1, timeout: float = 5.0) -> list[SentMessage]:  # noqa: ASYNC109
        """The next *n* bot messages this user has not been handed yet.

        Each returned message is marked as seen, so consecutive calls walk
        through the conversation; a timeout lists what did arrive.
        """
        start = self.seen

        def check() -> list[SentMessage] | None:
            messages = self.messages
            return messages[start : start + n] if len(messages) >= start + n else None

        result = await self.engine.message_signal.wait_until(check, timeout)
        if result is None:
            arrived = self.messages[start:]
            raise AssertionError(self.engine.timeout_report(self.user_id, n, timeout, arrived))
        self.seen = start + n
        return result

    async def wait_for_edit(
        self,
        message: SentMessage,
        edits: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> SentMessage:
        """Wait until *message* was edited at least *edits* times in total."""
        return await self.engine.wait_until(
            lambda: message if message.edit_count >= edits else None,
            timeout,
            f"message #{message.message_id} to be edited {edits} time(s)",
        )


def _find_inline(markup: JSONDict | None, text: str, target: str) -> JSONDict:
    for row in (markup or {}).get("inline_keyboard", []):
        for button in row:
            if flatten_inline({"inline_keyboard": [[button]]}) == [(text, target)]:
                return dict(button)
    return {"text": text, "url": target}


def _member(status: str, user: JSONDict) -> JSONDict:
    if status == "kicked":
        return {"status": "kicked", "user": user, "until_date": 0}
    return {"status": status, "user": user}
