"""The agreement as the signing page shows it: the version's own text, readable on a phone.

Why: the page asked people to compare a 64-character hash and showed neither the text nor the
PDF (issue 19). A signer now reads what they sign, section by section, from the version's
content — the same content whose hash the signature is bound to. The signer's own details are
shown in full (they check them); every other party is named masked, here and wherever their
name appears in the mediator's text: the full document, with everyone's identity, is the PDF
the chat already delivered and the page links to.

The body is document text (Chinese, like the PDF: features.agreements.contexts); the section
headings are interface text, translated by the page's catalogue keys (``agreements.web.h_*``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from documents.formats import cn_date
from mediation.masking import mask_name


def _person_line(p: Mapping[str, Any]) -> str:
    """The party's identity as the 协议书 prints it (documents/templates/zh-CN/_macros.html)."""
    parts = [str(p.get("name", ""))]
    if p.get("kind") == "org":
        for key, label in (
            ("credit_code", "统一社会信用代码："),
            ("address", "住所地："),
            ("legal_rep", "法定代表人（负责人）："),
            ("phone", "联系电话："),
        ):
            if p.get(key):
                parts.append(f"{label}{p[key]}")
    else:
        if p.get("gender"):
            parts.append(str(p["gender"]))
        if p.get("birth_date"):
            parts.append(f"{cn_date(str(p['birth_date']))}出生")
        elif p.get("age"):
            parts.append(f"{p['age']}岁")
        for key, label in (
            ("ethnicity", ""),
            ("occupation", ""),
            ("id_number", "公民身份号码："),
            ("address", "住址："),
            ("phone", "联系电话："),
        ):
            if p.get(key):
                parts.append(f"{label}{p[key]}")
    line = "，".join(parts)
    for agent in p.get("agents") or ():
        line += f"。{agent}"
    return line


def _others(content: Mapping[str, Any], own: Collection[str]) -> dict[str, str]:
    """Full names of the people this signer does not sign for → their masked form."""
    names: dict[str, str] = {}
    for p in content.get("parties", []):
        if p.get("signer") in own:
            continue
        for name in (p.get("name"), p.get("signatory")):
            if name and len(str(name)) > 1:
                names[str(name)] = mask_name(str(name))
    return names


def _masked(text: str, names: Mapping[str, str]) -> str:
    for name in sorted(names, key=len, reverse=True):  # 欧阳娜娜 before 欧阳
        text = text.replace(name, names[name])
    return text


def _paragraphs(text: object, names: Mapping[str, str]) -> list[str]:
    return [_masked(line.strip(), names) for line in str(text or "").splitlines() if line.strip()]


def agreement_view(content: Mapping[str, Any], own: Iterable[str]) -> dict[str, Any]:
    """What ``/webapp/sign/info`` sends as ``agreement``: parties, then sections of text.

    ``own``: the signer ids this signer signs for (their own seat, and any they sign as agent).
    Each section is ``{"key", "paragraphs"}`` or, for the terms, ``{"key", "items"}``; the
    performance section is label/value ``rows`` whose labels are catalogue keys too.
    """
    mine = set(own)
    names = _others(content, mine)
    parties = []
    for p in content.get("parties", []):
        if p.get("signer") in mine:
            parties.append({"role": str(p.get("role", "")), "text": _person_line(p), "own": True})
        else:
            masked = mask_name(str(p.get("name", "")))
            parties.append({"role": str(p.get("role", "")), "text": masked, "own": False})
    performance = content.get("performance") or {}
    deadline = str(performance.get("deadline", ""))
    sections: list[dict[str, Any]] = [
        {"key": "facts", "paragraphs": _paragraphs(content.get("facts"), names)},
        {"key": "disputes", "paragraphs": _paragraphs(content.get("disputes"), names)},
        {
            "key": "responsibilities",
            "paragraphs": _paragraphs(content.get("responsibilities"), names),
        },
        {"key": "terms", "items": [_masked(str(t), names) for t in content.get("terms", [])]},
        {
            "key": "performance",
            "rows": [
                ["method", _masked(str(performance.get("method", "")), names)],
                ["place", _masked(str(performance.get("place", "")), names)],
                ["deadline", cn_date(deadline) if deadline else ""],
            ],
        },
    ]
    return {
        "committee": str((content.get("committee") or {}).get("name", "")),
        "parties": parties,
        "sections": [s for s in sections if s.get("paragraphs") or s.get("items") or s.get("rows")],
        "copies": int(content.get("copies", 0) or 0),
        "date": cn_date(str(content["date"])) if content.get("date") else "",
    }
