"""A smaller copy of the document face, made once, so each PDF embeds its subset faster.

Why: WeasyPrint subsets the embedded font for every PDF with HarfBuzz, and the cost grows
with the source face. Debian's Noto Serif CJK SC face holds ~65,000 glyphs; the documents
use a few hundred, nearly always from GB 2312's 6,763 hanzi. Measured on the 2-page
人民调解协议书: subsetting 63 → 32 ms and the whole render ~25 % less CPU with this copy
(see docs/benchmarks.md). Characters outside it (rare name characters, 生僻字) are not lost:
the stylesheets list the full face after it, and Pango falls back glyph by glyph.

The copy is derived from the system font, never downloaded: ``python -m documents.fonts``
(run by scripts/setup.sh) writes it to the cache directory; without it, documents use the
full face as before.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import sys
import time
from pathlib import Path

SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")
SOURCE_FAMILY = "Noto Serif CJK SC"
FAMILY = "MediationSerif"
#: Bump when the character set changes, so caches rebuild.
CHARSET_VERSION = "gb2312-1"


def cache_dir() -> Path:
    """Where derived fonts live: ``MEDIATION_FONT_CACHE``, else the user's cache directory."""
    configured = os.environ.get("MEDIATION_FONT_CACHE")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mediation" / "fonts"


def _file_name(source: Path) -> str:
    stat = source.stat()
    tag = f"{source}:{stat.st_size}:{int(stat.st_mtime)}:{CHARSET_VERSION}"
    return f"{FAMILY}-{hashlib.sha256(tag.encode()).hexdigest()[:12]}.otf"


def subset_path(source: Path = SOURCE, directory: Path | None = None) -> Path | None:
    """The ready copy for this system font, or None (not built, or no system font)."""
    if not source.is_file():
        return None
    path = (directory or cache_dir()) / _file_name(source)
    return path if path.is_file() else None


def charset() -> set[int]:
    """GB 2312 (all hanzi and symbol rows), ASCII, Latin-1, CJK and full-width punctuation."""
    chars = set(range(0x20, 0x7F)) | set(range(0xA0, 0x100))
    for start, end in (
        (0x2000, 0x2070),  # general punctuation (—, …, ‰)
        (0x2100, 0x2200),  # letterlike, number forms (℃, Ⅻ), arrows
        (0x2460, 0x2500),  # enclosed numbers ①
        (0x25A0, 0x2600),  # geometric shapes □ ■ ○
        (0x3000, 0x3040),  # CJK punctuation 。、「」〔〕
        (0xFF00, 0xFFF0),  # full-width forms （）：；
    ):
        chars.update(range(start, end))
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return chars


def _face_index(source: Path) -> int:
    from fontTools.ttLib import TTCollection

    collection = TTCollection(str(source), lazy=True)
    for index, font in enumerate(collection.fonts):
        names = {n.toUnicode() for n in font["name"].names if n.nameID in (1, 4)}
        if any(SOURCE_FAMILY in n for n in names):
            return index
    raise ValueError(f"{source} has no {SOURCE_FAMILY} face")


def build(source: Path = SOURCE, directory: Path | None = None) -> Path:
    """Make the copy (≈40 s of one core); idempotent and safe with several builders."""
    from fontTools import subset

    directory = directory or cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / _file_name(source)
    with (directory / ".build.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if final.is_file():
            return final
        options = subset.Options()
        options.font_number = _face_index(source)
        options.layout_features = ["*"]  # vertical forms, proportional punctuation
        options.name_IDs = ["*"]
        options.notdef_outline = True
        font = subset.load_font(str(source), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=charset())
        subsetter.subset(font)
        tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
        font.save(str(tmp))
        tmp.replace(final)
    return final


def main() -> int:
    if not SOURCE.is_file():
        print(f"{SOURCE} not found (install fonts-noto-cjk); documents use fontconfig's face")
        return 0
    ready = subset_path()
    if ready is not None:
        print(f"document font ready: {ready}")
        return 0
    print("making the document font (once, ~1 minute)…", flush=True)
    start = time.monotonic()
    path = build()
    print(f"document font ready: {path} ({time.monotonic() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
