"""Speech-to-text backends: a protocol, faster-whisper, and "none".

A backend object lives inside a worker process (see :mod:`speech.worker`): it is built once per
process and then transcribes file after file. Nothing here downloads anything: faster-whisper is
given a local directory holding a CTranslate2 Whisper model (``model.bin``, ``config.json``,
``tokenizer.json``, ``vocabulary.txt``), never a hub model name.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

#: Files faster-whisper needs in a model directory.
MODEL_FILES = ("model.bin", "config.json", "tokenizer.json")

#: Whisper often writes Mandarin in traditional characters; a short simplified-Chinese prompt
#: steers it to the characters the case record uses (measured in docs/benchmarks.md).
PROMPTS = {"zh": "以下是普通话的句子。"}


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str | None
    duration: float  # seconds of audio
    seconds: float  # wall-clock seconds spent (decoding + inference)


class Backend(Protocol):
    name: str
    model: str

    def transcribe(self, path: Path, language: str | None) -> Transcript: ...


class TranscriptionUnavailable(RuntimeError):
    """No speech model is installed; the caller keeps the audio and tells the person."""


@dataclass(frozen=True)
class BackendSpec:
    """What a worker process needs to build its backend (picklable)."""

    name: str  # "faster-whisper" or "none"
    model_dir: Path | None = None
    threads: int = 1
    compute_type: str = "int8"

    @property
    def available(self) -> bool:
        return self.problem is None

    @property
    def problem(self) -> str | None:
        """Why this backend cannot transcribe, or None."""
        if self.name == "none":
            return "ASR_BACKEND=none"
        return model_problem(self.model_dir)

    @property
    def model(self) -> str:
        return self.model_dir.name if self.model_dir is not None else ""


def model_problem(model_dir: Path | None) -> str | None:
    """Why ``model_dir`` cannot be used, or None when it looks like a faster-whisper model."""
    if model_dir is None:
        return "ASR_MODEL_DIR is not set"
    if not model_dir.is_dir():
        return f"{model_dir} is not a directory"
    missing = [f for f in MODEL_FILES if not (model_dir / f).is_file()]
    if missing:
        return f"{model_dir} lacks {', '.join(missing)}"
    return None


class NoneBackend:
    """No model: every request says so, so the service can keep running without one."""

    name = "none"
    model = ""

    def transcribe(self, path: Path, language: str | None) -> Transcript:
        raise TranscriptionUnavailable("no speech-to-text model is configured")


class FasterWhisperBackend:
    """Whisper through CTranslate2 on the CPU; int8 weights keep memory near 200 MB (base)."""

    name = "faster-whisper"

    def __init__(self, model_dir: Path, *, threads: int = 1, compute_type: str = "int8") -> None:
        from faster_whisper import WhisperModel

        problem = model_problem(model_dir)
        if problem:
            raise TranscriptionUnavailable(problem)
        self.model = model_dir.name
        self._model: Any = WhisperModel(
            str(model_dir),
            device="cpu",
            compute_type=compute_type,
            cpu_threads=threads,
            num_workers=1,
            local_files_only=True,
        )

    def transcribe(self, path: Path, language: str | None) -> Transcript:
        import time

        started = time.perf_counter()
        lang = (language or "").split("-")[0].lower() or None
        prompt = PROMPTS.get(lang or "")
        text, info = self._run(path, lang, prompt)
        if prompt and _bare(text) == _bare(prompt):
            # Whisper sometimes answers unclear audio with its prompt: ask again without it.
            text, info = self._run(path, lang, None)
        if _looping(text):
            # Greedy decoding can loop ("千万千万千万…"); ask again forbidding repeats.
            text, info = self._run(path, lang, prompt, no_repeat_ngram_size=3)
        return Transcript(
            text=text,
            language=info.language,
            duration=float(info.duration),
            seconds=time.perf_counter() - started,
        )

    def _run(
        self, path: Path, lang: str | None, prompt: str | None, **options: Any
    ) -> tuple[str, Any]:
        segments, info = self._model.transcribe(
            str(path),  # decoded by PyAV: OGG/Opus, WebM/Opus, WAV, MP3, M4A…
            language=lang,
            beam_size=5,
            # No sampling fallback: the same audio always gives the same text (faster-whisper's
            # default retries at higher temperatures, which made results vary run to run).
            temperature=0.0,
            initial_prompt=prompt,
            condition_on_previous_text=False,
            vad_filter=False,
            **options,
        )
        return "".join(s.text for s in segments).strip(), info


def _looping(text: str) -> bool:
    """Whisper's own test for a hallucinated loop: text that compresses too well."""
    data = text.encode()
    return len(data) > 48 and len(data) / len(zlib.compress(data)) > 2.4


def _bare(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum())


def build(spec: BackendSpec) -> Backend:
    if spec.name == "none":
        return NoneBackend()
    if spec.name == "faster-whisper":
        if spec.model_dir is None:
            raise TranscriptionUnavailable("ASR_MODEL_DIR is not set")
        return FasterWhisperBackend(
            spec.model_dir, threads=spec.threads, compute_type=spec.compute_type
        )
    raise ValueError(f"unknown speech backend {spec.name!r}")
