"""Shared fixtures: one statute source, one render pool and one set of rendered samples per
session, so the whole documents suite stays well under a minute on two cores."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from documents.pool import RenderPool
from documents.registry import document_keys, load_sample
from documents.seal import Sealer
from legal_kb.statutes import LawsDbStatutes


@pytest.fixture(scope="session")
def pool(statutes: LawsDbStatutes) -> Iterator[RenderPool]:
    """A 2-worker pool shared by every test; workers start on first use.

    The pool holds no event-loop state, so function-scoped test loops can all await it.
    """
    render_pool = RenderPool(2, statutes=statutes, timeout=120)
    yield render_pool
    asyncio.run(render_pool.close())


@pytest.fixture(scope="session")
def sample_pdfs(pool: RenderPool, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every sample rendered once: key → PDF path."""

    async def render_all() -> list[bytes]:
        return await asyncio.gather(*(pool.render(k, load_sample(k)) for k in document_keys()))

    folder = tmp_path_factory.mktemp("samples")
    out: dict[str, Path] = {}
    for key, pdf in zip(document_keys(), asyncio.run(render_all()), strict=True):
        path = folder / f"{key}.pdf"
        path.write_bytes(pdf)
        out[key] = path
    return out


@pytest.fixture(scope="session")
def sealer(tmp_path_factory: pytest.TempPathFactory) -> Sealer:
    """One organisation key for the session (RSA-3072 generation takes ~1 s)."""
    return Sealer.from_directory(
        tmp_path_factory.mktemp("keys") / "keys", organisation="示范人民调解委员会"
    )


def pdftotext(path: Path) -> str:
    """Text of a PDF in content-stream order (``-raw`` keeps table cells whole)."""
    return subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def pdffonts(path: Path) -> list[list[str]]:
    """Rows of ``pdffonts`` output (name, type, encoding, emb, sub, uni, …)."""
    lines = subprocess.run(
        ["pdffonts", str(path)], check=True, capture_output=True, text=True
    ).stdout.splitlines()[2:]
    return [line.split() for line in lines if line.strip()]


def squash(text: str) -> str:
    """Remove all whitespace: pdftotext breaks lines wherever the layout did."""
    return "".join(text.split())
