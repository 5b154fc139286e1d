"""Where the CPU of one warm render goes, phase by phase, in one process.

    .venv/bin/python benchmarks/documents/profile_render.py [--renders 40] [--cprofile FILE]

Why CPU time in one process: the host is shared, so wall clock moves with other people's
jobs; ``time.process_time`` around each phase of the same renders does not. Phases are timed
by wrapping WeasyPrint's own functions (inclusive times; nested phases are listed under their
parent), so the numbers add up to the whole render without cProfile's 3-4x overhead on
Python-heavy code. Prints one JSON object: p50 CPU ms per phase over ``--renders`` renders of
the 2-page 人民调解协议书 sample (each with a new verify URL, as in bench_render.py), plus the
HTML build steps in the caller's process.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import statistics
import sys
import time
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from documents import images, worker  # noqa: E402
from documents.registry import get_spec, load_sample  # noqa: E402
from documents.render import DocumentRenderer, html_to_text  # noqa: E402
from documents.sanitize import clean_context  # noqa: E402
from legal_kb.statutes import LawsDbStatutes  # noqa: E402

KEY = "mediation_agreement"
_spent: dict[str, float] = defaultdict(float)


def _timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            result = function(*args, **kwargs)
            if name == "layout (pages)":
                result = list(result)  # a generator: time its consumption here
            return result
        finally:
            _spent[name] += time.process_time() - start

    return wrapper


class _TimedCompressor:
    """pydyf's ``zlib.compressobj`` (the worker's level, see documents.worker), timed."""

    def __init__(self, level: int = -1, *args: Any) -> None:
        self._inner = _ZLIB.compressobj(level, *args)

    def compress(self, data: bytes) -> bytes:
        start = time.process_time()
        out: bytes = self._inner.compress(data)
        _spent["  zlib (in PDF write)"] += time.process_time() - start
        return out

    def flush(self) -> bytes:
        start = time.process_time()
        out: bytes = self._inner.flush()
        _spent["  zlib (in PDF write)"] += time.process_time() - start
        return out


_ZLIB: Any = zlib


def instrument() -> None:
    """Wrap the phases of WeasyPrint 70's pipeline (document.py, pdf/__init__.py)."""
    import pydyf
    import weasyprint
    import weasyprint.document as document
    import weasyprint.pdf as pdf_module
    import weasyprint.pdf.fonts as pdf_fonts
    import weasyprint.svg as svg

    weasyprint.HTML.__init__ = _timed("parse HTML", weasyprint.HTML.__init__)
    document.get_all_computed_styles = _timed(
        "CSS cascade (computed styles)", document.get_all_computed_styles
    )
    document.build_formatting_structure = _timed("box tree", document.build_formatting_structure)
    document.layout_document = _timed("layout (pages)", document.layout_document)
    document.generate_pdf = _timed("PDF objects (draw + fonts)", document.generate_pdf)
    document.Page.paint = _timed("  draw pages", document.Page.paint)
    svg.SVG.draw = _timed("    SVG images (QR, seal)", svg.SVG.draw)
    pdf_module.build_fonts_dictionary = _timed(
        "  fonts dictionary", pdf_module.build_fonts_dictionary
    )
    pdf_fonts.Font.subset = _timed("    HarfBuzz subset", pdf_fonts.Font.subset)
    pydyf.PDF.write = _timed("PDF write (serialise)", pydyf.PDF.write)
    global _ZLIB
    _ZLIB = pydyf.zlib  # the worker's stand-in when init_worker() installed one
    pydyf.zlib = SimpleNamespace(compressobj=_TimedCompressor, compress=zlib.compress)


def fresh_context(i: int) -> dict[str, Any]:
    ctx = load_sample(KEY)
    ctx["verify_url"] = f"https://mediation.example.org/verify/AGR-{i:06d}?k=prof{i:08d}"
    return ctx


@contextmanager
def _build_step(name: str, store: dict[str, list[float]]) -> Iterator[None]:
    start = time.process_time()
    yield
    store[name].append(time.process_time() - start)


def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--renders", type=int, default=40)
    parser.add_argument("--cprofile", help="also write a cProfile of the same renders here")
    args = parser.parse_args()

    statutes = LawsDbStatutes()
    renderer = DocumentRenderer(statutes)
    spec = get_spec(KEY)
    quoted = renderer.quoted_texts(spec)
    worker.init_worker()
    instrument()

    build: dict[str, list[float]] = defaultdict(list)
    phases: dict[str, list[float]] = defaultdict(list)
    total: list[float] = []
    sizes: list[int] = []
    profile = cProfile.Profile() if args.cprofile else None
    for i in range(args.renders + 3):
        ctx = fresh_context(i)
        with _build_step("clean context", build):
            clean_context(ctx)
        with _build_step("QR code", build):
            images.qr_data_uri(str(ctx["verify_url"]))
        images.qr_data_uri.cache_clear()
        with _build_step("build (whole: clean, QR, Jinja, text)", build):
            prepared = renderer.build(KEY, ctx, "zh-CN", quoted)
        with _build_step("text extraction", build):
            html_to_text(prepared.html)
        with _build_step("citation check", build):
            renderer.check(prepared)
        _spent.clear()
        if profile is not None and i >= 3:
            profile.enable()
        start = time.process_time()
        pdf = worker.render_pdf(prepared.html, prepared.stylesheets)
        elapsed = time.process_time() - start
        if profile is not None:
            profile.disable()
        if i < 3:
            continue  # warm-up
        total.append(elapsed)
        sizes.append(len(pdf))
        for name, value in _spent.items():
            phases[name].append(value)
    if profile is not None:
        profile.dump_stats(args.cprofile)

    def p50(values: list[float]) -> float:
        return round(statistics.median(values) * 1000, 2)

    return {
        "renders": args.renders,
        "cprofile": bool(profile),
        "layout_cpu_ms": {"p50": p50(total), "min": round(min(total) * 1000, 2)},
        "phases_p50_ms": {name: p50(values) for name, values in phases.items()},
        "build_p50_ms": {name: p50(values[3:]) for name, values in build.items()},
        "pdf_bytes": sizes[-1],
    }


if __name__ == "__main__":
    print(json.dumps(main(), ensure_ascii=False, indent=2))
