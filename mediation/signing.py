"""Who signed which version of an agreement, and whether it has taken effect. Pure functions.

Parties sign a *version* of the agreement: the SHA-256 of its canonical content (the context
without signatures, QR or seal). Any edit makes a new version, and signatures on an older
version no longer count, so nobody is bound by terms they did not see.

人民调解法 第二十九条 (read in laws.db): a 调解协议书 takes effect once every party has signed,
sealed or put a fingerprint on it, the mediator has signed, and the committee's seal is affixed.
Hence the order here: all parties → mediator → the committee seal is applied → effective.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "VOLATILE_KEYS",
    "Effectiveness",
    "SignMethod",
    "SignatureRecord",
    "SignerRole",
    "effectiveness",
    "sha256_hex",
    "version_hash",
]

#: Context keys that change while an agreement is signed and sealed, not its content.
#: What sealing adds to the approved text (so the hash the parties signed still matches): the
#: signatures, the seal, the verify link, ``sealed_on`` (the day the seal made it effective), the
#: 签署存证 page's rows and the host's signature on a 治安调解协议书.
VOLATILE_KEYS = frozenset(
    {
        "signature",
        "signatures",
        "sealed",
        "verify_url",
        "doc_id",
        "sealed_on",
        "sign_evidence",
        "host_signature",
    }
)


class SignerRole(enum.StrEnum):
    PARTY = "party"
    MEDIATOR = "mediator"


class SignMethod(enum.StrEnum):
    CANVAS = "canvas"  # drawn on a phone canvas; ``evidence`` is the PNG's SHA-256
    TYPED = "typed"  # typed name after identity check; ``evidence`` is the typed name
    #: Signed by hand on the printed version; the scan, checked by the mediator against the
    #: version, is kept whole (``evidence`` is the scan's SHA-256).
    HANDWRITTEN = "handwritten"


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of raw bytes (a PDF, a signature PNG)."""
    return hashlib.sha256(data).hexdigest()


def _strip(node: Any) -> Any:
    if isinstance(node, Mapping):
        return {k: _strip(v) for k, v in node.items() if k not in VOLATILE_KEYS}
    if isinstance(node, list | tuple):
        return [_strip(item) for item in node]
    if isinstance(node, bytes):
        return sha256_hex(node)
    return node


def version_hash(content: Mapping[str, Any]) -> str:
    """SHA-256 of the agreement's canonical JSON, ignoring :data:`VOLATILE_KEYS` at any depth.

    Canonical: sorted keys, no whitespace, UTF-8; non-JSON values (Decimal, dates) by ``str``.
    """
    canonical = json.dumps(
        _strip(content), sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return sha256_hex(canonical.encode("utf-8"))


@dataclass(frozen=True, slots=True)
class SignatureRecord:
    """One signature: ``signer_id`` (a party id or the mediator's staff id) on ``version``."""

    signer_id: str
    role: SignerRole
    version: str
    method: SignMethod
    evidence: str
    signed_at: dt.datetime

    def __post_init__(self) -> None:
        if self.signed_at.tzinfo is None:
            raise ValueError("signed_at must be timezone-aware")
        if not self.evidence.strip():
            raise ValueError("evidence (image hash or typed name) must not be empty")


@dataclass(frozen=True, slots=True)
class Effectiveness:
    """Where an agreement version stands on the way to taking effect."""

    version: str
    missing_parties: tuple[str, ...]
    mediator_signed: bool
    sealed: bool

    @property
    def parties_signed(self) -> bool:
        return not self.missing_parties

    @property
    def ready_for_seal(self) -> bool:
        """Every party and the mediator signed this version: the committee may now seal it."""
        return self.parties_signed and self.mediator_signed

    @property
    def effective(self) -> bool:
        """人民调解法 第二十九条: all parties signed, mediator signed, committee seal affixed."""
        return self.ready_for_seal and self.sealed


def effectiveness(
    version: str,
    party_ids: Sequence[str],
    records: Iterable[SignatureRecord],
    *,
    sealed: bool = False,
) -> Effectiveness:
    """Evaluate ``records`` for agreement ``version`` with parties ``party_ids``.

    Signatures on other versions are ignored. ``sealed`` counts only once the version is ready
    for the seal: a seal applied early does not make an unsigned agreement effective.
    """
    if not party_ids:
        raise ValueError("an agreement needs at least one party")
    current = [record for record in records if record.version == version]
    signed_parties = {r.signer_id for r in current if r.role is SignerRole.PARTY}
    mediator = any(r.role is SignerRole.MEDIATOR for r in current)
    missing = tuple(pid for pid in party_ids if pid not in signed_parties)
    ready = not missing and mediator
    return Effectiveness(version, missing, mediator, sealed and ready)
