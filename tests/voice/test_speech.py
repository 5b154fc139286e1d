"""The speech package: backends, the worker pool, audio containers, the bundled model, CER.

The ``asr`` test transcribes Mandarin made by espeak-ng with the real faster-whisper *base*
model in the worker processes, from OGG/Opus (a Telegram voice note) and WebM/Opus (a browser
recording), and checks the text by character error rate. espeak's Mandarin is robotic; the
threshold and the sentences are chosen so the check means something (garbage scores ≈1.0) and
does not flake; the measured numbers for all twelve sentences are in docs/benchmarks.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from speech import bundled
from speech.audio import duration_of, extension_for
from speech.backends import (
    BackendSpec,
    NoneBackend,
    TranscriptionUnavailable,
    build,
    model_problem,
)
from speech.cer import cer, corpus_cer, normalise
from speech.worker import SpeechWorker
from tests.voice.conftest import sample, voice_note


def test_cer_ignores_punctuation_and_counts_characters() -> None:
    assert normalise("我们同意，调解。") == "我们同意调解"
    assert cer("我们同意调解", "我们同意调解。") == 0.0
    assert cer("我们同意调解", "我们同意条件") == pytest.approx(2 / 6)
    assert cer("我们同意调解", "") == 1.0
    assert corpus_cer([("我们", "我门"), ("同意", "同意")]) == pytest.approx(1 / 4)


def test_no_model_means_unavailable_not_a_crash(tmp_path: Path) -> None:
    assert model_problem(None) == "ASR_MODEL_DIR is not set"
    assert "is not a directory" in (model_problem(tmp_path / "missing") or "")
    (tmp_path / "config.json").write_text("{}")
    assert "lacks model.bin, tokenizer.json" in (model_problem(tmp_path) or "")
    assert not BackendSpec("faster-whisper", tmp_path).available
    assert not BackendSpec("none", tmp_path).available
    with pytest.raises(TranscriptionUnavailable):
        NoneBackend().transcribe(tmp_path / "x.ogg", "zh")
    with pytest.raises(TranscriptionUnavailable):
        build(BackendSpec("faster-whisper", tmp_path))


async def test_worker_without_model_refuses_without_starting_processes(tmp_path: Path) -> None:
    worker = SpeechWorker(BackendSpec("faster-whisper", None))
    with pytest.raises(TranscriptionUnavailable):
        await worker.transcribe(tmp_path / "x.ogg", "zh")
    assert worker._pool is None
    worker.close()


def test_extensions_for_channels() -> None:
    assert extension_for("audio/ogg", "voice") == ".ogg"
    assert extension_for("audio/webm;codecs=opus", "audio") == ".webm"
    assert extension_for(None, "voice") == ".ogg"
    assert extension_for("application/x-unknown", "audio") == ".bin"


def test_opus_in_ogg_and_webm_decodes_like_the_source(tmp_path: Path) -> None:
    """Telegram's OGG/Opus and a browser's WebM/Opus decode through PyAV (no ffmpeg binary)."""
    from faster_whisper.audio import decode_audio

    ogg = voice_note(tmp_path, "agree", "ogg")
    webm = voice_note(tmp_path, "agree", "webm")
    wav = tmp_path / "agree.wav"
    assert ogg.read_bytes()[:4] == b"OggS"
    assert webm.read_bytes()[:4] == b"\x1a\x45\xdf\xa3"  # EBML (Matroska/WebM)
    seconds = duration_of(wav)
    assert seconds > 1
    for path in (ogg, webm):
        assert abs(duration_of(path) - seconds) < 0.1
        assert abs(len(decode_audio(str(path))) / 16000 - seconds) < 0.1


def test_bundled_model_is_joined_once_and_checked(whisper_base: Path) -> None:
    assert model_problem(whisper_base) is None
    assert (whisper_base / "model.bin").stat().st_size == bundled.MODEL_SIZE
    before = (whisper_base / "model.bin").stat().st_mtime_ns
    assert bundled.join(whisper_base) == whisper_base  # already there: not rewritten
    assert (whisper_base / "model.bin").stat().st_mtime_ns == before


#: Sentences whose espeak rendering the base model gets mostly right, with a keyword each.
#: The exact transcript depends on the CPU: libopus (in PyAV's wheel) and CTranslate2's int8
#: kernels take different SIMD paths on different processors, and espeak's robotic Mandarin
#: is at the edge of what the base model hears. Measured: all three keywords and corpus CER
#: 0.26 on one host (Intel); on an AMD EPYC host "窗户" came out as noise (CER ≈ 1) while the
#: other two held (corpus CER ≈ 0.6). So the test asks what holds on both with a margin, and
#: still fails when transcription is broken (garbage or another language gives CER ≥ 0.9).
CHECKED = (
    ("window", "ogg", "他把我"),
    ("noise", "webm", "每天"),
    ("tomorrow", "ogg", "明天下午"),
)
MAX_CER = 0.75
MIN_KEYWORDS = 2


@pytest.mark.asr
@pytest.mark.slow
@pytest.mark.timeout(900)
async def test_mandarin_speech_is_transcribed_in_the_worker(
    tmp_path: Path, whisper_base: Path
) -> None:
    worker = SpeechWorker(BackendSpec("faster-whisper", whisper_base, threads=1))
    pairs = []
    heard = []
    try:
        for key, container, keyword in CHECKED:
            result = await worker.transcribe(voice_note(tmp_path, key, container), "zh")
            reference = sample(key).text
            print(f"{key}: {reference} → {result.text} (CER {cer(reference, result.text):.2f})")
            assert result.language == "zh" and result.duration > 1
            assert any("\u4e00" <= ch <= "\u9fff" for ch in result.text), result.text
            heard.append(keyword in result.text)
            pairs.append((reference, result.text))
    finally:
        worker.close()
    assert sum(heard) >= MIN_KEYWORDS, pairs
    assert corpus_cer(pairs) <= MAX_CER, pairs


async def test_a_dead_worker_is_replaced(tmp_path: Path, whisper_base: Path) -> None:
    """A worker killed mid-way (OOM killer) fails that message; the next one gets a new pool."""
    import os
    import signal
    from concurrent.futures.process import BrokenProcessPool

    worker = SpeechWorker(BackendSpec("faster-whisper", whisper_base))
    try:
        pool = worker._executor()
        pid = pool.submit(os.getpid).result(timeout=120)
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(BrokenProcessPool):
            await worker.transcribe(tmp_path / "none.ogg", "zh")
        assert worker._pool is None
        with pytest.raises(FileNotFoundError):  # a fresh pool answers: the file is missing
            await worker.transcribe(tmp_path / "none.ogg", "zh")
    finally:
        worker.close()


#: Recorded clips (benchmarks/asr/testset) on which Whisper base loops, answers in English or
#: writes traditional characters when asked for Mandarin (docs/benchmarks.md, issue 23).
TROUBLESOME = ("help-m.ogg", "debt-f.ogg", "wages-m.ogg")


@pytest.mark.asr
@pytest.mark.slow
@pytest.mark.timeout(900)
async def test_the_real_decoder_never_shows_a_loop_the_prompt_or_traditional_text(
    whisper_base: Path,
) -> None:
    from benchmarks.asr.run import TESTSET
    from speech.backends import PROMPTS
    from speech.screen import looping, prompt_echo, simplified

    worker = SpeechWorker(BackendSpec("faster-whisper", whisper_base, threads=1))
    try:
        for clip in TROUBLESOME:
            result = await worker.transcribe(TESTSET / clip, "zh")
            print(f"{clip}: {result.text!r} problem={result.problem} conf={result.confidence}")
            if result.problem is not None:
                assert result.text == "" and result.confidence is None
                continue
            assert not looping(result.text) and not prompt_echo(result.text, PROMPTS["zh"])
            assert simplified(result.text) == result.text
            assert result.confidence is not None and 0 < result.confidence <= 1
    finally:
        worker.close()
