"""What the decoder said, made fit to show a speaker — or refused.

Whisper fails in ways that look like text: it answers unclear audio with its own prompt
("以下是普通话的句子。", issue 23: after a loop the retry gave exactly that, long enough to pass as
the facts), it loops ("千万千万千万…"), it writes Mandarin in traditional characters, and it
transcribes silence. Nothing here trusts the model: every decoder answer goes through
:func:`screen`, and an answer with a ``problem`` never becomes a transcript (the backend tries
again unless nothing was said, then gives up and says so).

- :func:`simplified`: traditional → simplified characters (OpenCC's ``t2s`` tables through
  ``opencc-python-reimplemented``, Apache-2.0, pure Python, ~1 MB). The case record is kept in
  simplified Chinese; a transcript in 老闆/萬 would read as a different document.
- :func:`prompt_echo`, :func:`looping`: the two hallucinations measured on the benchmark
  (docs/benchmarks.md, "Speech to text"); :func:`repeated_phrase`: the loop that is a whole
  answer ("谢谢观看谢谢观看谢谢观看", what Whisper writes for noise), refused as a loop.
- :func:`cut_loops`: a loop that ends real words — "…要他赔医药费。要他赔医药费。要他赔医药费。
  要他赔医药费。" — is cut to its first copy instead of costing the speaker everything they
  said: Whisper repeats the last thing it heard until its window ends.
- :func:`strip_subtitles`, :func:`edge_subtitles`: the lines Whisper learnt from subtitled video
  ("谢谢观看", "字幕由Amara.org社区提供") cut where they stand at the start or end; a transcript
  that is nothing else is nothing heard (:data:`SUBTITLE`).
- :func:`confidence`: the decoder's own certainty (mean token log-probability, and the
  probability that there was no speech at all), as one number between 0 and 1 shown to the
  speaker; below :data:`LOW_CONFIDENCE` the text is flagged as possibly wrong.
"""

from __future__ import annotations

import functools
import math
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

#: Below this the speaker is told the text may be wrong (measured on the benchmark's
#: test set: docs/benchmarks.md; sentences with CER ≥ 0.3 mostly fall below it).
LOW_CONFIDENCE = 0.6
#: Whisper's own silence rule (``no_speech_threshold`` with ``log_prob_threshold``).
NO_SPEECH = 0.6
SILENT_LOGPROB = -1.0

PROMPT, LOOP, SILENCE, WRONG_LANGUAGE = "prompt", "loop", "silence", "language"
SUBTITLE = "subtitle"
#: Problems that mean nobody spoke — Whisper's own silence rule, or nothing heard but a
#: subtitle line: the audio is not decoded again (that only invites another hallucination) and
#: the speaker is told no words could be made out, not that the result was invalid.
NOTHING_SAID = frozenset({SILENCE, SUBTITLE})


@dataclass(frozen=True)
class Screened:
    text: str  # "" when there is a problem
    problem: str | None = None  # PROMPT, LOOP, SILENCE, SUBTITLE or WRONG_LANGUAGE
    #: What was cut out of a shown ``text``: LOOP (a loop ending real words), SUBTITLE.
    cut: tuple[str, ...] = ()


class Segment(Protocol):
    """What faster-whisper's segments carry that matters here."""

    text: str
    avg_logprob: float
    no_speech_prob: float


@functools.cache
def _t2s() -> object:
    import opencc

    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    """``text`` in simplified characters (text already simplified is unchanged)."""
    converter = _t2s()
    return str(converter.convert(text))  # type: ignore[attr-defined]


def bare(text: str) -> str:
    """Letters and digits only: how two texts are compared for an echo."""
    return "".join(ch for ch in text if ch.isalnum())


def prompt_echo(text: str, prompt: str | None) -> bool:
    """The answer is the prompt, or a piece of it (nothing else was heard), or the prompt
    misremembered: most of it, and little else ("这次是普通话的句子。", Whisper base on six
    seconds of silence, docs/benchmarks.md): a run of at least half the prompt's letters that
    is at least two thirds of the answer. A party who says 普通话 is not caught."""
    if not prompt:
        return False
    said, asked = bare(simplified(text)), bare(simplified(prompt))
    if not said:
        return False
    if said == asked or (len(said) >= 3 and said in asked):
        return True
    common = _longest_common_run(said, asked)
    return 2 * common >= len(asked) and 3 * common >= 2 * len(said)


