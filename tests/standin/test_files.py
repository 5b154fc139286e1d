"""Uploads (multipart) and downloads through ``/file/bot<token>/...``."""

from __future__ import annotations

import datetime as dt

import pytest
import telegram
from telegram.error import BadRequest

from standin import StandinBotAPI, make_png


async def test_bot_photo_upload_is_downloadable(server: StandinBotAPI, bot: telegram.Bot) -> None:
    server.register_chat(1001)
    png = make_png(300, 200)
    sent = await bot.send_photo(1001, png, caption="<i>现场照片</i>", parse_mode="HTML")
    largest = sent.photo[-1]
    assert (largest.width, largest.height) == (300, 200)
    assert sent.photo[0].width == 90  # thumbnail first, like Telegram
    assert sent.caption == "现场照片"
    record = server.sent_to(1001)[0]
    assert record.method == "sendPhoto" and record.file == png and record.caption == "现场照片"
    file = await bot.get_file(largest.file_id)
    assert file.file_path is not None and file.file_path.startswith(server.file_url)
    assert bytes(await file.download_as_bytearray()) == png
    # Re-sending by file_id reuses the stored bytes.
    again = await bot.send_photo(1001, largest.file_id)
    assert server.sent_to(1001)[1].file == png and again.photo[-1].width == 300


async def test_user_photo_is_downloadable_by_bot(server: StandinBotAPI, bot: telegram.Bot) -> None:
    png = make_png(64, 48, (0, 128, 255))
    await server.user(1001).send_photo(png, caption="证据")
    [update] = await bot.get_updates()
    assert update.message is not None and update.message.caption == "证据"
    photo = update.message.photo[-1]
    assert (photo.width, photo.height) == (64, 48)
    data = await (await photo.get_file()).download_as_bytearray()
    assert bytes(data) == png


async def test_user_document_and_voice(server: StandinBotAPI, bot: telegram.Bot) -> None:
    user = server.user(1001)
    await user.send_document(b"%PDF-1.7 contract", "合同.pdf", "application/pdf")
    await user.send_voice(b"OggS voice", duration=7)
    document_update, voice_update = await bot.get_updates()
    document = document_update.message.document if document_update.message else None
    voice = voice_update.message.voice if voice_update.message else None
    assert document is not None and document.file_name == "合同.pdf"
    assert bytes(await (await document.get_file()).download_as_bytearray()) == b"%PDF-1.7 contract"
    assert voice is not None and voice.duration == dt.timedelta(seconds=7)


async def test_document_voice_audio_uploads(server: StandinBotAPI, bot: telegram.Bot) -> None:
    server.register_chat(1001)
    doc = await bot.send_document(1001, b"mediation agreement", filename="协议书.pdf")
    assert doc.document is not None and doc.document.file_name == "协议书.pdf"
    await bot.send_voice(1001, b"OggS....", duration=3)
    await bot.send_audio(1001, b"ID3....", title="录音")
    methods = [(m.method, m.filename, m.file) for m in server.sent_to(1001)]
    assert methods[0] == ("sendDocument", "协议书.pdf", b"mediation agreement")
    assert [m[0] for m in methods] == ["sendDocument", "sendVoice", "sendAudio"]
    downloaded = await (await bot.get_file(doc.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == b"mediation agreement"


async def test_upload_errors(server: StandinBotAPI, bot: telegram.Bot) -> None:
    server.register_chat(1001)
    with pytest.raises(BadRequest, match=r"(?i)image_process_failed"):
        await bot.send_photo(1001, b"%PDF-1.7 not an image")
    zero_sized = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    with pytest.raises(BadRequest, match=r"(?i)photo_invalid_dimensions"):
        await bot.send_photo(1001, zero_sized)
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_photo(1001, "no-such-file-id")
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("no-such-file-id")
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_photo(1001, make_png(), caption="长" * 1025)
    assert server.sent_to(1001) == []
