"""Every message the agreements feature shows exists in both catalogs, including the keys it
builds at run time (sections, clause blanks, flags, states)."""

from __future__ import annotations

import re
from pathlib import Path

import i18n
from documents.clauses import COMMON_CLAUSES, DISPUTE_TYPES, clauses_for
from documents.verify import VerifyStatus
from features.agreements.web import PAGE_STRINGS
from mediation.agreement import CourtBasis, Section
from mediation.confirmability import NOT_CONFIRMABLE, Category

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    *sorted((ROOT / "features" / "agreements").glob("*.py")),
    ROOT / "mediation" / "agreement.py",
    ROOT / "mediation" / "confirmability.py",
    ROOT / "features" / "agreements" / "web.py",
    ROOT / "features" / "verify" / "web.py",
]


def _expected() -> set[str]:
    keys: set[str] = set()
    for path in SOURCES:
        for key in re.findall(r"""["'](agreements\.[a-z_.]+)["']""", path.read_text("utf-8")):
            if not key.endswith(("_", ".")):
                keys.add(key)
    keys |= {f"agreements.ask_{s.value}" for s in Section}
    keys |= {f"agreements.btn_edit_{s.value}" for s in Section}
    keys |= {f"agreements.flag_{c.value}" for c in NOT_CONFIRMABLE}
    keys |= {f"agreements.terms.suggest_{c.value}" for c in Category}
    keys |= {f"agreements.offer_basis_{b}" for b in ("organisation", "inviting_court")}
    keys |= {f"agreements.referral_{s}" for s in ("court_referral", "court_entrusted")}
    keys |= {f"agreements.basis_{b.value}" for b in CourtBasis}
    keys |= {f"agreements.state_{s}" for s in ("signed", "declined", "waiting")}
    keys |= {
        f"agreements.jc_status_{s}"
        for s in (
            "offered",
            "applied",
            "declined",
            "expired",
            "not_confirmable",
            "entrusted",
            "submitted",
        )
    }
    keys |= {f"agreements.web.{k}" for k in PAGE_STRINGS}
    keys |= {
        f"agreements.web.err_{r}"
        for r in (
            "malformed",
            "forged",
            "stale",
            "replay",
            "not_found",
            "too_large",
            "bad_image",
            "empty",
            "unavailable",
        )
    }
    keys |= {f"agreements.verify.reason_{s.value}" for s in VerifyStatus} | {
        "agreements.verify.reason_different"
    }
    for dispute in DISPUTE_TYPES:
        for clause in (*clauses_for(dispute), *COMMON_CLAUSES):
            keys |= {f"agreements.field.{name}" for name in clause.fields}
    return keys


def test_every_key_exists_in_both_languages() -> None:
    zh, en = i18n.catalog("zh-CN"), i18n.catalog("en")
    expected = _expected()
    assert len(expected) > 150
    assert sorted(expected - set(zh)) == []
    assert sorted(expected - set(en)) == []


def test_english_is_english_and_chinese_is_chinese() -> None:
    zh, en = i18n.catalog("zh-CN"), i18n.catalog("en")
    for key in (k for k in zh if k.startswith("agreements.") and ".field." not in k):
        assert re.search(r"[\u4e00-\u9fff]", zh[key]) or key.endswith(
            ("term_line", "issued_caption", "status_line", "party_line", "missing_party")
        ), key
    assert "Sign the mediation agreement" in en["agreements.web.title"]
