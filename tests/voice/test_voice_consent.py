"""Voice notes in a room as the speaker and the other side live them (issue 23), through the
stand-in Bot API on SQLite and PostgreSQL: the recording stays with the speaker until they
decide; the transcript shows a confidence and flags doubtful text; text the speaker typed is
labelled as theirs; the prompt echoed or a loop never becomes a statement; traditional
characters come out simplified.

The decoder's answers are replayed (tests.voice.conftest.ReplayWorker: the real backend's
retries and screening over recorded decoder outputs); how well the model hears is measured by
benchmarks/asr and the ``asr`` tests.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from sqlalchemy import select

from app.runtime import Runtime
from features.voice.pipeline import VoiceService
from standin import StandinBotAPI
from storage.models import CaseMessage
from tests.e2e.harness import running_service, seed_rooms, service_env, texts
from tests.voice.conftest import ReplayWorker, Seg
from tests.voice.test_screen import HELP_LOOP
from tests.voice.test_voice_room import transcripts


def replay(runtime: Runtime, worker: ReplayWorker) -> VoiceService:
    service = runtime.shared.voice
    assert isinstance(service, VoiceService)
    service.worker = worker  # type: ignore[assignment]
    return service


async def room_kinds(runtime: Runtime) -> list[str]:
    async with runtime.db.read() as s:
        rows = await s.execute(
            select(CaseMessage.kind).where(CaseMessage.author_member_id.is_not(None))
        )
        return [k for (k,) in rows]


async def test_the_speaker_decides_what_the_other_side_gets(
    tmp_path: Path, database_url: str | None
) -> None:
    async with StandinBotAPI() as standin:
        ((a, r, m),) = await seed_rooms(service_env(standin, tmp_path / "var", database_url), 1)
        async with running_service(standin, tmp_path / "var", database_url) as runtime:
            service = replay(
                runtime,
                ReplayWorker(
                    # 1: heard in traditional characters, unsure.
                    [[Seg("他把我家的窗戶打破了。", -0.9, 0.05)]],
                    # 2: issue 23 — a loop, then the prompt itself, twice.
                    [
                        [Seg(HELP_LOOP, -0.3, 0.1)],
                        [Seg("以下是普通话的句子。", -0.4, 0.1)],
                        [Seg("以下是普通話的句子", -0.4, 0.1)],
                    ],
                    # 3: heard clearly.
                    [[Seg("我们同意调解。", -0.05, 0.02)]],
                ),
            )
            applicant, respondent, mediator = standin.user(a), standin.user(r), standin.user(m)
            respondent.register(), mediator.register()

            # 1. Kept, transcribed, shown to the speaker alone, flagged as doubtful.
            await applicant.send_voice()
            (notice,) = await texts(applicant, 1)
            assert "正在转写" in notice and "原语音由您决定是否发送" in notice
            (transcript,) = await applicant.wait_for_messages(1)
            shown = transcript.text or ""
            assert "他把我家的窗户打破了。" in shown  # simplified
            assert "窗戶" not in shown
            assert "识别可信度：39%" in shown and "识别可能不准确，请核对或直接打字" in shown
            assert transcript.button_texts == ["确认", "确认并发送语音", "修改"]
            assert respondent.messages == [] and mediator.messages == []
            assert await room_kinds(runtime) == []  # the recording is not in the room

            # The speaker corrects it by typing, and sends the recording with it.
            await applicant.press("修改", transcript)
            assert "修改后的完整文字" in (await texts(applicant, 1))[0]
            await applicant.send_text("他把我家的窗户打破了，玻璃钱两千元要他赔")
            (again,) = await applicant.wait_for_messages(1)
            assert "您修改后的文字" in (again.text or "") and "识别可信度" not in (again.text or "")
            await applicant.press("确认并发送语音", again)
            assert "文字和原语音都已发给对方" in (await texts(applicant, 1))[0]
            audio, statement = await respondent.wait_for_messages(2)
            assert audio.message.get("voice") and "申请人" in (audio.message.get("caption") or "")
            assert "（本人输入）他把我家的窗户打破了，玻璃钱两千元要他赔" in (statement.text or "")
            assert "语音转写" not in (statement.text or "")
            await mediator.wait_for_messages(2)
            assert await room_kinds(runtime) == ["voice", "text"]

            # 2. A loop and the prompt echoed: no transcript at all, nothing to confirm.
            await applicant.send_voice()
            await texts(applicant, 1)  # 正在转写…
            (refused,) = await applicant.wait_for_messages(1)
            assert "没能可靠地转成文字" in (refused.text or "")
            assert "以下是" not in (refused.text or "") and "千万" not in (refused.text or "")
            assert refused.button_texts == ["发送语音"]
            # 3. Heard clearly: confirmed as text only.
            await applicant.send_voice()
            await texts(applicant, 1)
            (clear,) = await applicant.wait_for_messages(1)
            heard = clear.text or ""
            assert "我们同意调解。" in heard and "识别可信度：93%" in heard
            assert "识别可能不准确" not in heard
            await applicant.press("确认", clear)
            assert "原语音没有发送" in (await texts(applicant, 1))[0]
            (only_text,) = await texts(respondent, 1)
            assert "（语音转写）我们同意调解。" in only_text
            await mediator.wait_for_messages(1)
            assert await room_kinds(runtime) == ["voice", "text", "text"]

            # The refused recording can still be sent as it is, once.
            await applicant.press("发送语音", refused)
            assert "原语音已发给对方" in (await texts(applicant, 1))[0]
            (late,) = await respondent.wait_for_messages(1)
            assert late.message.get("voice")
            await applicant.press("发送语音", refused)
            assert "已经发给对方了" in (await texts(applicant, 1))[0]
            await service.idle()
            first, second, third = await transcripts(runtime)
            assert first.status == "confirmed"
            assert first.confidence == pytest.approx(math.exp(-0.9) * 0.95)
            assert (second.status, second.text, second.error) == (
                "discarded",
                None,
                "refused: prompt",
            )
            assert second.audio_message_id is not None and second.text_message_id is None
            assert (third.status, third.audio_message_id) == ("confirmed", None)
            assert await room_kinds(runtime) == ["voice", "text", "text", "voice"]
