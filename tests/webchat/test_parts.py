"""The browser channel's pure parts: page messages → inputs, outbox payloads → page items,
the SMS gateway setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import ConfigError
from features.webchat.channel import own_message, to_payload, user_of_chat
from features.webchat.invitation import preview
from features.webchat.otp import LogSmsGateway, NoSmsGateway, make_gateway
from features.webchat.web_render import invite_token, render_item
from mediation import intake
from services.inbound import Command
from storage.db import Database
from tests.conftest import make_settings

BASE = "https://mediate.example"


def test_page_messages_become_channel_neutral_inputs() -> None:
    assert to_payload({"type": "text", "text": "你好"}, None) == intake.TextInput("你好")
    assert to_payload({"type": "text", "text": "/case 1"}, None) == Command("case", ("1",))
    assert to_payload({"type": "text", "text": "   "}, None) is None
    assert to_payload({"type": "action", "action": "i:consent"}, None) == intake.ActionInput(
        "i:consent"
    )
    contact = to_payload({"type": "contact"}, "13800001111")
    assert contact == intake.ContactInput("13800001111", is_own=True)
    assert to_payload({"type": "contact"}, None) is None  # no verified phone, no contact
    assert to_payload({"type": "start", "unit": "yjp_c1"}, None) == Command(
        "start", ("unit-yjp_c1",)
    )
    assert to_payload({"type": "join", "code": "K7M4-Q2XP"}, None) == Command(
        "join", ("K7M4-Q2XP",)
    )
    assert to_payload({"type": "bogus"}, None) is None
    mine = {"type": "file", "ref": "web:files/web/7/abc.png", "kind": "photo", "name": "a.png"}
    assert to_payload(mine, None, 7) == intake.FileInput(
        "photo", "web:files/web/7/abc.png", name="a.png"
    )
    assert to_payload(mine, None, 8) is None  # another person's upload
    sneaky = {**mine, "ref": "web:files/web/7/../../secrets/pii.key"}
    assert to_payload(sneaky, None, 7) is None
    assert user_of_chat("user:42") == 42 and user_of_chat("12345") is None


def test_payloads_render_as_page_items() -> None:
    text = render_item(
        3,
        {
            "text": "请签署",
            "buttons": [
                [{"text": "✍️ 手写签名", "web_app": f"{BASE}/webapp/sign?d=abc&v=123"}],
                [{"text": "⌨️ 输入全名签署", "action": "ag:ty:1:abc"}],
            ],
            "contact_button": "📱 分享我的手机号",
        },
        "zh-CN",
        BASE,
    )
    assert text["buttons"] == [
        [{"text": "✍️ 手写签名", "url": "/webapp/sign?d=abc&v=123"}],  # same origin
        [{"text": "⌨️ 输入全名签署", "action": "ag:ty:1:abc"}],
    ]
    assert text["contact"] == "📱 用登录手机号"
    pdf = render_item(
        7, {"kind": "file", "path": "docs/a.pdf", "filename": "协议.pdf"}, "zh-CN", BASE
    )
    assert pdf["file"] == {"name": "协议.pdf", "url": "/chat/file/7"}
    assert "docs/a.pdf" not in str(pdf)  # the server path never reaches the page
    qr = render_item(9, {"kind": "qr", "data": "https://t.me/bot?start=inv_abc"}, "en", BASE)
    assert qr["join"] == f"{BASE}/chat/join/inv_abc"
    assert qr["telegram"] == "https://t.me/bot?start=inv_abc"
    assert qr["qr"].startswith("data:image/svg+xml")
    assert invite_token(f"{BASE}/chat/join/inv_xyz") == "inv_xyz"
    copy = render_item(1, {"kind": "copy", "from_chat_id": "1", "message_id": 2}, "en", BASE)
    assert copy == {"text": "(this content cannot be shown in the browser)"}


def test_sms_gateway_setting(tmp_path: Path) -> None:
    # Issue 21 #11: codes in the log only in development; no gateway is "none".
    assert make_settings(tmp_path).sms_gateway == "none"
    assert isinstance(make_gateway(make_settings(tmp_path)), NoSmsGateway)
    with pytest.raises(ConfigError, match="DEV_MODE"):
        make_settings(tmp_path, SMS_GATEWAY="log")
    dev = make_settings(tmp_path, DEV_MODE="1")
    assert dev.sms_gateway == "log" and isinstance(make_gateway(dev), LogSmsGateway)
    with pytest.raises(ConfigError, match="SMS_ACCESS_KEY_ID"):
        make_settings(tmp_path, SMS_GATEWAY="aliyun")
    with pytest.raises(ConfigError, match="SMS_APP_ID"):
        make_settings(
            tmp_path,
            SMS_GATEWAY="tencent",
            SMS_ACCESS_KEY_ID="id",
            SMS_ACCESS_KEY_SECRET="key",
            SMS_SIGN_NAME="调解",
            SMS_TEMPLATE="1234",
        )
    with pytest.raises(ConfigError, match="SMS_GATEWAY"):
        make_settings(tmp_path, SMS_GATEWAY="carrier-pigeon")


def test_own_messages_show_what_was_typed_or_pressed_never_a_secret() -> None:
    """A page message as its sender sees it again after a reload (issue 19)."""
    typed = own_message({"type": "text", "text": "您好"}, "c1", "zh-CN")
    assert typed == {"kind": "mine", "text": "您好", "cid": "c1"}
    pressed = own_message(
        {"type": "action", "action": "cmd:cases", "label": "我的案件"}, "c2", "en"
    )
    assert pressed is not None and pressed["text"] == "我的案件"
    token = "inv_" + "x" * 43
    joined = own_message({"type": "join", "code": token, "label": token}, "c3", "zh-CN")
    assert joined is not None and joined["text"] == "📩 我打开了调解邀请"
    typed_code = own_message({"type": "join", "code": "ABCD-EFGH"}, "c6", "zh-CN")
    assert typed_code is not None and typed_code["text"] == "🔑 我输入了邀请码"
    contact = own_message({"type": "contact"}, "c4", "en")
    assert contact is not None and contact["text"] == "📱 Use my login number"
    assert own_message({"type": "action", "action": "x"}, "c5", "zh-CN") is None  # unnamed
    assert render_item(4, typed, "zh-CN", BASE) == {"mine": True, "text": "您好", "cid": "c1"}


def test_the_phone_button_names_the_login_number() -> None:
    item = render_item(5, {"text": "…", "contact_button": "x"}, "zh-CN", BASE, "139****1234")
    assert item["contact"] == "📱 用登录手机号 139****1234"


async def test_a_typed_code_gets_no_preview_before_login(sqlite_db: Database) -> None:
    """Only a link's long token is previewed: a short code could be guessed (issue 21)."""
    from datetime import UTC, datetime

    now = datetime(2026, 12, 1, tzinfo=UTC)
    assert await preview(sqlite_db, "ABCD-EFGH", now, "zh-CN") is None
    assert await preview(sqlite_db, "inv_" + "a" * 43, now, "zh-CN") is None  # no such link
