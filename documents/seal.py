"""The committee's electronic seal: a PAdES signature over the finished PDF.

The organisation's key and a self-signed certificate are created on first use in a directory
the service passes in (``DATA_DIR/keys``), or loaded from configured paths. A self-signed
certificate proves "issued by this service and not changed since"; it is not a
government-issued e-seal certificate, and the verify page says so.

The signature is a certification signature permitting no changes (party signature images are
embedded before rendering, so nothing needs to be added afterwards) and has an invisible
appearance: the visible red seal is drawn in the HTML (:mod:`documents.images`), because a
Chinese text stamp in pyHanko needs a non-``.ttc`` font and costs ~0.8 s per signature.
pyHanko's async API is used: its ``sign_pdf`` calls ``asyncio.run`` and fails inside a loop.
"""

from __future__ import annotations

import datetime as dt
import os
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

if TYPE_CHECKING:
    from documents.verify import VerifyResult

__all__ = ["SEAL_FIELD", "Sealer", "create_key_and_certificate"]

#: Name of the signature field holding the committee's seal.
SEAL_FIELD = "CommitteeSeal"
KEY_FILE = "seal-key.pem"
CERT_FILE = "seal-cert.pem"
_VALID_YEARS = 20
#: Room for the CMS blob (certificate + RSA-3072 signature ≈ 2.5 KB) with a wide margin.
_RESERVED_BYTES = 8192


def create_key_and_certificate(
    organisation: str, *, years: int = _VALID_YEARS
) -> tuple[bytes, bytes]:
    """A new RSA-3072 key and self-signed certificate for ``organisation``, both PEM.

    RSA rather than ECDSA because every PDF reader in use verifies RSA; 3072 bits for a
    certificate meant to outlive its documents' retention period.
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation[:64]),
            x509.NameAttribute(NameOID.COMMON_NAME, organisation[:64]),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return key_pem, certificate.public_bytes(serialization.Encoding.PEM)


def _write_private(path: Path, data: bytes) -> None:
    """Create ``path`` readable by the owner only, refusing to overwrite an existing key."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


class Sealer:
    """Applies the committee's seal; one instance per process, reused for every document."""

    def __init__(self, key_pem: bytes, cert_pem: bytes, *, passphrase: bytes | None = None) -> None:
        from pyhanko.keys import load_certs_from_pemder_data

        self.certificate_pem = cert_pem
        self._certificate = x509.load_pem_x509_certificate(cert_pem)
        private_key = serialization.load_pem_private_key(key_pem, password=passphrase)
        if not isinstance(private_key, rsa.RSAPrivateKey):
            raise ValueError("the seal key must be an RSA key")
        (cert,) = load_certs_from_pemder_data(cert_pem)
        self._signer = _cached_key_signer(cert, private_key)

    @classmethod
    def from_directory(cls, key_dir: Path, *, organisation: str) -> Sealer:
        """Load ``seal-key.pem``/``seal-cert.pem`` from ``key_dir``, creating them if absent."""
        import fcntl

        key_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        key_path, cert_path = key_dir / KEY_FILE, key_dir / CERT_FILE
        # Replicas sharing DATA_DIR start together: one creates the pair, the others wait
        # for it and load the same one (two keys would make half the seals unverifiable).
        with (key_dir / ".create.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not key_path.exists() and not cert_path.exists():
                key_pem, cert_pem = create_key_and_certificate(organisation)
                cert_tmp = cert_path.with_suffix(".tmp")
                cert_tmp.write_bytes(cert_pem)
                _write_private(key_path, key_pem)
                cert_tmp.replace(cert_path)
        return cls.from_files(key_path, cert_path)

    @classmethod
    def from_files(
        cls, key_path: Path, cert_path: Path, *, passphrase: bytes | None = None
    ) -> Sealer:
        """Load a configured key and certificate (PEM)."""
        return cls(key_path.read_bytes(), cert_path.read_bytes(), passphrase=passphrase)

    @property
    def certificate(self) -> x509.Certificate:
        return self._certificate

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the certificate (DER), hex: what the verify page shows and compares."""
        return self._certificate.fingerprint(hashes.SHA256()).hex()

    @property
    def signer_name(self) -> str:
        names = self._certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(names[0].value) if names else self._certificate.subject.rfc4514_string()

    async def seal(self, pdf: bytes, *, reason: str, location: str) -> bytes:
        """Return ``pdf`` with the committee's PAdES seal (invisible, no changes permitted)."""
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import fields, signers

        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
        metadata = signers.PdfSignatureMetadata(
            field_name=SEAL_FIELD,
            reason=reason,
            location=location,
            name=self.signer_name,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            certify=True,
            docmdp_permissions=fields.MDPPerm.NO_CHANGES,
        )
        signer = signers.PdfSigner(
            metadata, signer=self._signer, new_field_spec=fields.SigFieldSpec(SEAL_FIELD)
        )
        output = BytesIO()
        # A fixed reservation skips pyHanko's size estimate (a second, dummy signature).
        await signer.async_sign_pdf(writer, output=output, bytes_reserved=_RESERVED_BYTES)
        return output.getvalue()

    def verify(self, pdf: bytes) -> VerifyResult:
        """Verify ``pdf`` against this sealer's certificate (see :func:`documents.verify.verify`)."""
        from documents.verify import verify

        return verify(pdf, trusted=[self.certificate_pem])


def _cached_key_signer(cert: Any, private_key: rsa.RSAPrivateKey) -> Any:
    """A pyHanko ``SimpleSigner`` that keeps the loaded key object.

    ``SimpleSigner.sign_raw`` re-parses the DER key on every call, and cryptography's RSA key
    consistency check made that ~180 ms per seal; PKCS#1 v1.5 signing with the cached key takes
    a few milliseconds. Other mechanisms fall back to the stock implementation.
    """
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from pyhanko.keys.internal import translate_pyca_cryptography_key_to_asn1
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko_certvalidator.registry import SimpleCertificateStore
    from pyhanko_certvalidator.util import get_pyca_cryptography_hash

    class _Signer(SimpleSigner):
        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
            if mechanism.signature_algo == "rsassa_pkcs1v15":
                hash_algo = get_pyca_cryptography_hash(digest_algorithm)
                return private_key.sign(data, PKCS1v15(), hash_algo)
            return super().sign_raw(data, digest_algorithm)

    return _Signer(
        signing_cert=cert,
        signing_key=translate_pyca_cryptography_key_to_asn1(private_key),
        cert_registry=SimpleCertificateStore(),  # type: ignore[no-untyped-call]
    )
