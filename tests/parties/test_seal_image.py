"""documents.images.seal_png: an organisation's seal, photographed, made printable."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw

from documents.errors import InvalidImageError
from documents.images import SEAL_SIDE, png_data_uri, seal_png


def stamp_photo(side: int = 1200, fmt: str = "JPEG") -> bytes:
    """A red ring stamped on white paper, as a phone photographs it."""
    image = Image.new("RGB", (side, side), (255, 255, 255))
    ImageDraw.Draw(image).ellipse(
        (side // 8, side // 8, side * 7 // 8, side * 7 // 8),
        outline=(210, 20, 20),
        width=side // 20,
    )
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def test_a_photographed_seal_becomes_a_bounded_png_with_the_paper_transparent() -> None:
    png = seal_png(stamp_photo())
    assert png_data_uri(png).startswith("data:image/png")  # the renderer accepts it
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (SEAL_SIDE, SEAL_SIDE) and image.mode == "RGBA"
        corner, ring = image.getpixel((2, 2)), image.getpixel((SEAL_SIDE // 2, SEAL_SIDE // 8 + 5))
    assert isinstance(corner, tuple) and isinstance(ring, tuple)  # RGBA pixels
    assert corner[3] == 0  # white paper: transparent
    assert ring[3] == 255 and ring[0] > 150 and ring[1] < 100  # red ink kept


def test_a_small_png_scan_is_not_enlarged() -> None:
    with Image.open(io.BytesIO(seal_png(stamp_photo(200, "PNG")))) as image:
        assert image.size == (200, 200)


@pytest.mark.parametrize("data", [b"", b"not an image", b"\x89PNG\r\n\x1a\n" + b"\0" * 40])
def test_anything_else_is_refused(data: bytes) -> None:
    with pytest.raises(InvalidImageError):
        seal_png(data)


def test_a_claimed_giant_is_refused_before_decoding() -> None:
    giant = io.BytesIO()
    Image.new("1", (8000, 8000)).save(giant, "PNG")  # 64 megapixels, a few KB
    with pytest.raises(InvalidImageError):
        seal_png(giant.getvalue())
