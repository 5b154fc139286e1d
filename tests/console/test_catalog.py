"""Every console text comes from the catalogs, in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import i18n
from features.console.audit import ACTIONS
from features.console.export import COLUMNS
from mediation.case_state import CaseEvent, CaseStatus
from mediation.risk import DEFAULT_RULES, RiskLevel, RiskRule
from mediation.staff_permissions import Role

ROOT = Path(__file__).resolve().parents[2]
KEY = re.compile(r"""["'](console\.[a-z_.]+)["']""")


def _sources() -> list[Path]:
    return [
        *(ROOT / "features" / "console" / "web").rglob("*.py"),
        *(ROOT / "features" / "console" / "web" / "templates").glob("*.html"),
        *(ROOT / "features" / "console").rglob("*.py"),
    ]


def test_literal_keys_exist_in_both_languages() -> None:
    used = {k for p in _sources() for k in KEY.findall(p.read_text(encoding="utf-8"))}
    # Dynamic keys ("console.risk." ~ level) are checked by family below; file names skipped.
    used = {k for k in used if not k.endswith((".", "_", ".css", ".js"))}
    assert len(used) > 100
    for lang in i18n.LANGUAGES:
        catalog = i18n.catalog(lang)
        prefixes = {k.rsplit(".", 1)[0] for k in catalog}
        missing = sorted(k for k in used if k not in catalog and k not in prefixes)
        assert missing == [], (lang, missing)


def test_key_families_are_complete() -> None:
    families = {
        "console.risk": [r.value for r in RiskLevel],
        "console.role": [r.value for r in Role],
        "console.event": [e.value for e in CaseEvent],
        "console.audit.a": list(ACTIONS),
        "console.rule": [r.code for r in DEFAULT_RULES] + ["manual"],
        "console.export": [*COLUMNS, "sheet", "filename"],
        "console.party_status": ["joined", "pending"],
        "console.outcome": ["success", "failed", "withdrawn", "transferred", "rejected"],
        "console.timeline": [
            "created",
            "note",
            "risk",
            "escalated",
            "assigned",
            "status",
            "other",
            "file",
            "mediator_assigned",
            "outcome",
            "joined",
            "declined",
            "invite_expired",
            "deadline_reminder",
            "party_reminded",
        ],
        "console.alerts": ["kind_risk", "kind_escalated"],
        "console.ledger": ["sort_created", "sort_updated", "sort_number"],
        "console.case": ["field_phone", "field_id_number", "field_address"],
        "console.rules.error": [
            *RiskRule(
                "Bad!", RiskLevel.MAJOR, also=("x",), dispute_types=("?",), min_people=-1
            ).problems(),
            "no_condition",
            "name",
        ],
        "status": [s.value for s in CaseStatus],
    }
    for lang in i18n.LANGUAGES:
        catalog = i18n.catalog(lang)
        for prefix, names in families.items():
            missing = [n for n in names if f"{prefix}.{n}" not in catalog]
            assert missing == [], (lang, prefix, missing)


def test_no_chinese_or_english_prose_hard_coded_in_templates() -> None:
    """User-facing words live in the catalogs; templates hold markup and symbols only."""
    cjk = re.compile(r"[\u4e00-\u9fff]")
    for path in (ROOT / "features" / "console" / "web" / "templates").glob("*.html"):
        text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "", path.read_text(encoding="utf-8"), flags=re.S)
        assert not cjk.search(text), path.name
