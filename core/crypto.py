"""Encryption of personal data at rest, and blind indexes to look it up.

Why a key *ring*: keys must be rotatable without downtime. The first key encrypts; every key
decrypts (``MultiFernet``); ``main.py keys rotate`` re-encrypts old rows with the first
key, after which the old key can be dropped from ``PII_KEYS``.

Why a blind index: a phone number encrypted with Fernet is different every time, so it cannot
be searched. ``blind_index`` is a keyed HMAC of the normalised value: equal inputs give equal
digests, but the digest reveals nothing without the key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

_cipher: MultiFernet | None = None
_index_key: bytes | None = None
_token_key: bytes | None = None

__all__ = [
    "InvalidToken",
    "blind_index",
    "configure",
    "derive_key",
    "load_or_create_keys",
    "load_or_create_secret",
    "pii_cipher",
]


def load_or_create_keys(configured: tuple[str, ...], data_dir: Path) -> tuple[str, ...]:
    """Keys from configuration, or a key generated once and kept under ``DATA_DIR/secrets``.

    The generated key makes the embedded default work with no configuration; operators who
    care set ``PII_KEYS`` (and back the key up: without it the data cannot be read).
    """
    if configured:
        return configured
    path = data_dir / "secrets" / "pii.key"
    if path.is_file():
        return tuple(k for k in path.read_text().split() if k)
    key = _create_once(path, Fernet.generate_key().decode())
    return tuple(k for k in key.split() if k)


def load_or_create_secret(configured: str | None, data_dir: Path) -> str:
    """The service's general secret (cookies, tokens, blind indexes); generated once if unset."""
    if configured:
        return configured
    path = data_dir / "secrets" / "secret.key"
    if path.is_file():
        return path.read_text().strip()
    return _create_once(path, base64.urlsafe_b64encode(os.urandom(32)).decode()).strip()


def _create_once(path: Path, value: str) -> str:
    """Write ``value`` to ``path`` unless it exists; return what the file holds.

    Replicas sharing DATA_DIR may start at the same moment: the file appears complete or not
    at all (written aside, then hard-linked into place), and the loser reads the winner's.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_text()


def derive_key(secret: str, purpose: str) -> bytes:
    """A separate key per purpose, so one leaked derived key does not expose the others."""
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()


def configure(keys: tuple[str, ...], secret: str) -> None:
    """Install the key ring (the first key encrypts new data) and the blind-index key.

    The blind-index key comes from ``SECRET_KEY``, not from the PII keys, so rotating the PII
    keys leaves every index valid.
    """
    global _cipher, _index_key, _token_key
    if not keys:
        raise ValueError("at least one PII key is required")
    _cipher = MultiFernet([Fernet(k.encode()) for k in keys])
    _index_key = derive_key(secret, "blind-index")
    _token_key = derive_key(secret, "search-token")


def pii_cipher() -> MultiFernet:
    if _cipher is None:
        raise RuntimeError("core.crypto.configure() was not called at start-up")
    return _cipher


def search_token(term: str) -> int:
    """A keyed 64-bit token of one search term (a character pair of a case's facts or claims):
    stored instead of the words, so the ledger finds 装修 without decrypting every case, and
    the table reveals no words to someone without ``SECRET_KEY`` (only how often each token
    occurs). Signed, to fit a BIGINT column."""
    if _token_key is None:
        raise RuntimeError("core.crypto.configure() was not called at start-up")
    digest = hmac.new(_token_key, term.encode("utf-8"), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def blind_index(value: str) -> str:
    """Deterministic keyed digest of a normalised value (e.g. a phone number)."""
    if _index_key is None:
        raise RuntimeError("core.crypto.configure() was not called at start-up")
    return hmac.new(_index_key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file as hex, read in blocks (a model's weights: 72 MB; a backup's dump)."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()
