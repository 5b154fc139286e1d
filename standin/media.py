"""Files the bot uploaded or simulated users "sent", addressable like Telegram's.

Telegram hands out opaque ``file_id``s and, via ``getFile``, a relative
``file_path`` that is downloaded from ``/file/bot<token>/<file_path>``.  The
store keeps the original bytes so a test can assert that what a user sent is
exactly what the bot downloaded (and vice versa).
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from itertools import count

from .models import JSONDict, bad_request
from .params import UploadedFile

_EXTENSIONS = {
    "photo": ("photos", "jpg"),
    "document": ("documents", "bin"),
    "voice": ("voice", "oga"),
    "audio": ("music", "mp3"),
    "sticker": ("stickers", "webp"),
}
_ID_PREFIX = {
    "photo": "AgAC",
    "document": "BQAC",
    "voice": "AwAC",
    "audio": "CQAC",
    "sticker": "CAAC",
}
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
MAX_DOWNLOAD = 20 * 1024 * 1024


@dataclass
class StoredFile:
    """One downloadable file; several ``PhotoSize``s may share the same bytes."""

    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    file_path: str
    mime_type: str | None = None
    file_name: str | None = None
    width: int = 0
    height: int = 0
    source_url: str | None = None

    def describe(self) -> JSONDict:
        """The common ``file_id``/``file_unique_id``/``file_size`` triple."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
        }


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) for PNG, JPEG, GIF, WebP and BMP; ``None`` if not an image.

    Telegram rejects non-images sent as photos with IMAGE_PROCESS_FAILED, so
    the fake has to recognise real images without pulling in Pillow.
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data.startswith(b"BM") and len(data) >= 26:
        width, height = struct.unpack("<ii", data[18:26])
        return abs(int(width)), abs(int(height))
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP" and len(data) >= 30:
        if data[12:16] == b"VP8X":
            width = int.from_bytes(data[24:27], "little") + 1
            height = int.from_bytes(data[27:30], "little") + 1
            return width, height
        return 512, 512
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return int(width), int(height)
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        i += 2 + length
    return None


def make_png(width: int = 8, height: int = 8, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A valid solid-colour PNG, for tests and demos that need "a photo"."""

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def make_ogg(duration: int = 1) -> bytes:
    """Bytes that look like an OGG/Opus voice note (header only; not playable)."""
    return (
        b"OggS\x00\x02"
        + b"\x00" * 20
        + b"OpusHead"
        + bytes([1, 1])
        + duration.to_bytes(4, "little")
    )


class FileStore:
    """All files known to the server, by ``file_id`` and by ``file_path``."""

    def __init__(self) -> None:
        self.by_id: dict[str, StoredFile] = {}
        self.by_path: dict[str, StoredFile] = {}
        self._counter = count(1)

    def _token(self, n: int, width: int) -> str:
        chars = []
        for _ in range(width):
            n, rem = divmod(n * 2654435761 + 97, len(_ALPHABET))
            chars.append(_ALPHABET[rem])
        return "".join(chars)

    def add(
        self,
        data: bytes,
        kind: str,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        width: int = 0,
        height: int = 0,
        source_url: str | None = None,
    ) -> StoredFile:
        """Register bytes under a fresh ``file_id`` and ``file_path``."""
        n = next(self._counter)
        folder, ext = _EXTENSIONS.get(kind, ("documents", "bin"))
        if file_name and "." in file_name and kind in ("document", "audio"):
            ext = file_name.rsplit(".", 1)[1].lower()[:8] or ext
        stored = StoredFile(
            file_id=f"{_ID_PREFIX.get(kind, 'BQAC')}AgIStandin{n:06d}{self._token(n, 24)}",
            file_unique_id=f"AQAD{n:06d}{self._token(n + 7, 6)}",
            kind=kind,
            data=data,
            file_path=f"{folder}/file_{n}.{ext}",
            mime_type=mime_type,
            file_name=file_name,
            width=width,
            height=height,
            source_url=source_url,
        )
        self.by_id[stored.file_id] = stored
        self.by_path[stored.file_path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile:
        """Look up a ``file_id`` the way ``getFile`` does."""
        stored = self.by_id.get(file_id)
        if stored is None:
            raise bad_request("invalid file_id")
        return stored

    def clear(self) -> None:
        """Forget every file (ids keep increasing so stale ids never alias new files)."""
        self.by_id.clear()
        self.by_path.clear()

    def resolve_input(
        self, value: object, params: JSONDict, kind: str, what: str
    ) -> tuple[StoredFile, bool]:
        """Turn an InputFile parameter into a stored file.

        Accepts a multipart upload, ``attach://<part>``, an existing ``file_id``
        (re-sending) or an HTTP URL (recorded, not fetched: the fake never goes
        to the network).  Returns ``(file, is_new_upload)``.
        """
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value[len("attach://") :])
        if isinstance(value, UploadedFile):
            if not value.data:
                raise bad_request("file must be non-empty")
            width = height = 0
            if kind == "photo":
                size = image_size(value.data)
                if size is None:
                    raise bad_request("IMAGE_PROCESS_FAILED")
                width, height = size
                if not width or not height:
                    raise bad_request("PHOTO_INVALID_DIMENSIONS")
            stored = self.add(
                value.data,
                kind,
                file_name=value.filename,
                mime_type=value.content_type,
                width=width,
                height=height,
            )
            return stored, True
        if isinstance(value, str) and value:
            if value in self.by_id:
                return self.by_id[value], False
            if value.startswith(("http://", "https://")):
                return self.add(b"", kind, source_url=value, width=1, height=1), True
            raise bad_request("wrong file identifier/HTTP URL specified")
        raise bad_request(f"there is no {what} in the request")

    def photo_sizes(self, original: StoredFile) -> list[JSONDict]:
        """PhotoSize list, smallest first, as Telegram returns for a photo upload."""
        sizes: list[JSONDict] = []
        width, height = original.width or 1, original.height or 1
        if max(width, height) > 90:
            scale = 90 / max(width, height)
            thumb = self.add(
                original.data,
                "photo",
                width=max(1, round(width * scale)),
                height=max(1, round(height * scale)),
            )
            sizes.append({**thumb.describe(), "width": thumb.width, "height": thumb.height})
        sizes.append({**original.describe(), "width": width, "height": height})
        return sizes
