"""Is this PDF the one we sealed, unchanged? And the verify link printed as a QR code.

:func:`verify` answers with one of four statuses:

* ``intact`` – sealed with one of our certificates, the signature is valid, it covers the whole
  file and nothing was appended;
* ``modified`` – a seal is present but the bytes no longer match it (any changed byte, an
  appended revision, or a file too damaged to read);
* ``not_signed_by_us`` – a valid signature by a certificate that is not ours;
* ``unsigned`` – no signature at all;
* ``too_complex`` – not checked: over the object or time budget (documents.verify_pool).

A QR code printed inside a PDF cannot contain that PDF's hash (the hash would change the PDF),
so it carries ``<public_url>/verify/<doc_id>?k=<random key>``: the key makes document ids
unguessable, and the verify page compares an uploaded file's SHA-256 with the stored one.
"""

from __future__ import annotations

import asyncio
import binascii
import datetime as dt
import enum
import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import hashes

if TYPE_CHECKING:
    from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

__all__ = [
    "VerifyLink",
    "VerifyResult",
    "VerifyStatus",
    "key_matches",
    "make_verify_link",
    "verify",
    "verify_async",
]

_DOC_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_SEAL_MARKERS = (b"/ByteRange", b"/SubFilter", b"ETSI.CAdES.detached", b"/DocMDP", b"/Contents <")


class VerifyStatus(enum.StrEnum):
    INTACT = "intact"
    MODIFIED = "modified"
    FOREIGN = "not_signed_by_us"
    UNSIGNED = "unsigned"
    #: Over the object or time budget of documents.verify_pool (a hostile file; issue 21).
    TOO_COMPLEX = "too_complex"


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """Outcome of :func:`verify`; ``sha256`` is of the bytes examined, whatever the status."""

    status: VerifyStatus
    sha256: str
    signer: str | None = None
    signed_at: dt.datetime | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status is VerifyStatus.INTACT


@dataclass(frozen=True, slots=True)
class VerifyLink:
    """What to print in the QR (``url``) and what to store with the document (``key``)."""

    doc_id: str
    key: str
    url: str


def make_verify_link(public_url: str, doc_id: str) -> VerifyLink:
    """A verify URL with a fresh 128-bit random key for document ``doc_id``."""
    if not _DOC_ID.match(doc_id):
        raise ValueError("doc_id must be 1-64 characters of A-Z, a-z, 0-9, _ and -")
    key = secrets.token_urlsafe(16)
    return VerifyLink(doc_id, key, f"{public_url.rstrip('/')}/verify/{doc_id}?k={key}")


def key_matches(expected: str, given: str) -> bool:
    """Constant-time comparison of the stored and presented verify keys."""
    return hmac.compare_digest(expected.encode(), given.encode())


def _load(item: bytes | x509.Certificate) -> x509.Certificate:
    return item if isinstance(item, x509.Certificate) else x509.load_pem_x509_certificate(item)


def _gap_is_canonical(pdf: bytes, embedded: EmbeddedPdfSignature) -> bool:
    """True when the unsigned gap of the file holds exactly the signature we would write.

    The ``/ByteRange`` covers everything except the ``/Contents`` hex string. Inside it, two
    kinds of change leave the decoded signature valid: flipping the case of a hex digit
    (``A``→``a`` decodes to the same byte) and changing the zero padding after the CMS blob,
    which the CMS parser ignores. Either would give a file whose SHA-256 differs from the one
    issued while its seal still "verifies", so both are refused here.
    """
    from asn1crypto import cms

    start, gap_start, gap_end, _ = (int(x) for x in embedded.sig_object["/ByteRange"])
    gap = pdf[start + gap_start : gap_end]
    raw = bytes(embedded.sig_object["/Contents"])
    if gap != b"<" + binascii.hexlify(raw).upper() + b">":
        return False
    used = len(cms.ContentInfo.load(raw, strict=False).dump())
    return raw[used:].count(0) == len(raw) - used


async def _check(
    pdf: bytes,
    embedded: EmbeddedPdfSignature,
    count: int,
    ours: dict[str, x509.Certificate],
) -> VerifyResult:
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives.serialization import Encoding
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    digest = hashlib.sha256(pdf).hexdigest()
    cert = embedded.signer_cert
    signer = str(cert.subject.native.get("common_name") or cert.subject.human_friendly)
    fingerprint = hashlib.sha256(cert.dump()).hexdigest()
    # Trust our certificates; for a foreign signer trust its own certificate only to learn
    # whether the file is intact (and to keep pyHanko from logging path-building errors).
    roots = (
        [asn1_x509.Certificate.load(c.public_bytes(Encoding.DER)) for c in ours.values()]
        if fingerprint in ours
        else [cert]
    )
    context = ValidationContext(
        trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail"
    )
    status = await async_validate_pdf_signature(embedded, context)
    signed_at = status.signer_reported_dt
    if not status.intact:
        return VerifyResult(VerifyStatus.MODIFIED, digest, signer, signed_at, "content changed")
    if not status.valid:
        return VerifyResult(VerifyStatus.MODIFIED, digest, signer, signed_at, "signature invalid")
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE or count != 1:
        return VerifyResult(VerifyStatus.MODIFIED, digest, signer, signed_at, "changes appended")
    if not _gap_is_canonical(pdf, embedded):
        return VerifyResult(
            VerifyStatus.MODIFIED, digest, signer, signed_at, "signature bytes altered"
        )
    if fingerprint not in ours:
        return VerifyResult(VerifyStatus.FOREIGN, digest, signer, signed_at, "unknown certificate")
    return VerifyResult(VerifyStatus.INTACT, digest, signer, signed_at, "sealed by us, unchanged")


async def verify_async(pdf: bytes, *, trusted: Sequence[bytes | x509.Certificate]) -> VerifyResult:
    """Check ``pdf`` against our certificate(s) ``trusted`` (PEM bytes or loaded)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    digest = hashlib.sha256(pdf).hexdigest()
    # Several independent markers: one changed byte can erase at most one of them.
    has_seal = any(marker in pdf for marker in _SEAL_MARKERS)
    unsigned = VerifyStatus.MODIFIED if has_seal else VerifyStatus.UNSIGNED
    certificates = [_load(item) for item in trusted]
    ours = {c.fingerprint(hashes.SHA256()).hex(): c for c in certificates}
    try:
        signatures = PdfFileReader(BytesIO(pdf), strict=False).embedded_signatures
    except Exception as exc:  # a damaged file raises whatever its parser hits first
        return VerifyResult(unsigned, digest, detail=f"unreadable PDF: {type(exc).__name__}")
    if not signatures:
        return VerifyResult(unsigned, digest, detail="no signature found")
    try:
        return await _check(pdf, signatures[-1], len(signatures), ours)
    except Exception as exc:  # pyHanko raises many types on damaged signatures
        return VerifyResult(
            VerifyStatus.MODIFIED, digest, detail=f"signature unreadable: {type(exc).__name__}"
        )


def verify(pdf: bytes, *, trusted: Sequence[bytes | x509.Certificate]) -> VerifyResult:
    """Synchronous :func:`verify_async` for threads and scripts.

    From a running event loop use ``await asyncio.to_thread(verify, pdf, trusted=…)`` (hashing
    and diff analysis are CPU work) or ``await verify_async(…)``.
    """
    return asyncio.run(verify_async(pdf, trusted=trusted))
