"""Rendering every template to PDF and checking what a reader (and poppler) sees."""

from __future__ import annotations

import asyncio
import base64
import copy
import io
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

import documents as documents_pkg
from documents import fonts
from documents.amounts import format_amount, to_capital
from documents.errors import InvalidImageError, MissingFieldsError, UnsupportedLanguageError
from documents.formats import cn_count, cn_date, cn_datetime
from documents.pool import RenderPool
from documents.registry import document_keys, get_spec, load_sample, resolve
from documents.render import PreparedDocument
from documents.worker import RefusedURLError, make_fetcher
from tests.documents.conftest import pdffonts, pdftotext, squash
from tests.qr_codes import first_page_png, needs_zbar, qr_codes

pytestmark = pytest.mark.pdf


def _forms(path: str, value: Any) -> set[str]:
    """The ways a template may print ``value`` (amounts with separators, ISO dates in 年月日)."""
    text = str(value)
    forms = {text}
    if re.fullmatch(r"\d+(\.\d+)?", text) and (
        "amount" in path or "." in text or path in {"deposit"}
    ):
        forms |= {format_amount(text), to_capital(text)}
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2})?", text):
        forms |= {cn_date(text), cn_datetime(text)}
    if isinstance(value, int) and not isinstance(value, bool):
        forms.add(cn_count(value))
    return forms


@pytest.mark.parametrize("key", document_keys())
def test_required_values_appear_in_pdf_text(key: str, sample_pdfs: dict[str, Path]) -> None:
    text = squash(pdftotext(sample_pdfs[key]))
    spec = get_spec(key)
    sample = load_sample(key)
    assert squash(spec.title) in text or all(ch in text for ch in spec.title)
    for path in spec.all_required(sample):
        for concrete, value in resolve(sample, path):
            if concrete in {"outcome", "source", "dispute_type"}:
                continue  # codes, printed as labels
            forms = {squash(form) for form in _forms(concrete, value)}
            assert any(form in text for form in forms), f"{key}: {concrete}={value!r} not in PDF"


@pytest.mark.parametrize("key", document_keys())
def test_fonts_are_one_embedded_cjk_subset(key: str, sample_pdfs: dict[str, Path]) -> None:
    rows = pdffonts(sample_pdfs[key])
    assert rows, "no fonts"
    for row in rows:
        name, emb, sub = row[0], row[-5], row[-4]
        # The derived document face when it is built (scripts/setup.sh does), else the system's.
        face = fonts.FAMILY if fonts.subset_path() is not None else "CJK"
        assert "+" in name and face in name, name
        assert (emb, sub) == ("yes", "yes"), row
    assert len({row[0] for row in rows}) == 1, "one face keeps PDFs small and fast"


def test_template_text_needs_no_fallback_face() -> None:
    """Every character the templates print themselves is in the derived face, so a document
    needs the full system face only for rare characters the parties typed (生僻字)."""
    folder = Path(documents_pkg.__file__).parent / "templates"
    used = {ch for path in folder.rglob("*.html") for ch in path.read_text("utf-8")}
    missing = {ch for ch in used if ord(ch) > 0x7F and ord(ch) not in fonts.charset()}
    assert not missing, sorted(missing)


@pytest.mark.skipif(fonts.subset_path() is None, reason="document font not built")
async def test_rare_characters_fall_back_to_the_full_face(pool: RenderPool, tmp_path: Path) -> None:
    ctx = copy.deepcopy(load_sample("mediation_agreement"))
    ctx["facts"] = "申请人王堃、𠮷野与被申请人因借款发生纠纷。"  # 堃 and 𠮷 are not in GB 2312
    path = tmp_path / "rare.pdf"
    path.write_bytes(await pool.render("mediation_agreement", ctx))
    assert "王堃、𠮷野" in squash(pdftotext(path))
    names = {row[0].split("+")[-1] for row in pdffonts(path)}
    assert any(fonts.FAMILY in n for n in names) and any("CJK" in n for n in names), names


