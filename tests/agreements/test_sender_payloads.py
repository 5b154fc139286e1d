"""The two payload additions in bot.sender: a file under DATA_DIR sent as a document, and a Mini
App (``web_app``) inline button. A path leaving DATA_DIR is refused, never read."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select

from services.outbox import enqueue
from services.outgoing import OutgoingMessage, StoredDocument, from_payload
from standin import StandinBotAPI
from storage.db import Database
from storage.models import OutboxMessage
from tests.test_sender import running_sender


async def send_through_outbox(
    standin: StandinBotAPI,
    db: Database,
    chat: str,
    messages: Sequence[OutgoingMessage],
    files_dir: Path | None = None,
) -> None:
    """``messages`` queued for Telegram ``chat`` and sent by the real sender (no rate limits;
    files read under ``files_dir`` only), which is stopped once they are all handled."""
    async with running_sender(standin, db, files_dir=files_dir) as sender:
        async with db.write() as session:
            queued = await enqueue(session, "telegram", chat, messages)
        sender.submit(queued)
        await sender.drain(within=10)


async def test_files_and_web_app_buttons(sqlite_db: Database, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    (data_dir / "documents" / "7").mkdir(parents=True)
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 40
    (data_dir / "documents" / "7" / "a.pdf").write_bytes(pdf)
    (tmp_path / "secret.txt").write_text("not for Telegram")
    payloads: list[dict[str, object]] = [
        {
            "kind": "file",
            "path": "documents/7/a.pdf",
            "filename": "agreement.pdf",
            "caption": "协议书",
        },
        {"kind": "file", "path": "../secret.txt", "filename": "x.txt"},
        {"kind": "file", "path": "documents/7/missing.pdf"},
        {
            "text": "请签署",
            "buttons": [
                [{"text": "✍️ 手写签名", "web_app": "https://example.org/webapp/sign?d=x&v=y"}],
                [{"text": "⌨️ 输入全名签署", "action": "ag:ty:1:abcd"}],
            ],
        },
    ]
    async with StandinBotAPI() as standin:
        user = standin.user(6100)
        user.register()
        await send_through_outbox(
            standin, sqlite_db, "6100", [from_payload(p) for p in payloads], data_dir
        )
        document, prompt = standin.sent_to(6100)
    assert document.method == "sendDocument" and document.file == pdf
    assert document.filename == "agreement.pdf" and document.text == "协议书"
    assert prompt.buttons == [
        ("✍️ 手写签名", "https://example.org/webapp/sign?d=x&v=y"),
        ("⌨️ 输入全名签署", "ag:ty:1:abcd"),
    ]
    assert prompt.reply_markup is not None
    assert prompt.reply_markup["inline_keyboard"][0][0]["web_app"] == {
        "url": "https://example.org/webapp/sign?d=x&v=y"
    }
    async with sqlite_db.read() as session:
        rows = (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars()
        statuses = [(r.status, r.error or "") for r in rows]
    assert [s for s, _ in statuses] == ["sent", "failed", "failed", "sent"]
    assert "not a file in the file store" in statuses[1][1]


async def test_without_a_files_directory_nothing_is_read(sqlite_db: Database) -> None:
    async with StandinBotAPI() as standin:
        standin.user(6101).register()
        await send_through_outbox(standin, sqlite_db, "6101", [StoredDocument("/etc/hostname")])
        assert standin.sent_to(6101) == []
