"""Images a document embeds: signature PNGs, the verification QR code, the committee seal.

All three become ``data:`` URIs before rendering, so the renderer never fetches anything (its
URL fetcher refuses every other scheme). The seal is drawn as SVG here rather than by pyHanko:
a Chinese text stamp in pyHanko needs an OpenType font outside a ``.ttc`` and costs ~0.8 s per
signature, while SVG text uses the face the page already embeds.
"""

from __future__ import annotations

import base64
import functools
import io
import math
import struct
import unicodedata
import zlib
from collections.abc import Sequence
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from documents import fonts
from documents.errors import InvalidImageError

__all__ = [
    "MAX_SIGNATURE_BYTES",
    "QR_SCALE",
    "png_data_uri",
    "qr_data_uri",
    "qr_png",
    "seal_data_uri",
    "seal_svg",
    "signature_ink",
]

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
#: A phone-canvas signature is 5–60 KB; 2 MB leaves room and stops abuse.
MAX_SIGNATURE_BYTES = 2 * 1024 * 1024
#: Pixel bound so a tiny file cannot declare a decompression bomb.
_MAX_SIDE = 4096
_SEAL_RED = "#c8102e"


def png_data_uri(data: bytes) -> str:
    """Check ``data`` is a plausible PNG and return it as a ``data:image/png`` URI.

    Only the header is checked here (cheap, in the caller's process); the worker decodes it.
    """
    if len(data) > MAX_SIGNATURE_BYTES:
        raise InvalidImageError(f"signature image is {len(data)} bytes, over {MAX_SIGNATURE_BYTES}")
    if len(data) < 33 or not data.startswith(_PNG_MAGIC) or data[12:16] != b"IHDR":
        raise InvalidImageError("signature image is not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    if not (0 < width <= _MAX_SIDE and 0 < height <= _MAX_SIDE):
        raise InvalidImageError(f"signature image of {width}x{height} pixels is out of bounds")
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


#: An organisation's seal as printed: at most this many pixels a side (a 40 mm seal at 300 dpi
#: is about 470), from a photo of at most :data:`MAX_SEAL_BYTES` and :data:`MAX_SEAL_PIXELS`.
SEAL_SIDE = 480
MAX_SEAL_BYTES = 10 * 1024 * 1024
MAX_SEAL_PIXELS = 40_000_000


def seal_png(data: bytes) -> bytes:
    """An organisation's seal as a person sent it (a JPEG photo of the stamp on paper, or a PNG
    scan) as a PNG the renderer takes: bounded in size, the white paper made transparent so the
    seal lies over the signature like ink. Raises :class:`InvalidImageError` for anything that
    is not a reasonable image (checked by size before decoding: no decompression bombs)."""
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_SEAL_BYTES:
        raise InvalidImageError(f"seal image is {len(data)} bytes, over {MAX_SEAL_BYTES}")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_SEAL_PIXELS:
                raise InvalidImageError("seal image has too many pixels")
            image.thumbnail((SEAL_SIDE, SEAL_SIDE))
            pixels = np.array(image.convert("RGBA"))
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise InvalidImageError(f"seal image cannot be read: {exc}") from None
    paper = (pixels[..., :3] > 225).all(axis=-1)
    pixels[paper, 3] = 0
    out = io.BytesIO()
    Image.fromarray(pixels, "RGBA").save(out, "PNG", optimize=True)
    return out.getvalue()


#: A drawn signature needs at least this many dark pixels, spread over at least this box: a
#: blank (or 1×1) PNG was accepted as a signature (issue 21).
MIN_INK_PIXELS = 60
MIN_INK_BOX = (16, 6)


def signature_ink(data: bytes) -> int:
    """Dark pixels of a drawn signature on a white or transparent ground (0 if it is too small
    to be one). Raises :class:`InvalidImageError` for a file that is not a sane PNG.

    A signature pad is small (tens of KB); the pixel bound of :func:`png_data_uri` caps the cost.
    """
    png_data_uri(data)
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "PNG":
                raise InvalidImageError("signature image is not a PNG")
            rgba = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidImageError(f"signature image does not decode: {exc}") from None
    ground = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    grey = Image.alpha_composite(ground, rgba).convert("L")
    ink = grey.point(lambda v: 255 if v < 160 else 0)
    box = ink.getbbox()
    if box is None or box[2] - box[0] < MIN_INK_BOX[0] or box[3] - box[1] < MIN_INK_BOX[1]:
        return 0
    count = ink.histogram()[255]
    return count if count >= MIN_INK_PIXELS else 0


@functools.lru_cache(maxsize=512)
def qr_data_uri(url: str) -> str:
    """QR code (PNG data URI) for a verification URL, cached: a document is re-rendered as each
    party signs, with the same URL.

    The symbol is segno's (error level M), with its mask chosen ~2.5x faster
    (:mod:`documents.qr`). A small grayscale PNG rather than segno's SVG: WeasyPrint parses and draws an SVG path on
    every render (~10 ms of CPU for a version-5 code on the 2-page agreement), while a PNG is
    one image XObject (~2 ms). Each module is :data:`QR_SCALE` pixels, so the code stays sharp
    in viewers that smooth images (the stylesheet asks for ``image-rendering: pixelated``);
    it decodes with zbarimg from pdftoppm at 100 dpi and up (tests/documents).

    The QR cannot carry the hash of the PDF it is printed in, so callers pass a URL holding a
    document id and a random key (see :func:`documents.verify.make_verify_link`).
    """
    from documents.qr import qr_matrix  # imported here (numpy, segno): only QR documents need it

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 512:
        raise ValueError(f"verify URL must be an http(s) URL of at most 512 characters: {url!r}")
    png = qr_png(qr_matrix(url))
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


#: Pixels per QR module in the embedded PNG (and one module of quiet zone around it, as before).
QR_SCALE = 4
_QR_BORDER = 1
#: segno's matrix holds 1 for a dark module: 1 → black (0x00), 0 → white (0xFF).
_MODULE_GRAY = bytes([0xFF, 0x00]) + bytes(254)


def qr_png(matrix: Sequence[bytes | bytearray]) -> bytes:
    """An 8-bit grayscale PNG of a QR matrix, :data:`QR_SCALE` pixels per module.

    Grayscale (not 1-bit): WeasyPrint converts 1-bit images to RGB, three times the data.
    """
    count = len(matrix) + 2 * _QR_BORDER
    side = count * QR_SCALE
    quiet = b"\x00" + b"\xff" * side
    edge = b"\xff" * (_QR_BORDER * QR_SCALE)
    lines = [quiet] * (_QR_BORDER * QR_SCALE)
    for row in matrix:
        gray = bytes(row).translate(_MODULE_GRAY)
        scaled = bytes(value for value in gray for _ in range(QR_SCALE))
        lines.extend([b"\x00" + edge + scaled + edge] * QR_SCALE)
    lines.extend([quiet] * (_QR_BORDER * QR_SCALE))
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        _PNG_MAGIC
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"".join(lines), 6))
        + _png_chunk(b"IEND", b"")
    )


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def seal_svg(name: str, centre: str = "★") -> str:
    """A round red seal: ``name`` along the upper arc, a star in the middle.

    Characters are placed one by one with rotations (WeasyPrint's SVG support for
    ``textPath`` is limited). The arc widens with the name's length, up to 250 degrees.

    Full-width characters (all of a committee's name, in practice) go in **one** ``<text>``
    with per-glyph ``x``/``y``/``rotate`` lists: WeasyPrint lays out every ``<text>`` twice
    and puts each centred one in its own form XObject, so one element per character cost
    ~8 ms of CPU per render against ~3 ms. Each glyph's origin is the point the old
    ``text-anchor="middle"`` + ``rotate(angle x y)`` placement put it at (a full-width glyph
    is 1 em wide), so the drawing is the same. Other characters (Latin letters, digits, whose
    widths vary) keep a centred element of their own.
    """
    chars = list(name)[:24]
    size, centre_xy = 160.0, 80.0
    font = 19.0 if len(chars) <= 12 else 15.0
    name_marks = _name_arc(chars, font, centre_xy, radius=58.0)
    star = " ".join(
        f"{centre_xy + (24 if k % 2 == 0 else 9.5) * math.cos(math.radians(-90 + 36 * k)):.1f},"
        f"{centre_xy + (24 if k % 2 == 0 else 9.5) * math.sin(math.radians(-90 + 36 * k)):.1f}"
        for k in range(10)
    )
    centre_mark = f'<polygon points="{star}"/>' if centre == "★" else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size:.0f}" height="{size:.0f}" '
        f'viewBox="0 0 {size:.0f} {size:.0f}">'
        # The documents' face first (documents.fonts), so the seal adds no second font.
        f'<g fill="{_SEAL_RED}" font-family="{fonts.FAMILY}, {fonts.SOURCE_FAMILY}">'
        f'<circle cx="80" cy="80" r="76" fill="none" stroke="{_SEAL_RED}" stroke-width="4.5"/>'
        f"{name_marks}{centre_mark}"
        f"</g></svg>"
    )


