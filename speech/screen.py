"""What the decoder said, made fit to show a speaker — or refused.

Whisper fails in ways that look like text: it answers unclear audio with its own prompt
("以下是普通话的句子。", issue 23: after a loop the retry gave exactly that, long enough to pass as
the facts), it loops ("千万千万千万…"), it writes Mandarin in traditional characters, and it
transcribes silence. Nothing here trusts the model: every decoder answer goes through
:func:`screen`, and an answer with a ``problem`` never becomes a transcript (the backend tries
again, then gives up and says so).

- :func:`simplified`: traditional → simplified characters (OpenCC's ``t2s`` tables through
  ``opencc-python-reimplemented``, Apache-2.0, pure Python, ~1 MB). The case record is kept in
  simplified Chinese; a transcript in 老闆/萬 would read as a different document.
- :func:`prompt_echo`, :func:`looping`: the two hallucinations measured on the benchmark
  (docs/benchmarks.md, "Speech to text"); :func:`repeated_phrase`: the loop that is a whole
  answer ("谢谢观看谢谢观看谢谢观看", what Whisper writes for noise), refused as a loop.
- :func:`confidence`: the decoder's own certainty (mean token log-probability, and the
  probability that there was no speech at all), as one number between 0 and 1 shown to the
  speaker; below :data:`LOW_CONFIDENCE` the text is flagged as possibly wrong.
"""

from __future__ import annotations

import functools
import math
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

#: Below this the speaker is told the text may be wrong (measured on the benchmark's
#: test set: docs/benchmarks.md; sentences with CER ≥ 0.3 mostly fall below it).
LOW_CONFIDENCE = 0.6
#: Whisper's own silence rule (``no_speech_threshold`` with ``log_prob_threshold``).
NO_SPEECH = 0.6
SILENT_LOGPROB = -1.0

PROMPT, LOOP, SILENCE, WRONG_LANGUAGE = "prompt", "loop", "silence", "language"


@dataclass(frozen=True)
class Screened:
    text: str  # "" when there is a problem
    problem: str | None = None  # PROMPT, LOOP, SILENCE or WRONG_LANGUAGE


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
    """The answer is the prompt, or a piece of it (nothing else was heard)."""
    if not prompt:
        return False
    said, asked = bare(simplified(text)), bare(simplified(prompt))
    return bool(said) and (said == asked or (len(said) >= 3 and said in asked))


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
    for size in range(1, LONG_UNIT_MAX + 1):
        # A run of at least 8 characters; a unit of 9 or more characters three times.
        times = max(4, -(-8 // size)) if size < 9 else 3
        if _tandem(letters, size) >= times:
            return True
    return False


#: The longest unit :func:`looping` looks for in a run (a longer loop compresses too well).
LONG_UNIT_MAX = 32


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
    if looping(text):
        return Screened("", LOOP)
    if chinese and not any(_han(ch) for ch in text) and any(ch.isalpha() for ch in text):
        return Screened("", WRONG_LANGUAGE)  # Mandarin asked for, only Latin letters heard
    return Screened(text.strip())


def _han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"
