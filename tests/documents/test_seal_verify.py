"""The committee seal (PAdES via pyHanko) and verification of sealed PDFs."""

from __future__ import annotations

import stat
from io import BytesIO
from pathlib import Path

import pytest

from documents.seal import CERT_FILE, KEY_FILE, Sealer
from documents.verify import VerifyStatus, key_matches, make_verify_link, verify, verify_async

pytestmark = pytest.mark.pdf

REASON = "人民调解协议书（2026）示调字第0001号"
LOCATION = "示范人民调解委员会"


@pytest.fixture(scope="module")
def sealed(sample_pdfs: dict[str, Path], sealer: Sealer) -> bytes:
    import asyncio

    original = sample_pdfs["mediation_agreement"].read_bytes()
    return asyncio.run(sealer.seal(original, reason=REASON, location=LOCATION))


async def test_seal_inside_a_running_loop(sample_pdfs: dict[str, Path], sealer: Sealer) -> None:
    pdf = await sealer.seal(sample_pdfs["iou_loan"].read_bytes(), reason="借条", location="线上")
    result = await verify_async(pdf, trusted=[sealer.certificate_pem])
    assert result.status is VerifyStatus.INTACT


def test_pyhanko_validates_the_seal(sealed: bytes, sealer: Sealer) -> None:
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives.serialization import Encoding
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    root = asn1_x509.Certificate.load(sealer.certificate.public_bytes(Encoding.DER))
    (embedded,) = PdfFileReader(BytesIO(sealed)).embedded_signatures
    status = validate_pdf_signature(
        embedded, ValidationContext(trust_roots=[root], allow_fetching=False)
    )
    assert status.intact and status.valid and status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.docmdp_ok
    assert embedded.field_name == "CommitteeSeal"
    assert embedded.sig_object["/Reason"] == REASON


def test_verify_intact(sealed: bytes, sealer: Sealer) -> None:
    import hashlib

    result = sealer.verify(sealed)
    assert result.status is VerifyStatus.INTACT and result.ok
    assert result.signer == "示范人民调解委员会"
    assert result.signed_at is not None and result.signed_at.tzinfo is not None
    assert result.sha256 == hashlib.sha256(sealed).hexdigest()


def _positions(sealed: bytes) -> list[int]:
    contents = sealed.index(b"/Contents <") + len(b"/Contents <")
    end = sealed.index(b">", contents)
    return [
        0,
        9,
        len(sealed) // 3,
        len(sealed) // 2,
        contents - 20,  # signature dictionary
        contents + 100,  # inside the CMS blob
        end - 2,  # zero padding after the CMS blob
        end + 5,
        len(sealed) - 10,
        len(sealed) - 1,
    ]


@pytest.mark.parametrize("index", range(10))
def test_one_byte_change_fails(sealed: bytes, sealer: Sealer, index: int) -> None:
    position = _positions(sealed)[index]
    tampered = bytearray(sealed)
    tampered[position] = tampered[position] ^ 0x01
    result = verify(bytes(tampered), trusted=[sealer.certificate_pem])
    assert result.status is VerifyStatus.MODIFIED, (position, result)


def test_appended_revision_is_modified(sealed: bytes, sealer: Sealer) -> None:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(BytesIO(sealed))
    writer.root["/Lang"] = generic.TextStringObject("en")
    writer.update_root()
    out = BytesIO()
    writer.write(out)
    result = sealer.verify(out.getvalue())
    assert result.status is VerifyStatus.MODIFIED
    assert sealer.verify(sealed + b"\n% appended\n").status is VerifyStatus.MODIFIED


def test_unsigned_and_foreign(
    sealed: bytes, sample_pdfs: dict[str, Path], tmp_path: Path, sealer: Sealer
) -> None:
    assert (
        sealer.verify(sample_pdfs["mediation_agreement"].read_bytes()).status
        is VerifyStatus.UNSIGNED
    )
    assert sealer.verify(b"not a pdf").status is VerifyStatus.UNSIGNED
    other = Sealer.from_directory(tmp_path / "other", organisation="另一个调解委员会")
    result = verify(sealed, trusted=[other.certificate_pem])
    assert result.status is VerifyStatus.FOREIGN and result.signer == "示范人民调解委员会"


def test_keys_created_once_and_private(tmp_path: Path) -> None:
    first = Sealer.from_directory(tmp_path / "keys", organisation="示范人民调解委员会")
    mode = stat.S_IMODE((tmp_path / "keys" / KEY_FILE).stat().st_mode)
    assert mode == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    again = Sealer.from_directory(tmp_path / "keys", organisation="ignored")
    assert again.fingerprint == first.fingerprint
    loaded = Sealer.from_files(tmp_path / "keys" / KEY_FILE, tmp_path / "keys" / CERT_FILE)
    assert loaded.fingerprint == first.fingerprint


def test_verify_link() -> None:
    link = make_verify_link("https://mediation.example.org/", "AGR-2026-0001")
    assert link.url == f"https://mediation.example.org/verify/AGR-2026-0001?k={link.key}"
    assert len(link.key) >= 22
    assert key_matches(link.key, link.key) and not key_matches(link.key, link.key[:-1] + "x")
    assert make_verify_link("https://x", "a").key != make_verify_link("https://x", "a").key
    with pytest.raises(ValueError):
        make_verify_link("https://x", "../etc")


def test_byte_flips_across_the_whole_file_all_fail(sealed: bytes, sealer: Sealer) -> None:
    step = len(sealed) // 60
    missed = []
    for position in range(step // 2, len(sealed), step):
        tampered = bytearray(sealed)
        tampered[position] ^= 0x20
        if verify(bytes(tampered), trusted=[sealer.certificate_pem]).ok:
            missed.append(position)
    assert missed == []