def _longest_common_run(a: str, b: str) -> int:
    """The length of the longest text both ``a`` and ``b`` contain (short texts: quadratic)."""
    best = 0
    for i in range(len(a)):
        for j in range(len(b)):
            k = 0
            while i + k < len(a) and j + k < len(b) and a[i + k] == b[j + k]:
                k += 1
            best = max(best, k)
    return best


def strip_prompt(text: str, prompt: str | None) -> str:
    """``text`` without the prompt where the decoder repeated it before or after real words
    ("以下是普通话的句子。我们同意调解" → "我们同意调解")."""
    if not prompt:
        return text
    wanted = bare(simplified(prompt))
    if not wanted:
        return text
    chars = [(i, ch) for i, ch in enumerate(text) if ch.isalnum()]
    letters = "".join(ch for _, ch in chars)
    at = letters.find(wanted)
    while at >= 0:
        start, end = chars[at][0], chars[at + len(wanted) - 1][0] + 1
        while end < len(text) and not text[end].isalnum():
            end += 1  # the prompt's own full stop
        text = text[:start] + text[end:]
        chars = [(i, ch) for i, ch in enumerate(text) if ch.isalnum()]
        letters = "".join(ch for _, ch in chars)
        at = letters.find(wanted)
    return text.strip()


def looping(text: str) -> bool:
    """A hallucinated loop: text that compresses too well (Whisper's own test), a short run
    repeated four times or more in a row, a longer one three times, a whole answer that is one
    phrase said over and over (:func:`repeated_phrase`), or a long text of a handful of
    characters."""
    data = text.encode()
    if len(data) > 48 and len(data) / len(zlib.compress(data)) > 2.4:
        return True
    letters = bare(text).lower()
    if len(letters) >= 20 and len(set(letters)) / len(letters) < 0.2:
        return True
    if repeated_phrase(letters):
        return True
    return any(_tandem(letters, size) >= _times(size) for size in range(1, LONG_UNIT_MAX + 1))


#: The longest unit :func:`looping` looks for in a run (a longer loop compresses too well).
LONG_UNIT_MAX = 32


