"""A/B of the warm-render changes against a baseline revision, in one process, in CPU time.

    .venv/bin/python benchmarks/documents/ab_render.py [--baseline REV] [--renders 40]

Why one process and CPU time: the host is shared, and wall clock (or two separate runs) moves
with other people's jobs more than these changes move it. Each change is measured alone on top of the
baseline and all together; the variants take turns render by render (rotating who goes
first) on the same inputs, so all see the same load. The baseline's QR and seal come from
``documents/images.py`` at ``--baseline`` (read with ``git show``), and its PDF streams are
compressed as pydyf does by itself (zlib level 9); the current side is this working tree as
the render workers run it. The stylesheets are today's for both (the only CSS change,
``image-rendering`` on the QR, does nothing to an SVG). Prints JSON: p50 and min CPU ms of the
HTML build and of the layout, and the PDF size, for each side.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import pydyf  # noqa: E402

import documents.render as render_module  # noqa: E402
from documents import images, worker  # noqa: E402
from documents.registry import get_spec, load_sample  # noqa: E402
from documents.render import DocumentRenderer  # noqa: E402
from legal_kb.statutes import LawsDbStatutes  # noqa: E402

KEY = "mediation_agreement"
#: The last commit before the warm-render work of 2026-11-28.
DEFAULT_BASELINE = "3eadcac"


def load_baseline_images(rev: str) -> Any:
    source = subprocess.run(
        ["git", "show", f"{rev}:documents/images.py"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(source)
        path = handle.name
    try:
        spec = importlib.util.spec_from_file_location("baseline_images", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        os.unlink(path)
    return module


def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", default=DEFAULT_BASELINE)
    parser.add_argument("--renders", type=int, default=40)
    args = parser.parse_args()

    baseline = load_baseline_images(args.baseline)
    worker.init_worker()
    tuned = pydyf.zlib  # the workers' level-6 stand-in (documents.worker)
    # One change at a time on top of the baseline, then all of them (the working tree).
    sides: dict[str, dict[str, Any]] = {
        "baseline": {"qr": baseline, "seal": baseline, "zlib": zlib},
        "+ zlib 6": {"qr": baseline, "seal": baseline, "zlib": tuned},
        "+ QR PNG (numpy mask)": {"qr": images, "seal": baseline, "zlib": zlib},
        "+ seal one <text>": {"qr": baseline, "seal": images, "zlib": zlib},
        "current (all)": {"qr": images, "seal": images, "zlib": tuned},
    }
    renderer = DocumentRenderer(LawsDbStatutes())
    quoted = renderer.quoted_texts(get_spec(KEY))
    results: dict[str, dict[str, list[float]]] = {
        name: {"build": [], "layout": [], "total": []} for name in sides
    }
    sizes: dict[str, int] = {}
    load_start = os.getloadavg()
    for i in range(args.renders + 3):
        ctx = load_sample(KEY)
        ctx["verify_url"] = f"https://mediation.example.org/verify/AGR-{i:06d}?k=ab{i:010d}"
        order = list(sides)[i % len(sides) :] + list(sides)[: i % len(sides)]
        for name in order:
            side = sides[name]
            render_module.qr_data_uri = side["qr"].qr_data_uri  # type: ignore[attr-defined]
            render_module.seal_data_uri = side["seal"].seal_data_uri  # type: ignore[attr-defined]
            pydyf.zlib = side["zlib"]
            side["qr"].qr_data_uri.cache_clear()  # a new document's first render makes its QR
            start = time.process_time()
            prepared = renderer.build(KEY, ctx, "zh-CN", quoted)
            built = time.process_time()
            pdf = worker.render_pdf(prepared.html, prepared.stylesheets)
            done = time.process_time()
            sizes[name] = len(pdf)
            if i >= 3:
                results[name]["build"].append(built - start)
                results[name]["layout"].append(done - built)
                results[name]["total"].append(done - start)

    def stats(values: list[float]) -> dict[str, float]:
        return {
            "p50": round(statistics.median(values) * 1000, 1),
            "min": round(min(values) * 1000, 1),
        }

    return {
        "renders_each": args.renders,
        "baseline": args.baseline,
        "loadavg_start": load_start,
        "loadavg_end": os.getloadavg(),
        "cpu_ms": {
            name: {part: stats(values) for part, values in parts.items()}
            for name, parts in results.items()
        },
        "pdf_bytes": sizes,
    }


if __name__ == "__main__":
    print(json.dumps(main(), ensure_ascii=False, indent=2))
