"""QR codes read back from what the service prints, with real tools: poppler renders a PDF's
first page, zbar reads the codes on it. A test that needs them is marked :data:`needs_zbar`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

#: Skips a test where zbar (Debian's zbar-tools) is not installed.
needs_zbar = pytest.mark.skipif(
    shutil.which("zbarimg") is None, reason="zbar-tools is not installed"
)


def first_page_png(pdf: Path, base: Path, dpi: int = 150) -> Path:
    """Page 1 of ``pdf`` rendered at ``dpi`` (poppler's pdftoppm) to ``base``.png."""
    raster = ["pdftoppm", "-r", str(dpi), "-png", "-f", "1", "-l", "1", "-singlefile"]
    subprocess.run([*raster, str(pdf), str(base)], check=True)
    return base.with_name(base.name + ".png")


def qr_codes(png: Path) -> list[str]:
    """The text of every QR code zbar finds in ``png``, one a line as it reports them."""
    out = subprocess.run(
        ["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(png)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [line for line in out.splitlines() if line]
