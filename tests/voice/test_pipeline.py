"""The channel-agnostic entry point on SQLite and PostgreSQL: a browser-style upload (bytes in
hand) is stored as evidence at once; a transcript left pending when the model has gone away is
resumed, marked unavailable and the speaker told; corrections are versioned and encrypted."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

from sqlalchemy import select, text

from core.clock import FakeClock
from features.voice.audio_in import AudioIn, accept_audio
from features.voice.feature import correct
from features.voice.models import VoiceTranscript, VoiceTranscriptVersion
from features.voice.pipeline import VoiceService
from mediation.replies import Reply
from services.outbox import QueuedMessage
from services.room import load_room
from speech.backends import BackendSpec, Transcript
from speech.worker import SpeechWorker
from storage.db import Database
from storage.models import Case, CaseMember, CaseParty, Evidence, User

WEBM = b"\x1a\x45\xdf\xa3" + b"\x00" * 64  # the bytes are kept as they came, not decoded here


async def make_room(db: Database) -> tuple[int, int]:
    async with db.write() as s:
        user = User(telegram_id=None, language="zh-CN")
        case = Case(
            number="（2026）示调字第0009号",
            unit_code="default",
            dispute_type="neighbour",
            status="mediating",
            facts="噪音",
            claims="停止",
            place="九龙坡区",
            session_open=True,
        )
        s.add_all([user, case])
        await s.flush()
        party = CaseParty(case_id=case.id, user_id=user.id, side="applicant", name="甲方")
        s.add(party)
        await s.flush()
        member = CaseMember(case_id=case.id, role="applicant", party_id=party.id, user_id=user.id)
        s.add(member)
        await s.flush()
        return case.id, member.id


async def no_fetch(ref: str) -> bytes:
    raise AssertionError("a browser upload is never fetched again")


async def upload(
    db: Database, service: VoiceService, case_id: int, member_id: int, ref: str, clock: FakeClock
) -> tuple[VoiceTranscript, Reply, CaseMember]:
    """A browser-style recording (bytes in hand) posted in the room by ``member_id``."""
    async with db.write() as s:
        room = await load_room(s, case_id)
        assert room is not None
        member = room.by_id(member_id)
        assert member is not None
        t, notice = await accept_audio(
            s,
            service,
            room,
            member,
            AudioIn("audio", "web", ref, mime_type="audio/webm;codecs=opus", data=WEBM),
            audio_message_id=None,
            language="zh-CN",
            now=clock.now(),
        )
    return t, notice, member


async def test_browser_upload_without_model(db: Database, tmp_path: Path) -> None:
    from storage.models import Unit

    async with db.write() as s:
        s.add(Unit(code="default", name="示例", level="committee", case_prefix="示"))
    case_id, member_id = await make_room(db)
    delivered: list[QueuedMessage] = []
    clock = FakeClock()
    service = VoiceService(
        db,
        tmp_path,
        SpeechWorker(BackendSpec("faster-whisper", None)),
        delivered.extend,
        clock,
    )
    service.register_fetcher("web", no_fetch)
    t, notice, member = await upload(db, service, case_id, member_id, "upload:1", clock)
    assert notice.text.key == "voice.unavailable"
    tid = t.id
    async with db.read() as s:
        ev = (await s.execute(select(Evidence))).scalar_one()
    assert ev.stored_path and ev.stored_path.endswith(".webm")
    assert await service.files.get(ev.stored_path) == WEBM  # a key in the file store
    assert ev.sha256 == hashlib.sha256(WEBM).hexdigest() and ev.size == len(WEBM)

    # Pending from an earlier start with a model; the model has since been removed.
    async with db.write() as s:
        row = await s.get_one(VoiceTranscript, tid)
        row.status = "pending"
    await service.resume()
    await service.idle()
    async with db.read() as s:
        row = await s.get_one(VoiceTranscript, tid)
    assert row.status == "unavailable" and "ASR_MODEL_DIR" in (row.error or "")
    assert [m.chat_id for m in delivered] == [f"user:{member.user_id}"]
    assert "暂时无法把语音转成文字" in str(delivered[0].payload)

    # A speaker's corrections are versions; the text is encrypted at rest.
    async with db.write() as s:
        row = await s.get_one(VoiceTranscript, tid)
        row.status, row.text, row.version = "ready", "我的邻居欠我五千元", 1
        reply = correct(s, row, "我的邻居欠我五千元，三月借的", clock.now())
        assert reply.text.params["text"] == "我的邻居欠我五千元，三月借的"
        assert [b.action for row in reply.buttons for b in row] == [
            f"v:ok:{tid}",
            f"v:oka:{tid}",
            f"v:edit:{tid}",
        ]
        assert reply.text.key == "voice.corrected"  # the speaker's own text, no confidence
    async with db.read() as s:
        versions = (await s.execute(select(VoiceTranscriptVersion))).scalars().all()
        raw = (await s.execute(text("SELECT text FROM voice_transcript_versions"))).scalars()
        assert [(v.version, v.source) for v in versions] == [(2, "speaker")]
        stored = [r if isinstance(r, bytes) else str(r).encode() for r in raw]
        assert stored and all("邻居".encode() not in r for r in stored)
    await service.stop()


class CountingWorker:
    """Stands in for the speech worker: counts transcriptions, each taking a moment."""

    available = True
    spec = BackendSpec("fake", None)

    def __init__(self, calls: list[str]) -> None:
        self.calls = calls

    async def transcribe(self, path: Path, language: str | None) -> Transcript:
        self.calls.append(path.name)
        await asyncio.sleep(0.3)
        return Transcript("我的邻居欠我五千元", language, 2.0, 0.3)

    def close(self) -> None:
        return None


async def test_replicas_transcribe_a_pending_recording_once(db: Database, tmp_path: Path) -> None:
    """Two services on one database both resume the same pending transcript (two replicas
    starting, or a sweep meeting a live worker): it is transcribed once, answered once. On
    SQLite (one process by construction) the same holds for repeated scheduling."""
    from storage.models import Unit

    async with db.write() as s:
        s.add(Unit(code="default", name="示例", level="committee", case_prefix="示"))
    case_id, member_id = await make_room(db)
    clock = FakeClock()
    calls: list[str] = []
    delivered: list[QueuedMessage] = []
    replicas = 2 if db.dialect == "postgresql" else 1
    services = [
        VoiceService(db, tmp_path, CountingWorker(calls), delivered.extend, clock)  # type: ignore[arg-type]
        for _ in range(replicas)
    ]
    t, _, _ = await upload(db, services[0], case_id, member_id, "upload:2", clock)
    tid = t.id
    for service in services:  # each replica: the start-up resume, then a sweep, twice over
        await service.resume()
        await service.sweep()
        await service.sweep()
    await asyncio.gather(*(service.idle() for service in services))
    async with db.read() as s:
        row = await s.get_one(VoiceTranscript, tid)
    assert row.status == "ready" and row.text == "我的邻居欠我五千元"
    assert len(calls) == 1, calls
    assert len(delivered) == 1
    # Claims are released once the work is done: a later sweep finds nothing to do.
    for service in services:
        await service.sweep()
        await service.idle()
        assert await service.claims.try_claim(tid)
        await service.claims.release(tid)
    assert len(calls) == 1
    for service in services:
        await service.stop()
