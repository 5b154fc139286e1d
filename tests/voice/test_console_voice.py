"""Voice on the console's registration form (代为登记), on SQLite and PostgreSQL: a grid worker
uploads two recordings with the form over HTTP, as the phone's browser would. The first is heard
and its text joins the case's facts marked （语音转写）; the second's decoder answers are refused
(the prompt echoed back): the case is registered all the same, and the result page says which
recording gave no text and why. Both recordings stay attached as evidence, each with its
transcript. Without a model a third registration still succeeds, and the page says so.

The speech is espeak-ng's Mandarin (tests.voice.conftest.voice_note); the decoder's answers are
replayed through the real backend's screening (tests.voice.conftest.ReplayWorker), as the other
flow tests of this folder do; the ``asr`` test below runs the shipped Whisper model itself.
"""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from core.clock import FakeClock
from features.voice.models import VoiceTranscript, VoiceTranscriptVersion
from features.voice.pipeline import VoiceService
from harness import running_service
from speech.cer import cer
from storage.models import Case, Evidence
from tests.street.browser import add_staff
from tests.street.service import street_service
from tests.street.test_yuelai_joint import FLASH, Console, signed_in
from tests.voice.conftest import ReplayWorker, Seg, voice_note
from tests.voice.test_intake_voice import FACTS_SPOKEN, long_facts
from tests.voice.test_voice_consent import replay

TYPED = "工人反映家里窗户被邻居砸坏。"
HEARD = "他把我家的窗户打破了。"


async def register(console: Console, files: list[tuple[str, bytes, str]]) -> tuple[str, str]:
    """The form filled in and sent with ``files`` (name, bytes, type); the result page's
    flash messages and its text."""
    await console.get("/street/register")
    form = aiohttp.FormData(quote_fields=False)  # a browser sends the names as typed
    for name, value in {
        "_csrf": console.csrf,
        "dispute_type": "neighbour",
        "place": "渝北区悦来街道 3 栋",
        "facts": TYPED,
        "involved": "",
        "police_ref": "",
        "side0": "applicant",
        "name0": "张 秀 英",
        "phone0": "138 0000 1111",
        "side1": "respondent",
        "name1": "不知道",
        "phone1": "",
    }.items():
        form.add_field(name, value)
    for name, data, mime in files:
        form.add_field("files", data, filename=name, content_type=mime)
    async with console.http.post(console.base + "/staff/street/register", data=form) as resp:
        page = await resp.text()
        assert resp.status == 200 and 'data-testid="registered"' in page, page[:800]
    return " ".join(f"{kind}:{msg}" for kind, msg in FLASH.findall(page)), page


async def test_the_console_forms_recording_is_transcribed_into_the_facts(
    tmp_path: Path, database_url: str | None
) -> None:
    webm = voice_note(tmp_path, "window", "webm").read_bytes()
    ogg = voice_note(tmp_path, "noise", "ogg").read_bytes()
    async with street_service(
        tmp_path, "units.toml", database_url=database_url, clock=FakeClock()
    ) as service:
        runtime = service.runtime
        voice = runtime.shared.voice
        assert isinstance(voice, VoiceService)
        no_model = voice.worker
        assert not no_model.available
        replay(
            runtime,
            ReplayWorker(
                [[Seg(HEARD, -0.2, 0.02)]],
                # The decoder says the prompt back, every try: refused (speech.screen).
                [[Seg("以下是普通话的句子。", -0.4, 0.1)]],
            ),
        )
        await add_staff(runtime, (("wangge", "grid", "yuelai-sq"),))
        console = await signed_in(service.base_url, "wangge")
        try:
            said, page = await register(
                console, [("窗户.webm", webm, "audio/webm"), ("楼上.ogg", ogg, "audio/ogg")]
            )
            assert "（2026）悦来调字第0001号" in page
            assert "ok:录音“窗户.webm”已转写，文字已写入事实经过" in said, said
            assert "error:录音“楼上.ogg”没有转出文字：识别结果不可靠，已舍弃。登记已完成" in said

            voice.worker = no_model
            said, page = await register(console, [("窗户.webm", webm, "audio/webm")])
            assert "（2026）悦来调字第0002号" in page
            assert "没有转出文字：本系统没有安装语音识别模型。登记已完成" in said, said
        finally:
            await console.http.close()

        async with runtime.db.read() as s:
            cases = (await s.execute(select(Case).order_by(Case.id))).scalars().all()
            evidence = (await s.execute(select(Evidence).order_by(Evidence.id))).scalars().all()
            rows = (
                (await s.execute(select(VoiceTranscript).order_by(VoiceTranscript.id)))
                .scalars()
                .all()
            )
            versions = (await s.execute(select(VoiceTranscriptVersion))).scalars().all()
        assert cases[0].facts == f"{TYPED}\n（语音转写）{HEARD}"
        assert cases[1].facts == TYPED, "no text: only what was typed"
        assert [(e.case_id, e.kind, e.file_name) for e in evidence] == [
            (cases[0].id, "voice", "窗户.webm"),
            (cases[0].id, "voice", "楼上.ogg"),
            (cases[1].id, "voice", "窗户.webm"),
        ]
        for e in evidence:  # each recording kept, byte for byte
            assert e.stored_path is not None
            assert await runtime.files.get(e.stored_path) == (
                ogg if e.mime_type == "audio/ogg" else webm
            )
        assert [(t.case_id, t.evidence_id, t.status, t.text) for t in rows] == [
            (cases[0].id, evidence[0].id, "ready", HEARD),
            (cases[0].id, evidence[1].id, "discarded", None),
            (cases[1].id, evidence[2].id, "unavailable", None),
        ]
        assert rows[1].error is not None and "refused" in rows[1].error
        assert [(v.transcript_id, v.source, v.text) for v in versions] == [
            (rows[0].id, "asr", HEARD)
        ]


@pytest.mark.asr
@pytest.mark.slow
@pytest.mark.timeout(900)
async def test_the_shipped_model_hears_the_console_forms_recording(
    tmp_path: Path, whisper_base: Path
) -> None:
    ogg = long_facts(tmp_path)  # what the intake's asr test speaks (the model hears it)
    env = {
        "UNITS_FILE": str(Path(__file__).parents[1] / "street" / "units.toml"),
        "ASR_MODEL_DIR": str(whisper_base),
    }
    async with running_service(tmp_path / "var", web_app=True, env=env) as service:
        await add_staff(service.runtime, (("wangge", "grid", "yuelai-sq"),))
        console = await signed_in(service.base_url, "wangge")
        try:
            said, _ = await register(console, [("现场.ogg", ogg, "audio/ogg")])
        finally:
            await console.http.close()
        assert "ok:录音“现场.ogg”已转写" in said, said
        async with service.runtime.db.read() as s:
            case = (await s.execute(select(Case))).scalar_one()
            (t,) = (await s.execute(select(VoiceTranscript))).scalars().all()
    assert t.status == "ready" and t.text and t.backend == "faster-whisper"
    assert case.facts == f"{TYPED}\n（语音转写）{t.text}"
    # What the model makes of espeak's Mandarin varies by CPU (tests/voice/test_speech.py):
    # asked, what the intake's asr test asks (garbage or another language gives CER ≥ 0.9).
    assert "我的孩子" in t.text or "明天下午" in t.text, t.text
    assert cer(FACTS_SPOKEN, t.text) <= 0.6, t.text
