"""Hostile PDFs for the /verify tests (issue 21 #1): cheap to write, costly to parse."""

from __future__ import annotations


def pdf_with_fields(fields: int, kind: bytes = b"/Sig") -> bytes:
    """A PDF whose AcroForm lists ``fields`` form fields of type ``kind``, each an object."""
    out = bytearray(b"%PDF-1.7\n")
    offsets: list[int] = []

    def obj(n: int, body: bytes) -> None:
        offsets.append(len(out))
        out.extend(b"%d 0 obj\n" % n + body + b"\nendobj\n")

    first = 4
    kids = b" ".join(b"%d 0 R" % (first + i) for i in range(fields))
    obj(1, b"<< /Type /Catalog /Pages 2 0 R /AcroForm 3 0 R >>")
    obj(2, b"<< /Type /Pages /Kids [] /Count 0 >>")
    obj(3, b"<< /Fields [" + kids + b"] /SigFlags 3 >>")
    for i in range(fields):
        value = (
            b"<< /Type /Sig /Contents <00> /ByteRange [0 1 2 3] >>" if kind == b"/Sig" else b"(x)"
        )
        obj(first + i, b"<< /FT " + kind + b" /T (f%d) /V " % i + value + b" >>")
    xref = len(out)
    total = first + fields
    out.extend(b"xref\n0 %d\n0000000000 65535 f \n" % total)
    for offset in offsets:
        out.extend(b"%010d 00000 n \n" % offset)
    out.extend(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (total, xref))
    return bytes(out)
