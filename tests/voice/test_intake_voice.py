"""Spoken answers in the intake (纠纷登记) through the stand-in Bot API, on SQLite and
PostgreSQL: a voice message at "what happened" is kept, transcribed, confirmed by the speaker
and becomes the facts; at the claims step the speaker corrects the transcript first; without
a model the audio is kept and the party is asked to type."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import select

from app.runtime import Runtime
from benchmarks.asr.samples import Sample, espeak_available, speak
from features.voice.models import VoiceTranscript, VoiceTranscriptVersion
from features.voice.pipeline import VoiceService
from harness.steps import NEIGHBOUR_INTAKE, walk_steps
from speech.audio import encode_opus
from speech.cer import cer
from standin import StandinBotAPI
from standin.simulation import SimUser
from storage.models import Case, Evidence
from tests.e2e.harness import assert_quiet, running_service, texts
from tests.voice.conftest import ReplayWorker, Seg, sample, voice_note
from tests.voice.test_voice_room import case_and_recordings, transcripts, voice_idle

CLAIMS = "赔偿修窗户的钱五百元"
#: What the facts message says: 他的狗咬伤了我的孩子 + 我们明天下午再谈. Not
#: :func:`spoken_facts` (窗户 + 明天): sent as Telegram's OGG/Opus, the base model loops on that
#: pair with and without its prompt ("他把我家银行,他把我家银行,…"), which is now refused as a
#: transcript (speech.screen, issue 23); this pair comes through (CER 0.33, 2026-12-06).
FACTS_SPOKEN = sample("dog").text + sample("tomorrow").text


def long_facts(tmp_path: Path) -> bytes:
    if not espeak_available():
        pytest.skip("espeak-ng is not installed (scripts/setup.sh installs it)")
    a, b = sample("dog"), sample("tomorrow")
    both = Sample("facts", FACTS_SPOKEN, f"{a.pinyin}. {b.pinyin}.")
    return encode_opus(speak(both, tmp_path / "facts.wav"), tmp_path / "facts.ogg").read_bytes()


async def to_facts(user: SimUser) -> None:
    """The neighbour intake up to its facts question (发生了什么)."""
    await walk_steps(user, NEIGHBOUR_INTAKE[:3])


#: From the amount question to the other side's phone: the neighbour intake's answers, but the
#: amount skipped and the speaker's own number shared with Telegram's contact button.
TO_OTHER_PHONE: list[tuple[str, str, list[str]]] = [
    ("press", "跳过", ["哪里"]),
    *NEIGHBOUR_INTAKE[7:9],
    ("press", "📱 分享我的手机号", ["手机号已保存", "身份证"]),
    *NEIGHBOUR_INTAKE[10:12],
]


async def finish(user: SimUser) -> str:
    """From the amount question to the filing; returns the summary shown to be checked."""
    await walk_steps(user, TO_OTHER_PHONE)
    await user.send_text("139 8765 4321")
    summary = (await texts(user, 1))[0]
    await user.press("✅ 确认提交")
    created, _invite, _qr = await user.wait_for_messages(3)
    assert "登记成功" in (created.text or "")
    return summary


async def file_with_typed_claims(user: SimUser) -> None:
    """From the evidence question (facts given) to the filing, the claims typed."""
    await user.press("下一步")
    await user.send_text("赔偿玻璃钱")
    await texts(user, 2)
    await finish(user)


async def the_case(runtime: Runtime) -> Case:
    async with runtime.db.read() as s:
        return (await s.execute(select(Case))).scalar_one()


@pytest.mark.asr
@pytest.mark.slow
@pytest.mark.timeout(900)
async def test_spoken_facts_confirmed_and_claims_corrected(
    tmp_path: Path, whisper_base: Path, database_url: str | None
) -> None:
    facts_ogg = long_facts(tmp_path)
    claims_ogg = voice_note(tmp_path, "tomorrow").read_bytes()
    async with StandinBotAPI() as standin:
        async with running_service(
            standin, tmp_path / "var", database_url, ASR_MODEL_DIR=str(whisper_base)
        ) as runtime:
            user = standin.user(1101, first_name="甲", phone="+8613812345678")
            await to_facts(user)
            await user.send_voice(facts_ogg, duration=5)
            (notice,) = await texts(user, 1)
            assert "正在转写…" in notice
            (transcript,) = await user.wait_for_messages(1, timeout=600)
            assert "请核对" in (transcript.text or "") and "回答当前问题" in (transcript.text or "")
            assert [t for t, _ in transcript.buttons] == ["确认", "修改"]
            machine = (transcript.text or "").split("\n\n")[1].strip()
            # The transcript of espeak's Mandarin differs per CPU (see test_speech.CHECKED):
            # both keywords on an AMD host; "…我门闭天下…" (CER 0.39) on an Intel one. Asked:
            # one keyword and CER ≤ 0.6 (garbage or another language gives ≥ 0.9).
            assert "我的孩子" in machine or "明天下午" in machine, machine
            assert cer(FACTS_SPOKEN, machine) <= 0.6, machine
            await user.press("确认", transcript)
            done, evidence_prompt = await texts(user, 2)
            assert "已确认" in done and "证据" in evidence_prompt
            assert "共 1 份" in evidence_prompt or "1" in evidence_prompt
            # A second press of the same button answers nothing again.
            await user.press("确认", transcript)
            again, prompt = await texts(user, 2)
            assert "已经确认过" in again and "证据" in prompt

            await user.press("下一步")
            assert "申请事项" in (await texts(user, 1))[0]
            await user.send_voice(claims_ogg, duration=3)
            assert "正在转写…" in (await texts(user, 1))[0]
            (second,) = await user.wait_for_messages(1, timeout=600)
            spoken = (second.text or "").split("\n\n")[1].strip()
            await user.press("修改", second)
            (edit,) = await texts(user, 1)
            assert "修改后的完整文字" in edit and spoken in edit
            await user.send_text(CLAIMS)
            done, amount = await texts(user, 2)
            assert "已确认" in done and "金额" in amount
            summary = await finish(user)
            assert machine in summary and CLAIMS in summary
            await assert_quiet(user)
            await voice_idle(runtime)

            case, evidence, rows = await case_and_recordings(runtime)
            async with runtime.db.read() as s:
                versions = (
                    await s.execute(
                        select(
                            VoiceTranscriptVersion.transcript_id, VoiceTranscriptVersion.source
                        ).order_by(
                            VoiceTranscriptVersion.transcript_id, VoiceTranscriptVersion.version
                        )
                    )
                ).all()
            kinds = [(e.kind, e.case_id, e.file_ref) for e in evidence]
            # The confirmed transcript is the case's facts; the correction its claims.
            assert case.facts == machine and case.claims == CLAIMS
            # Both recordings are the filed case's evidence, kept under DATA_DIR.
            assert [k for k, _, _ in kinds] == ["voice", "voice"]
            assert {c for _, c, _ in kinds} == {case.id}
            assert [r.file_ref for r in rows] == [ref for _, _, ref in kinds]
            assert [(r.step, r.status) for r in rows] == [
                ("facts", "confirmed"),
                ("claims", "confirmed"),
            ]
            assert await runtime.files.get(rows[0].stored_path or "") == facts_ogg
            assert rows[0].sha256 == hashlib.sha256(facts_ogg).hexdigest()
            assert rows[1].text == CLAIMS
            assert versions == [
                (rows[0].id, "asr"),
                (rows[1].id, "asr"),
                (rows[1].id, "speaker"),
            ]


async def test_without_a_model_the_answer_is_kept_and_typed(tmp_path: Path) -> None:
    ogg = voice_note(tmp_path, "window").read_bytes()
    async with StandinBotAPI() as standin:
        async with running_service(standin, tmp_path / "var") as runtime:
            user = standin.user(1102, first_name="乙", phone="+8613812345679")
            await to_facts(user)
            await user.send_voice(ogg, duration=3)
            notice, prompt = await texts(user, 2)
            assert "作为证据保存" in notice and "暂时无法把语音转成文字" in notice
            assert "请用文字回答" in notice and "发生了什么" in prompt
            await user.send_text("他把我家的窗户打破了，不肯赔偿玻璃钱。")
            (evidence_prompt,) = await texts(user, 1)
            assert "证据" in evidence_prompt
            await voice_idle(runtime)
            async with runtime.db.read() as s:
                t = (await s.execute(select(VoiceTranscript))).scalar_one()
            assert (t.status, t.step, t.user_id is not None) == ("unavailable", "facts", True)
            assert await runtime.files.get(t.stored_path or "") == ogg
            await file_with_typed_claims(user)
            case = await the_case(runtime)
            async with runtime.db.read() as s:
                kinds = (await s.execute(select(Evidence.kind))).scalars().all()
            assert case.facts == "他把我家的窗户打破了，不肯赔偿玻璃钱。"
            assert list(kinds) == ["voice"]


async def test_a_prompt_echo_is_no_answer_and_traditional_text_is_simplified(
    tmp_path: Path, database_url: str | None
) -> None:
    """Issue 23 in the intake: the decoder answered with its prompt (three times) — the speaker
    is told nothing reliable was heard, and the facts stay unanswered; the next recording,
    heard in traditional characters and unsure, is shown simplified and flagged, and once
    confirmed is the facts in simplified characters. (Decoder answers replayed: see
    tests.voice.conftest.ReplayWorker.)"""
    async with StandinBotAPI() as standin:
        async with running_service(standin, tmp_path / "var", database_url) as runtime:
            service = runtime.shared.voice
            assert isinstance(service, VoiceService)
            service.worker = ReplayWorker(  # type: ignore[assignment]
                [[Seg("以下是普通话的句子。", -0.4, 0.1)]],
                [[Seg("他把我家的窗戶打破了，不肯賠償玻璃錢。", -0.8, 0.05)]],
            )
            user = standin.user(1103, first_name="丙", phone="+8613812345670")
            await to_facts(user)
            await user.send_voice()
            assert "正在转写" in (await texts(user, 1))[0]
            (refused,) = await texts(user, 1)
            assert "没能可靠地转成文字" in refused and "以下是" not in refused
            await user.send_voice()
            assert "正在转写" in (await texts(user, 1))[0]
            (shown,) = await user.wait_for_messages(1)
            text = shown.text or ""
            assert "他把我家的窗户打破了，不肯赔偿玻璃钱。" in text
            assert "识别可能不准确，请核对或直接打字" in text
            await user.press("确认", shown)
            done, evidence_prompt = await texts(user, 2)
            assert "已确认" in done and "证据" in evidence_prompt
            await service.idle()
            assert [(r.status, r.text) for r in await transcripts(runtime)] == [
                ("discarded", None),
                ("confirmed", "他把我家的窗户打破了，不肯赔偿玻璃钱。"),
            ]
            await file_with_typed_claims(user)
            assert (await the_case(runtime)).facts == "他把我家的窗户打破了，不肯赔偿玻璃钱。"
