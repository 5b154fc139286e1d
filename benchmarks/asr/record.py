"""Record the ASR test set: every sentence of ``samples.py`` in two espeak-ng voices, as the
OGG/Opus files a Telegram voice note is, kept in ``benchmarks/asr/testset/`` with a manifest.

Why recorded files and not espeak at run time: libopus and espeak-ng differ between hosts and
versions, and the same sentence encoded twice gave different transcripts (docs/benchmarks.md);
models are compared on the very same bytes. Source: speech synthesised offline by Debian's
espeak-ng (1.51, ``cmn-latn-pinyin``) from hand-written pinyin; the sentences and recordings are
this project's own (MIT, like the code). About 8 KB a clip.

    .venv/bin/python benchmarks/asr/record.py   # rewrites benchmarks/asr/testset/
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.asr.samples import SENTENCES, SPEED, VOICE, speak
from speech.audio import duration_of, encode_opus

HERE = Path(__file__).resolve().parent / "testset"
#: (name, espeak variant, words per minute): the default male voice, and a higher, slower one.
VOICES = (("m", "", SPEED), ("f", "f3", 120))


def espeak_version() -> str:
    out = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def main() -> None:
    HERE.mkdir(exist_ok=True)
    clips: list[dict[str, object]] = []
    total = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for sample in SENTENCES:
            for name, variant, speed in VOICES:
                wav = speak(sample, Path(tmp) / f"{sample.key}.wav", speed=speed, variant=variant)
                ogg = encode_opus(wav, HERE / f"{sample.key}-{name}.ogg")
                total += duration_of(ogg)
                clips.append(
                    {
                        "file": ogg.name,
                        "key": sample.key,
                        "voice": name,
                        "text": sample.text,
                        "pinyin": sample.pinyin,
                        "seconds": round(duration_of(ogg), 2),
                        "sha256": hashlib.sha256(ogg.read_bytes()).hexdigest(),
                    }
                )
    manifest = {
        "source": f"espeak-ng ({espeak_version()}), voice {VOICE}; variants "
        + ", ".join(f"{n}: +{v or 'default'} at {s} wpm" for n, v, s in VOICES)
        + "; OGG/Opus 48 kHz mono 32 kb/s (PyAV)",
        "licence": "the project's own (MIT)",
        "clips": clips,
    }
    (HERE / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")
    print(f"{len(clips)} clips, {total:.0f} s in {HERE}")


if __name__ == "__main__":
    main()
