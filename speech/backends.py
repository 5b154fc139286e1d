"""Speech-to-text backends: a protocol, faster-whisper, and "none".

A backend object lives inside a worker process (see :mod:`speech.worker`): it is built once per
process and then transcribes file after file. Nothing here downloads anything: faster-whisper is
given a local directory holding a CTranslate2 Whisper model (``model.bin``, ``config.json``,
``tokenizer.json``, ``vocabulary.txt``), never a hub model name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from speech import screen
from speech.screen import Screened

#: Files faster-whisper needs in a model directory.
MODEL_FILES = ("model.bin", "config.json", "tokenizer.json")

#: Whisper often writes Mandarin in traditional characters; a short simplified-Chinese prompt
#: steers it to the characters the case record uses (measured in docs/benchmarks.md). What it
#: still writes in traditional characters is converted (speech.screen.simplified), and an
#: answer that is the prompt itself is never shown (speech.screen.prompt_echo).
PROMPTS = {"zh": "以下是普通话的句子。"}


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str | None
    duration: float  # seconds of audio
    seconds: float  # wall-clock seconds spent (decoding + inference)
    #: The decoder's certainty, 0–1 (speech.screen.confidence); None when there is no text.
    confidence: float | None = None
    #: Why there is no text although the decoder answered: "prompt", "loop", "silence",
    #: "subtitle" or "language" (speech.screen).
    problem: str | None = None
    #: What the screen cut out of the text: "loop" (after real words), "subtitle".
    cut: tuple[str, ...] = ()


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
        result: Screened = Screened("", None)
        info: Any = None
        score: float | None = None
        for attempt in _attempts(prompt):
            segments, info = self._run(path, lang, **attempt)
            if screen.silent(segments):
                result, score = Screened("", screen.SILENCE), None
                break  # nothing was said: asking again only invites a hallucination
            text = "".join(screen.edge_subtitles([s.text for s in segments])).strip()
            result = screen.screen(text, prompt, chinese=(info.language or lang) == "zh")
            score = screen.confidence(segments)
            if result.problem is None or result.problem in screen.NOTHING_SAID:
                break
        if screen.LOOP in result.cut:
            score = None  # a looping decoder is sure of every copy: its certainty says nothing
        return Transcript(
            text=result.text,
            language=info.language,
            duration=float(info.duration),
            seconds=time.perf_counter() - started,
            confidence=score if result.problem is None and result.text else None,
            problem=result.problem,
            cut=result.cut,
        )

    def _run(
        self, path: Path, lang: str | None, prompt: str | None, **options: Any
    ) -> tuple[list[Any], Any]:
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
        return list(segments), info


def _attempts(prompt: str | None) -> list[dict[str, Any]]:
    """How the audio is decoded, in turn, until an answer passes :func:`speech.screen.screen`:
    with the prompt (simplified characters, punctuation); without it (Whisper sometimes
    answers unclear audio with its prompt); without it and forbidding repeated trigrams
    (greedy loops such as "千万千万…"). Three answers that all fail: nothing is shown."""
    plain: list[dict[str, Any]] = [
        {"prompt": None},
        {"prompt": None, "no_repeat_ngram_size": 3},
    ]
    return ([{"prompt": prompt}] if prompt else []) + plain


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
