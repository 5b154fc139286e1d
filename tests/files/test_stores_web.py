"""The service's file paths on every store: DATA_DIR (the default), a separate FILES_DIR (a
shared volume) and an S3 bucket (moto). A browser uploads evidence, the service puts a document
in the person's mailbox and serves it with its safe headers, and the Telegram sender sends a
stored PDF — through the running service, over real HTTP."""

from __future__ import annotations

import secrets
from pathlib import Path

import aiohttp
import pytest

from standin import StandinBotAPI
from storage.s3 import S3FileStore
from tests.files import webflow
from tests.files.conftest import MotoS3
from tests.webchat.harness import chat_service

PHONE = "13800006001"


@pytest.fixture(params=["data_dir", "files_dir", "s3"])
async def store_env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    if request.param == "data_dir":
        return {}
    if request.param == "files_dir":
        return {"FILES_DIR": str(tmp_path / "shared-files")}
    moto_s3: MotoS3 = request.getfixturevalue("moto_s3")
    bucket = f"web-{secrets.token_hex(5)}"
    store = S3FileStore(moto_s3.config(bucket))
    await store.create_bucket()
    await store.close()
    return {**moto_s3.env(bucket), "S3_PREFIX": "svc"}


async def test_upload_mailbox_download_and_telegram_file(
    tmp_path: Path, store_env: dict[str, str]
) -> None:
    data_dir = tmp_path / "var"
    async with (
        StandinBotAPI() as standin,
        chat_service(standin, data_dir, env=store_env) as (runtime, base, sms),
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
    ):
        assert runtime.files.kind == ("s3" if "FILE_STORE" in store_env else "local")

        async def code() -> str:
            return sms.sent[PHONE]

        headers = await webflow.login(http, base, PHONE, code)
        body = await webflow.upload(http, base, headers, webflow.PNG, "证据.png")
        ref = str(body["ref"])
        key = ref.removeprefix("web:")
        assert ref.startswith("web:files/web/") and body["size"] == len(webflow.PNG)
        assert await runtime.files.get(key) == webflow.PNG
        # Exactly where the store keeps it: DATA_DIR, FILES_DIR, or only in the bucket.
        in_data_dir = not store_env
        in_files_dir = "FILES_DIR" in store_env
        assert (data_dir / key).is_file() == in_data_dir
        assert (tmp_path / "shared-files" / key).is_file() == in_files_dir

        # A document for this person: queued like an agreement, served from the store.
        user_id = webflow.user_of(ref)
        await runtime.files.put("documents/1/agreement-1-v1-signed.pdf", webflow.PDF)
        seq = await webflow.deliver_file(
            runtime.db, user_id, "documents/1/agreement-1-v1-signed.pdf", "agreement.pdf"
        )
        data, got = await webflow.download(http, base, seq)
        assert data == webflow.PDF and got["Content-Type"] == "application/pdf"
        webflow.assert_safe_headers(got, "agreement.pdf")

        # Another person's session gets nothing; a file gone from the store is a 404.
        async with (
            aiohttp.ClientSession() as stranger,
            stranger.get(f"{base}/chat/file/{seq}") as resp,
        ):
            assert resp.status == 401
        await runtime.files.delete("documents/1/agreement-1-v1-signed.pdf")
        async with http.get(f"{base}/chat/file/{seq}") as resp:
            assert resp.status == 404

        # The Telegram sender reads file payloads from the same store.
        from services.outbox import enqueue
        from services.outgoing import StoredDocument

        telegram_user = standin.user(7001)
        telegram_user.register()
        await runtime.files.put("documents/2/application.pdf", webflow.PDF)
        async with runtime.db.write() as session:
            queued = await enqueue(
                session,
                "telegram",
                "7001",
                [StoredDocument("documents/2/application.pdf", "a.pdf")],
            )
        runtime.deliver(queued)
        assert runtime.telegram is not None
        await runtime.telegram.sender.drain(within=20)
        sent = standin.sent_to(7001)
        assert [m.file for m in sent] == [webflow.PDF]