def test_page_size_footer_and_two_page_agreement(sample_pdfs: dict[str, Path]) -> None:
    pdf = sample_pdfs["mediation_agreement"]
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Pages:\s+2\b", info)
    assert "595.276 x 841.89" in info  # A4 in points: the stylesheet (a CSS object) applied
    text = pdftotext(pdf)
    assert "第1页 共2页" in text and "第2页 共2页" in text


def test_divorce_agreement_marks_confirmable_parts(sample_pdfs: dict[str, Path]) -> None:
    text = squash(pdftotext(sample_pdfs["divorce_agreement"]))
    assert text.count("可以申请人民法院司法确认") == 2
    assert "【身份关系部分：不属于人民调解协议司法确认范围】" in text


async def test_user_text_is_escaped_and_cleaned(pool: RenderPool, tmp_path: Path) -> None:
    ctx = copy.deepcopy(load_sample("mediation_agreement"))
    hostile = (
        '<script>alert(1)</script>{{ 7*7 }}{% if 1 %}X{% endif %}<img src="file:///etc/passwd">'
    )
    ctx["facts"] = f"甲方称\x00\x1b{hostile}于2026\u201111\u201127借款。"
    prepared = pool.prepare("mediation_agreement", ctx)
    assert "<script" not in prepared.html and "&lt;script&gt;" in prepared.html
    assert '<img src="file' not in prepared.html
    pdf = await pool.render_prepared(prepared)
    path = tmp_path / "hostile.pdf"
    path.write_bytes(pdf)
    text = squash(pdftotext(path))
    assert squash(hostile) in text  # printed literally, never evaluated
    assert "49" not in text.split("甲方称")[1][:40]
    assert "2026-11-27" in text and "\u2011" not in text and "\x00" not in text


async def test_signature_image_is_embedded(pool: RenderPool, tmp_path: Path) -> None:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (400, 150), (255, 255, 255, 0))
    ImageDraw.Draw(image).line(
        [(10, 120), (80, 20), (150, 110), (260, 30), (390, 100)], fill="black", width=6
    )
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    ctx = copy.deepcopy(load_sample("iou_loan"))
    ctx["borrower"]["signature"] = {
        "method": "canvas",
        "image_png": buffer.getvalue(),
        "signed_at": "2026-11-27",
    }
    pdf = await pool.render("iou_loan", ctx)
    path = tmp_path / "signed.pdf"
    path.write_bytes(pdf)
    listing = await asyncio.to_thread(
        subprocess.run,
        ["pdfimages", "-list", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert " 400 " in listing.stdout and " 150 " in listing.stdout

    ctx["borrower"]["signature"]["image_png"] = b"GIF89a not a png"
    with pytest.raises(InvalidImageError):
        pool.prepare("iou_loan", ctx)


def test_verify_qr_and_seal_are_data_uris(pool: RenderPool) -> None:
    prepared = pool.prepare("mediation_agreement", load_sample("mediation_agreement"))
    assert 'class="qr"><img src="data:image/png;base64,' in prepared.html
    assert 'class="seal" src="data:image/svg+xml;base64,' in prepared.html
    unsealed = dict(load_sample("mediation_agreement"), sealed=False)
    del unsealed["verify_url"]
    html = pool.prepare("mediation_agreement", unsealed).html
    assert 'class="seal"' not in html and 'class="qr"' not in html


async def test_missing_field_fails_before_layout(pool: RenderPool) -> None:
    ctx = copy.deepcopy(load_sample("mediation_agreement"))
    del ctx["performance"]["place"]
    ctx["parties"][0]["address"] = ""
    with pytest.raises(MissingFieldsError) as info:
        await pool.render("mediation_agreement", ctx)
    assert info.value.fields == ("parties[0].address", "performance.place")


def test_unsupported_language(pool: RenderPool) -> None:
    with pytest.raises(UnsupportedLanguageError):
        pool.prepare("iou_loan", load_sample("iou_loan"), lang="en")


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "FILE:///etc/hostname",
        "http://127.0.0.1/x.png",
        "https://example.org/a.css",
        "ftp://example.org/x",
        "asset:../../pyproject.toml",
        "asset:/etc/passwd",
        "asset:missing.css",
        "/etc/passwd",
        "javascript:alert(1)",
    ],
)
def test_url_fetcher_refuses(url: str) -> None:
    with pytest.raises(RefusedURLError):
        make_fetcher().fetch(url)


