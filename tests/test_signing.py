"""Version hashes, signature records and when an agreement takes effect (人民调解法 第二十九条)."""

from __future__ import annotations

import datetime as dt

import pytest

from documents.registry import load_sample
from mediation.signing import (
    SignatureRecord,
    SignerRole,
    SignMethod,
    effectiveness,
    sha256_hex,
    version_hash,
)

NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)


def _sig(signer: str, role: SignerRole, version: str) -> SignatureRecord:
    return SignatureRecord(signer, role, version, SignMethod.TYPED, signer, NOW)


def test_version_hash_ignores_signatures_seal_and_qr() -> None:
    agreement = load_sample("mediation_agreement")
    base = version_hash(agreement)
    signed = dict(agreement, sealed=False, verify_url="https://x/verify/1?k=2")
    signed["parties"] = [dict(p, signature={"image_png": b"\x89PNG"}) for p in agreement["parties"]]
    assert version_hash(signed) == base
    changed = dict(agreement, terms=[*agreement["terms"], "新增条款"])
    assert version_hash(changed) != base
    assert len(base) == 64


def test_sha256_hex() -> None:
    assert sha256_hex(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_effective_only_when_all_parties_mediator_and_seal() -> None:
    v = "v1"
    records = [_sig("p1", SignerRole.PARTY, v)]
    state = effectiveness(v, ["p1", "p2"], records)
    assert state.missing_parties == ("p2",) and not state.ready_for_seal and not state.effective
    records.append(_sig("p2", SignerRole.PARTY, v))
    assert not effectiveness(v, ["p1", "p2"], records).ready_for_seal
    records.append(_sig("m1", SignerRole.MEDIATOR, v))
    state = effectiveness(v, ["p1", "p2"], records)
    assert state.ready_for_seal and not state.effective
    assert effectiveness(v, ["p1", "p2"], records, sealed=True).effective


def test_signatures_on_another_version_do_not_count() -> None:
    records = [
        _sig("p1", SignerRole.PARTY, "old"),
        _sig("p2", SignerRole.PARTY, "new"),
        _sig("m1", SignerRole.MEDIATOR, "new"),
    ]
    state = effectiveness("new", ["p1", "p2"], records, sealed=True)
    assert state.missing_parties == ("p1",)
    assert not state.effective  # an early seal does not make it effective


def test_record_validation() -> None:
    with pytest.raises(ValueError):
        SignatureRecord(
            "p1", SignerRole.PARTY, "v", SignMethod.CANVAS, "abc", dt.datetime(2026, 1, 1)
        )
    with pytest.raises(ValueError):
        SignatureRecord("p1", SignerRole.PARTY, "v", SignMethod.TYPED, " ", NOW)
