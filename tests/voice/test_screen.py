"""What the decoder says never reaches a speaker as their words unless it passes the screen
(speech.screen): the prompt echoed back, a repetition loop and silence are refused; traditional
characters come out simplified; the decoder's certainty becomes the confidence shown.

The texts below are real faster-whisper *base* outputs on the benchmark's espeak Mandarin
(docs/benchmarks.md, "Speech to text"), and the retry test replays the decoder answers of
issue 23 (a loop, then the prompt itself) through the backend's own retry logic.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from speech.backends import PROMPTS
from speech.screen import (
    LOOP,
    PROMPT,
    SILENCE,
    WRONG_LANGUAGE,
    Screened,
    confidence,
    looping,
    prompt_echo,
    screen,
    silent,
    simplified,
    strip_prompt,
)
from tests.voice.conftest import ScriptedDecoder, Seg, scripted_backend

ZH_PROMPT = PROMPTS["zh"]
#: The "help" sentence (请调解员帮我们解决这个问题) as Whisper base heard it on 2026-11-27.
HELP_LOOP = "千万千万万万千千万萬千千千萬万千萬萬千萬千万百万千百万万百萬千百萬万百千千百千萬" * 3


def test_the_prompt_itself_is_never_a_transcript() -> None:
    assert prompt_echo("以下是普通话的句子。", ZH_PROMPT)
    assert prompt_echo("以下是普通話的句子", ZH_PROMPT)  # the same echo in traditional
    assert prompt_echo("普通话的句子。", ZH_PROMPT)  # a piece of it
    assert screen("以下是普通话的句子。", ZH_PROMPT, chinese=True) == Screened("", PROMPT)
    assert not prompt_echo("我们同意调解。", ZH_PROMPT)
    assert not prompt_echo("以下是普通话的句子。", None)
    # Misremembered: Whisper base's first answer to six seconds of silence (2026-12-07).
    assert prompt_echo("这次是普通话的句子。", ZH_PROMPT)
    assert prompt_echo("下面是普通话的句子", ZH_PROMPT)
    for said in ("我说普通话", "他说的句子不对", "以下是我的情况", "普通话的句子我们同意调解"):
        assert not prompt_echo(said, ZH_PROMPT), said


def test_a_prompt_before_real_words_is_cut_off() -> None:
    assert strip_prompt("以下是普通话的句子。我们同意调解。", ZH_PROMPT) == "我们同意调解。"
    assert strip_prompt("我们同意调解。以下是普通话的句子", ZH_PROMPT) == "我们同意调解。"
    assert screen("以下是普通话的句子。我们同意调解。", ZH_PROMPT, chinese=True).text == (
        "我们同意调解。"
    )


def test_repetition_loops_are_refused() -> None:
    assert looping(HELP_LOOP)
    assert looping("千万千万千万千万")  # a two-character unit four times
    assert looping("对对对对对对对对对")
    assert looping("我们同意我们同意我们同意我们同意")
    assert screen(HELP_LOOP, ZH_PROMPT, chinese=True) == Screened("", LOOP)
    # Ordinary statements, repeated words included, pass.
    for fine in (
        "他把我家的窗户打破了，玻璃钱要他赔。",
        "对对对，就是这样。",
        "我的邻居欠我五千元，五千元，三月借的。",
        "老板拖欠了三个月的工资，三个月！",
    ):
        assert not looping(fine), fine
        assert screen(fine, ZH_PROMPT, chinese=True).problem is None


def test_mandarin_asked_for_and_no_chinese_heard_is_refused() -> None:
    # Decoded without the prompt, Whisper base wrote the espeak sentence 我的邻居欠我五千元 as
    # English words although Mandarin was asked for.
    assert screen("Walker Lin, you Tian, you Tian Yuan", None, chinese=True) == Screened(
        "", WRONG_LANGUAGE
    )
    assert screen("我们同意 OK", None, chinese=True).problem is None
    assert screen("2000", None, chinese=True).problem is None  # digits alone are no language


def test_traditional_characters_come_out_simplified() -> None:
    # Real transcripts of the benchmark: 老闆 (wages), 萬 (help), and common traditional forms.
    assert simplified("老闆说歇了三个月的工资。") == "老板说歇了三个月的工资。"
    assert simplified("他們說話後來發現頭髮") == "他们说话后来发现头发"
    assert screen("老闆拖欠了三個月的工資。", ZH_PROMPT, chinese=True).text == (
        "老板拖欠了三个月的工资。"
    )
    assert simplified("我的邻居欠我五千元") == "我的邻居欠我五千元"  # simplified stays as is
    # English is left alone (no conversion unless the language is Chinese).
    assert screen("I agree.", None, chinese=False).text == "I agree."


def test_confidence_from_the_decoders_own_probabilities() -> None:
    sure = [Seg("我们同意调解。", -0.1, 0.01)]
    unsure = [Seg("反共不对我两千块亚金", -1.2, 0.05)]
    assert confidence(sure) == pytest.approx(math.exp(-0.1) * 0.99)
    assert confidence(unsure) == pytest.approx(math.exp(-1.2) * 0.95)
    assert confidence([]) is None
    # Weighted by length: a long sure segment outweighs a short unsure one.
    mixed = confidence([Seg("他把我家的窗户打破了", -0.1, 0.0), Seg("嗯", -2.0, 0.0)])
    assert mixed is not None and mixed > 0.75
    assert silent([Seg("谢谢观看", -1.5, 0.9)])
    assert not silent([Seg("谢谢", -0.2, 0.9)])
    assert not silent([])


def test_issue_23_a_loop_then_the_prompt_gives_no_transcript(tmp_path: Path) -> None:
    """The case of issue 23: the first answer loops, the retry answers with the prompt. Both
    are refused; the third try is a real sentence, and that is the transcript."""
    decoder = ScriptedDecoder(
        [
            [Seg(HELP_LOOP, -0.3, 0.1)],
            [Seg("以下是普通话的句子。", -0.4, 0.1)],
            [Seg("請調解員幫我們解決這個問題。", -0.5, 0.1)],
        ]
    )
    result = scripted_backend(decoder).transcribe(tmp_path / "help.ogg", "zh-CN")
    assert result.text == "请调解员帮我们解决这个问题。"
    assert result.problem is None
    assert result.confidence == pytest.approx(math.exp(-0.5) * 0.9)
    assert [c["initial_prompt"] for c in decoder.calls] == [ZH_PROMPT, None, None]
    assert decoder.calls[2]["no_repeat_ngram_size"] == 3


def test_when_every_answer_fails_nothing_is_shown(tmp_path: Path) -> None:
    decoder = ScriptedDecoder(
        [
            [Seg("以下是普通话的句子。", -0.4, 0.1)],
            [Seg(HELP_LOOP, -0.3, 0.1)],
            [Seg("以下是普通话的句子", -0.4, 0.1)],
        ]
    )
    result = scripted_backend(decoder).transcribe(tmp_path / "x.ogg", "zh")
    assert (result.text, result.problem, result.confidence) == ("", PROMPT, None)
    assert len(decoder.calls) == 3


def test_silence_is_not_decoded_again(tmp_path: Path) -> None:
    decoder = ScriptedDecoder([[Seg("谢谢观看。", -1.6, 0.95)]])
    result = scripted_backend(decoder).transcribe(tmp_path / "quiet.ogg", "zh")
    assert (result.text, result.problem) == ("", SILENCE)
    assert len(decoder.calls) == 1
