"""Two hallucinations the screen (speech.screen) cuts out of what was said instead of refusing
the whole answer or letting it through:

- a loop ending real words (``cut_loops``): "…要他赔医药费。要他赔医药费。要他赔医药费。" keeps
  the words and one copy; a loop that is the whole answer, sits inside it or drifts (what
  Whisper writes for silence) is still refused;
- the lines Whisper learnt from subtitled video (``strip_subtitles``, ``edge_subtitles``):
  "谢谢观看", "字幕由Amara.org社区提供"… at the start or end are cut, and an answer that is
  nothing else is "nothing heard" (``SUBTITLE``: the speaker reads 没有听清…, the audio is not
  decoded again). Real speech with 谢谢 in it stays as said.

Pure functions, the backend over replayed decoder answers, and one walk through the intake's
发生了什么 on the stand-in Bot API for what the speaker reads.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from features.voice.pipeline import VoiceService
from speech.backends import PROMPTS
from speech.screen import (
    LOOP,
    SUBTITLE,
    Screened,
    cut_loops,
    edge_subtitles,
    screen,
    strip_subtitles,
)
from standin import StandinBotAPI
from tests.e2e.harness import running_service, texts
from tests.voice.conftest import ReplayWorker, ScriptedDecoder, Seg, scripted_backend
from tests.voice.test_intake_voice import to_facts
from tests.voice.test_voice_room import transcripts

ZH_PROMPT = PROMPTS["zh"]
BITTEN = "我邻居家的狗把我咬了，要他赔医药费。"

#: A loop after real words → the words and the loop's first copy.
TRAILING_LOOPS = [
    (BITTEN + "要他赔医药费。" * 3, BITTEN),
    (
        "我邻居家的狗把我咬了要他赔医药费要他赔医药费要他赔医药费要他赔医药费",
        "我邻居家的狗把我咬了要他赔医药费",
    ),
    # The decoder ran out of room inside its last copy.
    (BITTEN + "要他赔医药费。" * 4 + "要他赔医", BITTEN),
    # The run of copies begins inside the words before it (…赔钱 + 要他赔钱 × 4).
    ("我说赔钱。" + "要他赔钱。" * 4, "我说赔钱。要他赔钱。"),
    ("老板拖欠工资，对对对对对对对对对对", "老板拖欠工资，对"),
]


@pytest.mark.parametrize(("heard", "kept"), TRAILING_LOOPS)
def test_a_loop_after_real_words_is_cut_to_one_copy(heard: str, kept: str) -> None:
    assert cut_loops(heard) == kept
    assert screen(heard, ZH_PROMPT, chinese=True) == Screened(kept, cut=(LOOP,))


#: Whisper base on six seconds of digital silence, decoded without the prompt, verbatim
#: (benchmarks/asr/nonspeech.py, 2026-12-07): a loop that drifts. Cut run by run it left
#: "我以为你对我对你对我对你我对" to show.
DRIFT = (
    "我以为你对我对你对我对你对我对你对我对你对我对你对我对你对我对你对我对你对我对你对我对你"
    "对我对你对我对你对我对你对我对你对我对你对我对你对我对你对我对你对我对你对我对你对我对你"
    "对我对你对我对你对我对你对我对你对我对你对我对你对我对你对我对你对我对你对我对你对我对你"
    "对我对你对我对你对我对你对你对我对你对我对你对我对你对我对你对我对你对我对你对我对你对我"
    "对你对我对你对我对你对我对你对你对我对你对你对我对你对你对我对你对你对我对你对你对我对你"
    "对我对"
)


def test_a_loop_with_next_to_nothing_before_it_or_not_at_the_end_is_still_refused() -> None:
    for heard in (
        "我们同意我们同意我们同意我们同意",
        "了我们同意我们同意我们同意我们同意",
        "他欠我钱，千万千万千万千万千万，我要他还。",  # inside the answer: not told from garbage
    ):
        assert cut_loops(heard) == heard
        assert screen(heard, ZH_PROMPT, chinese=True) == Screened("", LOOP)
    assert screen(DRIFT, None, chinese=True) == Screened("", LOOP)
    # Repetition people use is no loop and nothing is cut.
    for said in ("不是不是不是，我没说过这话。", "五千，五千，五千块钱。", "对对对，就是这样。"):
        assert cut_loops(said) == said


#: Subtitle lines, alone: nothing was heard.
SUBTITLES_ALONE = [
    "谢谢观看",
    "谢谢观看。",
    "謝謝觀看！",  # traditional, as Whisper often writes it
    "感谢观看",
    "谢谢大家",
    "谢谢大家。谢谢观看。",
    "请不吝点赞 订阅 转发 打赏支持明镜与点点栏目",
    "請不吝點贊 訂閱 轉發 打賞支持明鏡與點點欄目",
    "字幕由Amara.org社区提供",
    "中文字幕由 Amara.org 社群提供",
    "字幕志愿者 杨茜茜",
    "优优独播剧场——YoYo Television Series Exclusive",
    "Thanks for watching!",
]


@pytest.mark.parametrize("heard", SUBTITLES_ALONE)
def test_a_subtitle_line_alone_is_nothing_heard(heard: str) -> None:
    assert screen(heard, ZH_PROMPT, chinese=True) == Screened("", SUBTITLE)


#: A subtitle line at the start or end of real words → the words.
SUBTITLES_AROUND = [
    ("我们同意调解。谢谢观看。", "我们同意调解。"),
    ("他把我家的窗户打破了谢谢观看", "他把我家的窗户打破了"),  # glued to the last word
    ("我说完了，谢谢大家。", "我说完了"),
    ("辛苦了。谢谢大家。谢谢观看。", "辛苦了。"),
    ("房东不退押金。字幕由Amara.org社区提供", "房东不退押金。"),
    ("房东不退押金。中文字幕志愿者 杨茜茜", "房东不退押金。"),
    ("房东不退押金。请不吝点赞 订阅 转发 打赏支持明镜与点点栏目", "房东不退押金。"),
    ("谢谢观看。我的邻居欠我五千元。", "我的邻居欠我五千元。"),
]


@pytest.mark.parametrize(("heard", "said"), SUBTITLES_AROUND)
def test_a_subtitle_line_at_either_end_is_cut(heard: str, said: str) -> None:
    assert screen(heard, ZH_PROMPT, chinese=True) == Screened(said, cut=(SUBTITLE,))


#: Real speech with 谢谢 (or a subtitle line inside it): as said.
THANKS = [
    "谢谢你帮我调解",
    "谢谢",
    "谢谢谢谢",
    "我要谢谢大家",
    "感谢大家帮忙",
    "好的，谢谢大家的帮助。",
    "谢谢大家帮我说话，他确实欠我钱。",
    "他说谢谢观看就把电视关了，声音太大。",
    "那个字幕志愿者的名单要更新一下",
]


@pytest.mark.parametrize("said", THANKS)
def test_real_speech_with_thanks_in_it_stays(said: str) -> None:
    assert strip_subtitles(said) == said
    assert screen(said, ZH_PROMPT, chinese=True) == Screened(said)


def test_a_loop_of_a_subtitle_line_after_real_words_goes_entirely() -> None:
    heard = "我说完了。" + "谢谢观看。" * 4
    assert screen(heard, ZH_PROMPT, chinese=True) == Screened("我说完了。", cut=(LOOP, SUBTITLE))


def test_a_decoder_segment_that_is_a_subtitle_line_is_cut_at_either_end() -> None:
    """Joined, "我说完了" + "谢谢大家" would read as one clause; the segment boundary is the
    pause that shows 谢谢大家 stood alone."""
    assert edge_subtitles(["谢谢观看", "我说完了", "谢谢大家"]) == ["我说完了"]
    assert edge_subtitles(["我要谢谢大家"]) == ["我要谢谢大家"]
    assert edge_subtitles(["我说完了", "谢谢大家", "真的"]) == ["我说完了", "谢谢大家", "真的"]
    # All subtitles: left whole for the screen to call (nothing heard, or a loop).
    assert edge_subtitles(["谢谢观看。", "谢谢观看。"]) == ["谢谢观看。", "谢谢观看。"]


def test_the_backend_stops_at_a_subtitle_line_and_hides_a_looping_decoders_certainty(
    tmp_path: Path,
) -> None:
    """A subtitle line alone: nothing heard, and not decoded again (like silence). A loop cut
    after real words: the text, and no confidence figure (the loop's copies were sure)."""
    decoder = ScriptedDecoder([[Seg("谢谢观看。", -0.4, 0.3)]])
    result = scripted_backend(decoder).transcribe(tmp_path / "quiet.ogg", "zh")
    assert (result.text, result.problem, result.confidence) == ("", SUBTITLE, None)
    assert len(decoder.calls) == 1

    decoder = ScriptedDecoder(
        [[Seg("我邻居家的狗把我咬了，", -0.5, 0.05)] + [Seg("要他赔医药费。", -0.1, 0.01)] * 4]
    )
    result = scripted_backend(decoder).transcribe(tmp_path / "dog.ogg", "zh")
    assert (result.text, result.problem, result.cut) == (BITTEN, None, (LOOP,))
    assert result.confidence is None
    assert len(decoder.calls) == 1

    decoder = ScriptedDecoder([[Seg(BITTEN, -0.2, 0.02), Seg("谢谢大家", -0.9, 0.4)]])
    result = scripted_backend(decoder).transcribe(tmp_path / "thanks.ogg", "zh")
    assert (result.text, result.problem, result.cut) == (BITTEN, None, ())
    assert result.confidence is not None


async def test_the_speaker_reads_nothing_heard_then_their_words_without_the_loop(
    tmp_path: Path, database_url: str | None
) -> None:
    """At 发生了什么: a recording the decoder answers with 谢谢观看 only — the party reads 没有听清
    (no 确认, the recording kept); then one whose loop trails the words — shown without the
    loop, with 确认 and an unknown confidence to check."""
    async with StandinBotAPI() as standin:
        async with running_service(standin, tmp_path / "var", database_url) as runtime:
            service = runtime.shared.voice
            assert isinstance(service, VoiceService)
            service.worker = ReplayWorker(  # type: ignore[assignment]
                [[Seg("谢谢观看。", -0.4, 0.3)]],
                [[Seg(BITTEN + "要他赔医药费。" * 3, -0.1, 0.02)]],
            )
            user = standin.user(1152, first_name="丁", phone="+8613812345672")
            await to_facts(user)
            await user.send_voice()
            assert "正在转写" in (await texts(user, 1))[0]
            (nothing,) = await user.wait_for_messages(1)
            said = nothing.text or ""
            assert "没有听清这段语音里的话" in said and "请再说一遍，或直接输入文字" in said
            assert "谢谢观看" not in said and "确认" not in nothing.button_texts

            await user.send_voice()
            assert "正在转写" in (await texts(user, 1))[0]
            (shown,) = await user.wait_for_messages(1)
            said = shown.text or ""
            assert BITTEN in said and said.count("要他赔医药费") == 1
            assert "识别可信度：未知" in said
            assert "确认" in shown.button_texts
            await service.idle()
            assert [(r.status, r.text, r.error) for r in await transcripts(runtime)] == [
                ("empty", None, "refused: subtitle"),
                ("ready", BITTEN, None),
            ]
