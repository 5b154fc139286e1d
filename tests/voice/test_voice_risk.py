"""A threat said aloud in the room raises the case when its transcript is ready — before, and
whether or not, the speaker confirms it (issue 20). The speech model is stood in for by a
worker that "hears" a fixed sentence, as in test_pipeline; everything after it is real."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from core.clock import FakeClock
from features.console.models import Alert
from features.voice.pipeline import VoiceService
from harness.seed import linked_mediator
from services.outbox import QueuedMessage
from services.units import load_units
from speech.backends import BackendSpec, Transcript
from storage.db import Database
from storage.models import Case, CaseEvent, CaseMember, Unit
from tests.voice.test_pipeline import make_room, upload

UNITS = Path(__file__).resolve().parents[2] / "config" / "units.toml"


class HearingWorker:
    """Stands in for the speech worker: every recording says ``sentence``."""

    available = True
    spec = BackendSpec("fake", None)

    def __init__(self, sentence: str) -> None:
        self.sentence = sentence

    async def transcribe(self, path: Path, language: str | None) -> Transcript:
        return Transcript(self.sentence, language, 2.0, 0.1)

    def close(self) -> None:
        return None


async def test_a_spoken_threat_alerts_when_its_transcript_is_ready(
    db: Database, tmp_path: Path
) -> None:
    async with db.write() as s:
        s.add(Unit(code="default", name="示例", level="committee", case_prefix="示"))
    case_id, member_id = await make_room(db)
    async with db.write() as s:
        staff = linked_mediator("med_voice", 4242)
        s.add(staff)
        await s.flush()
        (await s.get_one(Case, case_id)).mediator_id = staff.id
        s.add(CaseMember(case_id=case_id, role="mediator", staff_id=staff.id))
    clock = FakeClock()
    delivered: list[QueuedMessage] = []
    service = VoiceService(
        db,
        tmp_path,
        HearingWorker("再逼我，我就拿刀去他家"),  # type: ignore[arg-type]
        delivered.extend,
        clock,
        units=load_units(UNITS),
    )
    _, _, member = await upload(db, service, case_id, member_id, "upload:risk", clock)
    await service.resume()
    await service.idle()
    async with db.read() as s:
        case = await s.get_one(Case, case_id)
        (event,) = (await s.execute(select(CaseEvent).where(CaseEvent.kind == "risk"))).scalars()
        alerts = (await s.execute(select(Alert))).scalars().all()
    assert case.risk == "critical"
    assert event.data["source"] == "voice" and "violence_lethal" in event.data["rules"]
    assert {a.unit_code for a in alerts if a.unit_code} == {"default"}
    to_mediator = [str(m.payload) for m in delivered if m.chat_id == "4242"]
    assert any("风险预警" in t and "拿刀" in t for t in to_mediator), to_mediator
    to_speaker = [str(m.payload) for m in delivered if m.chat_id == f"user:{member.user_id}"]
    assert any("110" in t for t in to_speaker), to_speaker  # the room's safety notice
    await service.stop()
