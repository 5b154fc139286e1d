"""What a person may upload as evidence, recognised by its first bytes (never by its name or a
header a browser sends): photos, PDFs and the voice recordings browsers make (MediaRecorder's
WebM in Chrome, OGG in Firefox). The street's registration form and the browser chat each add
a kind of their own (:func:`m4a`, :func:`webp`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

#: (extension, MIME type, kind: photo | document | voice)
Kind = tuple[str, str, str]
#: A recogniser beyond the plain magic numbers (the kind, or None when it is not that).
Recogniser = Callable[[bytes], Kind | None]

#: (magic at the start, extension, MIME type, kind)
FILE_KINDS = (
    (b"\x89PNG\r\n\x1a\n", "png", "image/png", "photo"),
    (b"\xff\xd8\xff", "jpg", "image/jpeg", "photo"),
    (b"%PDF-", "pdf", "application/pdf", "document"),
    (b"\x1a\x45\xdf\xa3", "webm", "audio/webm", "voice"),
    (b"OggS", "ogg", "audio/ogg", "voice"),
)


def m4a(head: bytes) -> Kind | None:
    """An MPEG-4 audio recording (a phone's voice memo): ``ftyp`` after the box size."""
    return ("m4a", "audio/mp4", "voice") if head[4:8] == b"ftyp" else None


def webp(head: bytes) -> Kind | None:
    """A WebP photo: a RIFF container of type ``WEBP``."""
    return (
        ("webp", "image/webp", "photo") if head[:4] == b"RIFF" and head[8:12] == b"WEBP" else None
    )


def sniff(head: bytes, also: Sequence[Recogniser] = ()) -> Kind | None:
    """The kind of a file from its first 16 bytes, or None when it is none the caller takes."""
    for magic, ext, mime, kind in FILE_KINDS:
        if head.startswith(magic):
            return ext, mime, kind
    for recognise in also:
        found = recognise(head)
        if found is not None:
            return found
    return None