def _times(size: int) -> int:
    """Copies in a row of a ``size``-character unit that make a loop: a run of at least 8
    characters, at least four copies; a unit of 9 or more characters three times."""
    return max(4, -(-8 // size)) if size < 9 else 3


def _tandem(letters: str, size: int) -> int:
    """How many copies in a row of one ``size``-character unit ``letters`` holds at most."""
    best = run = 0
    for i in range(len(letters) - size):
        run = run + 1 if letters[i] == letters[i + size] else 0
        best = max(best, run)
    return best // size + 1


def repeated_phrase(text: str) -> bool:
    """The whole answer is one phrase said again and again, the loop Whisper writes for noise
    or music ("谢谢观看谢谢观看谢谢观看", "啊啊啊啊啊啊"), possibly cut off inside its last copy:
    a phrase of four characters or more three times, of two or three four times, one character
    six times. Repetition people use passes: "不是不是，我是说…", "对对对", "好的好的好的",
    "我同意我同意我同意", and a repeated phrase with anything else said around it."""
    letters = bare(text).lower()
    n = len(letters)
    for size in range(1, n // 2 + 1):
        if all(letters[i] == letters[i - size] for i in range(size, n)):
            copies = n // size
            return copies >= (6 if size == 1 else 4 if size <= 3 else 3)
    return False


def _letters(text: str) -> tuple[list[int], str]:
    """``text``'s letters and digits (lower case) and where each stands in ``text``: what the
    screen compares, mapped back to the text it cuts."""
    places, letters = [], []
    for i, ch in enumerate(text):
        if ch.isalnum():
            low = ch.lower()
            places.append(i)
            letters.append(low if len(low) == 1 else ch)
    return places, "".join(letters)


#: Letters a loop must leave around it to be cut rather than refused: the shortest statement
#: ("同意", "不是"). Less than that, the loop is the answer (:func:`repeated_phrase`).
SPOKEN_MIN = 2


def _trailing_loop(letters: str) -> tuple[int, int] | None:
    """The loop that ends ``letters``: where its run of copies starts and the unit's length
    (of the units that make one, the run that covers most; the smaller unit first) — a run as
    :func:`looping` counts one, with at least :data:`SPOKEN_MIN` letters before it."""
    n, best = len(letters), None
    for size in range(1, min(LONG_UNIT_MAX, n // 2) + 1):
        start = n - size  # letters[start:] repeats with period ``size``
        while start > 0 and letters[start - 1] == letters[start - 1 + size]:
            start -= 1
        loop = (n - start) // size >= _times(size) and start >= SPOKEN_MIN
        if loop and (best is None or start < best[0]):
            best = (start, size)
    return best


def cut_loops(text: str) -> str:
    """``text`` with a loop that ends it after real words cut to one copy: "…咬了，要他赔医药
    费。要他赔医药费。要他赔医药费。要他赔医药费。" → "…咬了，要他赔医药费。".

    Why one copy is kept: a greedy decoder that loops repeats what it last heard until its
    window ends, so the first copy is speech and the rest is the decoder. A copy that begins
    inside the words before it (the run's letters repeat from there) is kept up to the same
    place in the next copy, where the text has its stop: "我说赔钱。要他赔钱。要他赔钱。…" →
    "我说赔钱。要他赔钱。". A cut copy at the end (the decoder ran out of room mid-phrase) goes
    with the loop.

    Why only a loop at the end, and only one: on six seconds of silence Whisper base wrote "我以
    为你对我对你对我对你对你对我…" for 223 characters, a loop that drifts (docs/benchmarks.md);
    cutting its runs one by one left "我以为你对我对你对我对你我对" to be shown. What is left here
    is screened again like any answer: loops still in it, or a loop with next to nothing before
    it, and the answer is refused as a loop (:func:`looping`)."""
    places, letters = _letters(text)
    run = _trailing_loop(letters)
    if run is None:
        return text
    start, size = run
    end = len(letters)
    keep = start + size  # letters[start:keep]: the first copy
    if text[places[keep - 1] + 1 : places[keep - 1] + 2].isalnum():
        # The copy ends inside a word: it began inside the words before it.
        stops = [j for j in range(start, keep - 1) if places[j + 1] > places[j] + 1]
        if stops and stops[0] + 1 + size <= end:
            keep = stops[0] + 1 + size
    head = text[: places[keep - 1] + 1]
    while len(head) < len(text) and not text[len(head)].isalnum():
        head += text[len(head)]  # the copy's own stop
    return head if keep < end else text


def _unlead(text: str) -> str:
    """``text`` from its first letter or digit on."""
    for i, ch in enumerate(text):
        if ch.isalnum():
            return text[i:]
    return ""


#: Lines Whisper writes for silence, noise or music, or after the last word of speech: known
#: artefacts of its training data, subtitled video whose credits and outros stand where nobody
#: speaks. Sources: the examples in openai/whisper pull request 1838 ("Skip silence around
#: hallucinations": "中文字幕由 Amara.org 社群提供", "了解更多，請訂閱…按讚、分享"); Barański et
#: al., "Investigation of Whisper ASR Hallucinations Induced by Non-Speech Audio", ICASSP 2025
#: (arXiv 2501.11378), whose "bag of hallucinations" collects what Whisper writes for
#: non-speech audio; and the same lines in the phrase filters of many projects built on
#: Whisper (明镜与点点栏目, 字幕志愿者, 优优独播剧场). Matched on letters only
#: (simplified, lower case, no punctuation or spaces), so "請不吝點贊 訂閱 轉發" and "Amara.org"
#: match as written. These are never words of a party to a dispute: cut at the end of a
#: transcript even when glued to its last word.
OUTROS = (
    r"(谢谢|感谢)(大家)?(观看|收看)",
    r"请?不吝点赞(订阅|转发|打赏|支持)*明镜与点点栏目",
    r"明镜需要您的支持欢迎收看订阅明镜",
    r"(中文)?字幕由amaraorg社[区群]提供",
    r"subtitlesbytheamaraorgcommunity",
    r"优优独播剧场(yoyotelevisionseriesexclusive)?",
    r"thank(s|you)forwatching",
)
#: Lines of the same origin made of words people do say ("谢谢大家" closing a statement, a
#: volunteer's name after 字幕志愿者): cut only where they stand as a clause of their own — the
#: whole transcript, or set off by a stop, a space or a segment of the decoder's — so that "我要
#: 谢谢大家" and "谢谢你帮我调解" stay as said.
CLAUSES = (
    *OUTROS,
    r"(谢谢|感谢)大家",
    r"(中文)?字幕志愿者\w{0,6}",
)
_OUTRO = re.compile("|".join(f"(?:{p})" for p in OUTROS))
_CLAUSE = re.compile("|".join(f"(?:{p})" for p in CLAUSES))
#: The longest line above, in letters (with room for a repeated 订阅 or a long name).
SUBTITLE_MAX = 64
#: Punctuation and spaces that join a cut line to the words before it.
_BREAKS = " \t\r\n,，、;；:：-—–·…~～"


def subtitle_line(text: str) -> bool:
    """``text`` is, whole, one of the lines Whisper learnt from subtitles (:data:`CLAUSES`)."""
    letters = _letters(simplified(text))[1]
    return bool(letters) and _CLAUSE.fullmatch(letters) is not None


def strip_subtitles(text: str) -> str:
    """``text`` without the subtitle lines at its start and end (:data:`OUTROS`,
    :data:`CLAUSES`), as often as they stand there ("辛苦了。谢谢大家。谢谢观看。" → "辛苦了。"):
    "" when that was all. ``text`` is in simplified characters (:func:`screen` sees to it). A
    line inside what was said is left alone: only the decoder's edges are where it pads."""
    while True:
        places, letters = _letters(text)
        n = len(letters)
        if not n:
            return text
        cut = None
        for i in range(max(0, n - SUBTITLE_MAX), n):
            clause = i == 0 or places[i] > places[i - 1] + 1
            if (_CLAUSE if clause else _OUTRO).fullmatch(letters, i) is not None:
                cut = text[: places[i]].rstrip(_BREAKS)
                break
        if cut is None:
            for j in range(min(n, SUBTITLE_MAX), 0, -1):
                if (j == n or places[j] > places[j - 1] + 1) and _CLAUSE.fullmatch(letters, 0, j):
                    cut = _unlead(text[places[j - 1] + 1 :])
                    break
        if cut is None:
            return text
        text = cut


def edge_subtitles(pieces: Sequence[str]) -> list[str]:
    """The decoder's segments without those at either end that are a subtitle line
    (:func:`subtitle_line`) — kept all when all of them are: what is nothing but subtitles is
    for :func:`screen` to call (one line: nothing heard; a line over and over: a loop).

    Why by segment: the decoder ends a segment where it hears a pause, and joined into one
    text ("我说完了" + "谢谢大家") the pause is gone."""
    kept = list(pieces)
    while kept and subtitle_line(kept[-1]):
        kept.pop()
    while kept and subtitle_line(kept[0]):
        kept.pop(0)
    return kept if any(bare(p) for p in kept) else list(pieces)


def confidence(segments: Iterable[Segment]) -> float | None:
    """exp(mean token log-probability) × (1 − probability of no speech), weighted by each
    segment's length: 1.0 when the decoder was sure of every token, near 0 for guesses.
    None when there were no segments."""
    weight = total_logprob = total_no_speech = 0.0
    for s in segments:
        n = max(1, len(bare(s.text)))
        weight += n
        total_logprob += n * s.avg_logprob
        total_no_speech += n * s.no_speech_prob
    if not weight:
        return None
    return math.exp(total_logprob / weight) * (1 - total_no_speech / weight)


def silent(segments: Iterable[Segment]) -> bool:
    """Whisper's rule for "no speech here": likely silence and an unsure decode."""
    items = list(segments)
    return bool(items) and all(
        s.no_speech_prob > NO_SPEECH and s.avg_logprob < SILENT_LOGPROB for s in items
    )


def screen(text: str, prompt: str | None, *, chinese: bool) -> Screened:
    """The decoder's ``text`` as it may be shown, or why it may not."""
    if chinese:
        text = simplified(text)
    if prompt_echo(text, prompt):
        return Screened("", PROMPT)
    text = strip_prompt(text, prompt)
    cut: tuple[str, ...] = ()
    whole = text
    text = cut_loops(text)
    if text != whole:
        cut += (LOOP,)
    if looping(text):
        return Screened("", LOOP)
    whole = text
    text = strip_subtitles(text)
    if text != whole:
        if not bare(text):
            return Screened("", SUBTITLE)  # nothing heard but a subtitle line
        if prompt_echo(text, prompt):
            return Screened("", PROMPT)
        cut += (SUBTITLE,)
    if chinese and not any(_han(ch) for ch in text) and any(ch.isalpha() for ch in text):
        return Screened("", WRONG_LANGUAGE)  # Mandarin asked for, only Latin letters heard
    return Screened(text.strip(), cut=cut)


def _han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"
