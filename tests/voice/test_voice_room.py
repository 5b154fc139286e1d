"""Voice messages in a mediation room, end to end through the stand-in Bot API: the audio is
relayed and kept as evidence, "正在转写…", the transcript comes back to the speaker with
确认/修改, a correction, and only the confirmed text reaches the other side and the record."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text

from app.runtime import Runtime
from features.agreements.contexts import load_parties
from features.agreements.records import record_form
from features.voice.models import VoiceTranscript, VoiceTranscriptVersion
from features.voice.pipeline import VoiceService
from services.room import load_room
from standin import StandinBotAPI
from storage.models import Case, CaseMessage, Evidence, StaffAccount
from tests.e2e.harness import assert_quiet, running_service, seed_rooms, service_env, texts
from tests.voice.conftest import voice_note


async def seed(env: dict[str, str]) -> tuple[int, int, int]:
    """One room in session, in a database built by the migrations (voice tables included)."""
    ((a, r, m),) = await seed_rooms(env, 1)
    return a, r, m


async def voice_idle(runtime: Runtime) -> None:
    service = runtime.shared.voice
    assert isinstance(service, VoiceService)
    await service.idle()


async def case_and_recordings(
    runtime: Runtime,
) -> tuple[Case, Sequence[Evidence], Sequence[VoiceTranscript]]:
    """The one case filed, its evidence and the voice transcripts, each in the order made:
    what a voice-filed case keeps on record."""
    async with runtime.db.read() as s:
        case = (await s.execute(select(Case))).scalar_one()
        evidence = (await s.execute(select(Evidence).order_by(Evidence.id))).scalars().all()
    return case, evidence, await transcripts(runtime)


async def transcripts(runtime: Runtime) -> Sequence[VoiceTranscript]:
    """The voice transcripts, in the order made."""
    async with runtime.db.read() as s:
        return (
            (await s.execute(select(VoiceTranscript).order_by(VoiceTranscript.id))).scalars().all()
        )


async def test_without_a_model_the_audio_is_kept_and_the_speaker_told(tmp_path: Path) -> None:
    ogg = voice_note(tmp_path, "window").read_bytes()
    async with StandinBotAPI() as standin:
        a, r, m = await seed(service_env(standin, tmp_path / "var"))
        # No ASR_MODEL_DIR: the default backend has no model to load.
        async with running_service(standin, tmp_path / "var") as runtime:
            applicant, respondent = standin.user(a), standin.user(r)
            respondent.register(), standin.user(m).register()
            await applicant.send_voice(ogg, duration=3)
            (notice,) = await applicant.wait_for_messages(1)
            assert "作为证据保存" in (notice.text or "")
            assert "暂时无法把语音转成文字" in (notice.text or "")
            assert "还没有发给对方" in (notice.text or "")
            await voice_idle(runtime)
            assert respondent.messages == []  # kept, not relayed: the speaker decides
            # The speaker chooses to let the other side hear it, under the role label.
            await applicant.press("发送语音", notice)
            assert "原语音已发给对方" in (await texts(applicant, 1))[0]
            (copy,) = await respondent.wait_for_messages(1)
            assert "voice" in copy.message and "申请人" in (copy.message.get("caption") or "")
            await standin.user(m).wait_for_messages(1)
            async with runtime.db.read() as s:
                ev = (await s.execute(select(Evidence))).scalar_one()
                t = (await s.execute(select(VoiceTranscript))).scalar_one()
            assert ev.kind == "voice" and ev.stored_path
            assert await runtime.files.get(ev.stored_path) == ogg
            assert ev.sha256 == hashlib.sha256(ogg).hexdigest()
            assert t.status == "unavailable" and t.text is None
            # The service keeps working: text is relayed as before.
            await applicant.send_text("那我打字说：窗户是他打破的")
            (relayed,) = await texts(respondent, 1)
            assert "窗户是他打破的" in relayed
            await assert_quiet(applicant)
            # A mediator's voice note is relayed as before and not queued for transcription.
            await standin.user(m).send_voice(ogg)
            (from_mediator,) = await respondent.wait_for_messages(1)
            assert "voice" in from_mediator.message
            async with runtime.db.read() as s:
                assert len((await s.execute(select(VoiceTranscript))).all()) == 1


async def test_with_none_backend_as_configured(tmp_path: Path, whisper_base: Path) -> None:
    """ASR_BACKEND=none wins over an installed model: nothing is loaded, audio kept."""
    ogg = voice_note(tmp_path, "noise").read_bytes()
    async with StandinBotAPI() as standin:
        a, _r, _m = await seed(service_env(standin, tmp_path / "var"))
        async with running_service(
            standin, tmp_path / "var", ASR_BACKEND="none", ASR_MODEL_DIR=str(whisper_base)
        ) as runtime:
            applicant = standin.user(a)
            standin.user(_r).register(), standin.user(_m).register()
            await applicant.send_voice(ogg)
            (notice,) = await texts(applicant, 1)
            assert "暂时无法把语音转成文字" in notice
            await voice_idle(runtime)
            async with runtime.db.read() as s:
                t = (await s.execute(select(VoiceTranscript))).scalar_one()
            assert (t.status, t.backend) == ("unavailable", "none")


@pytest.mark.asr
@pytest.mark.slow
@pytest.mark.timeout(900)
async def test_voice_message_transcribed_corrected_confirmed(
    tmp_path: Path, whisper_base: Path, database_url: str | None
) -> None:
    ogg = voice_note(tmp_path, "window").read_bytes()
    async with StandinBotAPI() as standin:
        a, r, m = await seed(service_env(standin, tmp_path / "var", database_url))
        async with running_service(
            standin, tmp_path / "var", database_url, ASR_MODEL_DIR=str(whisper_base)
        ) as runtime:
            applicant, respondent, mediator = standin.user(a), standin.user(r), standin.user(m)
            respondent.register(), mediator.register()
            await applicant.send_voice(ogg, duration=3)
            (notice,) = await texts(applicant, 1)
            assert "正在转写…" in notice
            (transcript,) = await applicant.wait_for_messages(1, timeout=600)
            assert "请核对" in (transcript.text or "") and "识别可信度" in (transcript.text or "")
            assert transcript.button_texts == ["确认", "确认并发送语音", "修改"]
            machine = (transcript.text or "").split("\n\n")[1]
            # The words themselves are checked in test_speech (CER); here: Chinese text came back.
            assert machine.strip() and any("\u4e00" <= ch <= "\u9fff" for ch in machine)
            # Neither the recording nor its transcript has reached the other side.
            assert respondent.messages == []

            await applicant.press("修改")
            (prompt,) = await texts(applicant, 1)
            assert "修改后的完整文字" in prompt and machine in prompt
            await applicant.send_text("他把我家的窗户打破了，玻璃钱要他赔")
            (again,) = await applicant.wait_for_messages(1)
            assert "他把我家的窗户打破了，玻璃钱要他赔" in (again.text or "")
            await applicant.press("确认并发送语音", again)
            (done,) = await texts(applicant, 1)
            assert "已确认" in done
            copy, statement = await respondent.wait_for_messages(2)
            assert "voice" in copy.message  # the recording, now that the speaker agreed
            relayed = statement.text or ""
            assert "申请人" in relayed
            # Typed by the speaker: labelled as theirs, not as a machine transcript.
            assert "（本人输入）他把我家的窗户打破了，玻璃钱要他赔" in relayed
            # The mediator receives both copies too (joint session).
            await mediator.wait_for_messages(2)
            # A second press changes nothing.
            await applicant.press("确认", again)
            assert "已经确认过" in (await texts(applicant, 1))[0]

            async with runtime.db.read() as s:
                t = (await s.execute(select(VoiceTranscript))).scalar_one()
                versions = (
                    await s.execute(
                        select(VoiceTranscriptVersion).order_by(VoiceTranscriptVersion.version)
                    )
                ).scalars()
                record = (
                    await s.execute(select(CaseMessage).where(CaseMessage.id == t.text_message_id))
                ).scalar_one()
                raw = (await s.execute(text("SELECT text FROM voice_transcripts"))).scalar_one()
            assert t.status == "confirmed" and t.backend == "faster-whisper"
            assert t.model == "whisper-base" and t.duration and t.duration > 1
            assert [(v.source, v.text) for v in versions] == [
                ("asr", machine),
                ("speaker", "他把我家的窗户打破了，玻璃钱要他赔"),
            ]
            assert record.kind == "text" and record.data["voice_transcript_id"] == t.id
            assert record.text == "（本人输入）他把我家的窗户打破了，玻璃钱要他赔"
            stored = raw if isinstance(raw, bytes) else str(raw).encode()
            assert "窗户".encode() not in stored  # personal data is encrypted at rest

            # 修改 pressed, then 确认 after all: the next text is an ordinary room message.
            await applicant.send_voice(voice_note(tmp_path, "tomorrow").read_bytes())
            assert "正在转写…" in (await texts(applicant, 1))[0]
            (second,) = await applicant.wait_for_messages(1, timeout=600)
            await applicant.press("修改", second)
            assert "修改后的完整文字" in (await texts(applicant, 1))[0]
            await applicant.press("确认", second)
            assert "已确认" in (await texts(applicant, 1))[0]
            await applicant.send_text("明天下午三点可以吗")
            relayed_now = await texts(respondent, 2)  # the statement (no audio), the text
            assert "（语音转写）我们明天下午" in relayed_now[0]
            assert "明天下午三点可以吗" in relayed_now[1]
            await mediator.wait_for_messages(2)

            # The respondent's view of the record: the audio, then the confirmed statement.
            await respondent.send_command("/record")
            (lines,) = await texts(respondent, 1)
            assert "（本人输入）他把我家的窗户打破了，玻璃钱要他赔" in lines
            assert lines.index("语音") < lines.index("（本人输入）")

            # The 调解笔录 built from the record has it as the applicant's statement.
            async with runtime.db.write() as s:
                case = await s.get_one(Case, t.case_id)
                case.status, case.outcome_reason = "failed", "双方未达成一致"
                room = await load_room(s, case.id)
                assert room is not None
                mediator_row = (await s.execute(select(StaffAccount))).scalar_one()
                turn = SimpleNamespace(
                    session=s,
                    now=runtime.clock.now(),
                    settings=runtime.settings,
                    units=runtime.units,
                )
                parties = await load_parties(s, room)
                form = await record_form(turn, room, parties, mediator_row)  # type: ignore[arg-type]
                await s.rollback()
            assert isinstance(form, dict)
            said = {st["speaker"]: st["content"] for st in form["statements"]}
            assert said["申请人甲方"].startswith("（本人输入）他把我家的窗户打破了，玻璃钱要他赔\n")