def _name_arc(chars: list[str], font: float, centre_xy: float, radius: float) -> str:
    """The name's characters along the upper arc: the full-width ones in one ``<text>``, each
    other one centred in its own (see :func:`seal_svg`)."""
    count = len(chars)
    span = min(250.0, 22.0 * max(count - 1, 1))
    xs: list[str] = []
    ys: list[str] = []
    turns: list[str] = []
    wide: list[str] = []
    narrow: list[str] = []
    for index, char in enumerate(chars):
        angle = -span / 2 + (span / (count - 1) * index if count > 1 else span / 2)
        rad = math.radians(angle - 90)
        x = centre_xy + radius * math.cos(rad)
        y = centre_xy + radius * math.sin(rad)
        if unicodedata.east_asian_width(char) in ("W", "F"):
            # Baseline-left corner of a 1 em glyph centred on (x, y), turned about (x, y).
            dx, dy, turn = -font / 2, font * 0.36, math.radians(angle)
            xs.append(f"{x + dx * math.cos(turn) - dy * math.sin(turn):.2f}")
            ys.append(f"{y + dx * math.sin(turn) + dy * math.cos(turn):.2f}")
            turns.append(f"{angle:.1f}")
            wide.append(escape(char))
        else:
            narrow.append(
                f'<text x="{x:.1f}" y="{y + font * 0.36:.1f}" font-size="{font:.0f}" '
                'text-anchor="middle" '
                f'transform="rotate({angle:.1f} {x:.1f} {y:.1f})">{escape(char)}</text>'
            )
    arc = (
        f'<text x="{" ".join(xs)}" y="{" ".join(ys)}" rotate="{" ".join(turns)}" '
        f'font-size="{font:.0f}">'
        f"{''.join(wide)}</text>"
        if wide
        else ""
    )
    return arc + "".join(narrow)


def seal_data_uri(name: str) -> str:
    """:func:`seal_svg` as a base64 ``data:image/svg+xml`` URI."""
    encoded = base64.b64encode(seal_svg(name).encode("utf-8")).decode("ascii")
    return "data:image/svg+xml;base64," + encoded
