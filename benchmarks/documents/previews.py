"""Render every sample document and write a PNG of its first page to docs/documents/.

    .venv/bin/python benchmarks/documents/previews.py [--out docs/documents] [--pdf-dir DIR]

The PNGs are committed so reviewers can see the layout without rendering anything
(``pdftoppm -r 60 -png -singlefile``, from poppler-utils).
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from documents.pool import RenderPool  # noqa: E402
from documents.registry import document_keys, load_sample  # noqa: E402
from legal_kb.statutes import LawsDbStatutes  # noqa: E402


def page_png(pdf: Path, out_png: Path, *, page: int = 1, dpi: int = 60) -> None:
    """Write page ``page`` of ``pdf`` as ``out_png`` with pdftoppm."""
    stem = out_png.with_suffix("")
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            str(dpi),
            "-png",
            "-singlefile",
            "-f",
            str(page),
            "-l",
            str(page),
            str(pdf),
            str(stem),
        ],
        check=True,
    )


async def render_all(out: Path, pdf_dir: Path) -> None:
    async with RenderPool(2, statutes=LawsDbStatutes()) as pool:
        keys = document_keys()
        pdfs = await asyncio.gather(*(pool.render(key, load_sample(key)) for key in keys))
    for key, pdf in zip(keys, pdfs, strict=True):
        pdf_path = pdf_dir / f"{key}.pdf"
        pdf_path.write_bytes(pdf)
        page_png(pdf_path, out / f"{key}.png")
        print(f"{key}: {len(pdf):,} bytes -> {out / (key + '.png')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "documents")
    parser.add_argument("--pdf-dir", type=Path, default=None, help="keep the PDFs here")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.pdf_dir is not None:
        args.pdf_dir.mkdir(parents=True, exist_ok=True)
    if args.pdf_dir is not None:
        asyncio.run(render_all(args.out, args.pdf_dir))
        return
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(render_all(args.out, Path(tmp)))


if __name__ == "__main__":
    main()