def test_url_fetcher_serves_data_and_own_assets() -> None:
    fetcher = make_fetcher()
    assert fetcher.fetch("data:text/plain;base64,5Lq65rCR").read() == "人民".encode()
    css = fetcher.fetch("asset:base.css")
    assert css.content_type == "text/css" and b"@page" in css.read()


async def test_render_with_forbidden_resource_fails(pool: RenderPool) -> None:
    prepared = PreparedDocument(
        key="probe",
        lang="zh-CN",
        html='<html lang="zh-CN"><body><img src="file:///etc/hostname"></body></html>',
        text="",
        stylesheets=("base.css", "page-zh-CN.css"),
    )
    with pytest.raises(RefusedURLError):
        await pool.render_prepared(prepared)


@needs_zbar
@pytest.mark.parametrize("dpi", [100, 150, 300])
def test_verify_qr_in_the_pdf_decodes_to_the_link(
    sample_pdfs: dict[str, Path], tmp_path: Path, dpi: int
) -> None:
    """The QR printed on the agreement (a small pre-scaled PNG) reads back as its verify URL
    from poppler's rendering at screen and print resolutions, with a real reader (zbar)."""
    png = first_page_png(sample_pdfs["mediation_agreement"], tmp_path / f"page1-{dpi}", dpi)
    assert qr_codes(png) == [load_sample("mediation_agreement")["verify_url"]]


def test_qr_png_matches_the_symbol() -> None:
    """Every module of segno's matrix is a QR_SCALE-square of black or white pixels."""
    import segno
    from PIL import Image

    from documents.images import QR_SCALE, qr_data_uri

    url = "https://mediation.example.org/verify/AGR-2026-0042?k=abcdefghijklmnopqrst"
    uri = qr_data_uri(url)
    image = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    matrix = segno.make(url, error="m", micro=False).matrix
    assert image.mode == "L" and image.size == ((len(matrix) + 2) * QR_SCALE,) * 2
    for row, modules in enumerate(matrix):
        for col, dark in enumerate(modules):
            for dy in range(QR_SCALE):
                for dx in range(QR_SCALE):
                    xy = ((col + 1) * QR_SCALE + dx, (row + 1) * QR_SCALE + dy)
                    assert image.getpixel(xy) == (0 if dark else 255)
    assert image.getpixel((0, 0)) == 255  # quiet zone


def test_seal_arc_is_one_text_element_for_full_width_names() -> None:
    """One <text> with per-glyph positions (cheap to lay out); narrow characters keep their
    own centred element; user text is escaped."""
    from xml.etree import ElementTree

    from documents.images import seal_svg

    ns = "{http://www.w3.org/2000/svg}"
    tree = ElementTree.fromstring(seal_svg("示范人民调解委员会"))
    texts = list(tree.iter(f"{ns}text"))
    assert len(texts) == 1 and texts[0].text == "示范人民调解委员会"
    assert len(texts[0].get("x", "").split()) == 9 == len(texts[0].get("rotate", "").split())
    mixed = ElementTree.fromstring(seal_svg("A<&>村2组调解委员会"))
    texts = list(mixed.iter(f"{ns}text"))
    assert texts[0].text == "村组调解委员会"
    assert [t.text for t in texts[1:]] == ["A", "<", "&", ">", "2"]
    assert all(t.get("text-anchor") == "middle" for t in texts[1:])


def test_render_workers_compress_pdf_streams_at_level_6() -> None:
    """pydyf hard-codes zlib level 9 (twice the CPU for 0.4 % smaller PDFs); render workers
    swap in level 6 (documents.worker.STREAM_ZLIB_LEVEL)."""
    import zlib

    import pydyf

    from documents import worker

    worker._tune_stream_compression()
    data = "第1页 共2页 人民调解协议书 ".encode() * 400
    packer = pydyf.zlib.compressobj(level=9)
    packed = packer.compress(data) + packer.flush()
    reference = zlib.compressobj(worker.STREAM_ZLIB_LEVEL)
    assert packed == reference.compress(data) + reference.flush()
    assert zlib.decompress(packed) == data
