"""A transcript that is one short phrase said over and over — what Whisper writes for noise or
music ("谢谢观看谢谢观看谢谢观看…", a syllable repeated) — is refused like the other garbage the
screen catches (speech.screen.repeated_phrase): the speaker is told it could not be turned into
reliable text, and nothing is offered to confirm. Real speech that repeats itself the way people
do ("不是不是，我是说…") is shown as heard.

Through the stand-in Bot API at the intake's "what happened" question, the decoder's answers
replayed (tests.voice.conftest.ReplayWorker: the real backend's retries and screening).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from features.voice.pipeline import VoiceService
from speech.backends import PROMPTS
from speech.screen import LOOP, SUBTITLE, Screened, looping, repeated_phrase, screen
from standin import StandinBotAPI
from tests.e2e.harness import running_service, texts
from tests.voice.conftest import ReplayWorker, Seg
from tests.voice.test_intake_voice import to_facts
from tests.voice.test_voice_room import transcripts

ZH_PROMPT = PROMPTS["zh"]

#: Whole answers that are one phrase or syllable over and over.
REPEATED = [
    "谢谢观看谢谢观看谢谢观看",
    "谢谢观看。谢谢观看。谢谢观看。",
    "謝謝觀看 謝謝觀看 謝謝觀看 謝謝觀看",  # traditional, as Whisper often writes it
    "请不吝点赞订阅转发打赏支持明镜与点点栏目" * 3,
    "我要说的是我要说的是我要说的是",
    "字幕由字幕由字幕由字幕由",
    "啊啊啊啊啊啊",
    "啊，啊，啊，啊，啊，啊，啊，啊。",
    "嗯嗯嗯嗯嗯嗯嗯嗯嗯嗯嗯嗯",
    "Thank you. Thank you. Thank you.",
]

#: What people say, repetition included.
NATURAL = [
    "不是不是，我是说他家的水管漏水，不是我家的。",
    "不是不是不是，我没说过这话。",
    "对对对，就是这样。",
    "对对对对，就是他。",
    "好的好的好的",
    "我同意我同意我同意",
    "谢谢谢谢",
    "五千，五千，五千块钱。",
    "他说赔他说赔，可是一直不赔。",
    "漏水漏水，天天漏水，天花板都泡坏了。",
]
#: Not loops (too few copies), but nothing heard either: a subtitle line Whisper learnt
#: (tests/voice/test_screen_cuts.py).
TOO_FEW = ["谢谢观看", "谢谢观看谢谢观看"]


@pytest.mark.parametrize("text", REPEATED)
def test_a_phrase_said_over_and_over_is_refused(text: str) -> None:
    assert looping(text)
    assert screen(text, ZH_PROMPT, chinese=True) == Screened("", LOOP)


@pytest.mark.parametrize("text", NATURAL)
def test_natural_repetition_passes(text: str) -> None:
    assert not repeated_phrase(text)
    assert screen(text, ZH_PROMPT, chinese=True).problem is None


@pytest.mark.parametrize("text", TOO_FEW)
def test_a_subtitle_line_once_or_twice_is_no_loop_but_nothing_heard(text: str) -> None:
    assert not repeated_phrase(text)
    assert screen(text, ZH_PROMPT, chinese=True) == Screened("", SUBTITLE)


def test_a_repeated_phrase_cut_off_in_its_last_copy_still_counts() -> None:
    assert repeated_phrase("谢谢观看谢谢观看谢谢观看谢谢")
    assert not repeated_phrase("谢谢观看谢谢观看谢谢")  # under three whole copies: let through


async def test_the_speaker_is_told_a_repeated_phrase_was_not_heard(
    tmp_path: Path, database_url: str | None
) -> None:
    """Noise at 发生了什么: the decoder answers 谢谢观看 three times over, with and without its
    prompt, and a syllable loop on the last try — the party reads the same message as for any
    refused transcript and no 确认 button. Then the party says "不是不是，我是说…": shown as
    heard, to confirm."""
    loop = "谢谢观看谢谢观看谢谢观看"
    natural = "不是不是，我是说楼上王某家卫生间漏水，把我家天花板泡坏了。"
    async with StandinBotAPI() as standin:
        async with running_service(standin, tmp_path / "var", database_url) as runtime:
            service = runtime.shared.voice
            assert isinstance(service, VoiceService)
            service.worker = ReplayWorker(  # type: ignore[assignment]
                [
                    [Seg(loop, -0.3, 0.2)],
                    [Seg("謝謝觀看。謝謝觀看。謝謝觀看。", -0.3, 0.2)],
                    [Seg("啊，啊，啊，啊，啊，啊", -0.5, 0.3)],
                ],
                [[Seg(natural, -0.2, 0.02)]],
            )
            user = standin.user(1151, first_name="丁", phone="+8613812345671")
            await to_facts(user)
            await user.send_voice()
            assert "正在转写" in (await texts(user, 1))[0]
            (refused,) = await user.wait_for_messages(1)
            said = refused.text or ""
            assert "没能可靠地转成文字" in said and "请再说一遍，或直接输入文字" in said
            assert "谢谢观看" not in said and "啊" not in said
            assert "确认" not in refused.button_texts

            await user.send_voice()
            assert "正在转写" in (await texts(user, 1))[0]
            (shown,) = await user.wait_for_messages(1)
            assert natural in (shown.text or "")
            assert "确认" in shown.button_texts
            await service.idle()
            assert [(r.status, r.text, r.error) for r in await transcripts(runtime)] == [
                ("discarded", None, "refused: loop"),
                ("ready", natural, None),
            ]
