"""Importing typical cases (典型案例) from JSON or YAML.

The file holds a list of cases (or ``{"cases": [...]}``), each with ``title``, ``dispute_type``
(one of :data:`legal_kb.disputes.DISPUTE_TYPES`), ``facts``, ``outcome``, optionally ``key``
(stable id; defaults to a hash of the title), ``citations`` (list of citation strings such as
"《民法典》第一千零八十四条") and ``source``. Errors name the file and the line where the
offending case starts: for JSON the array elements are decoded one by one to know their offset,
for YAML the parser's node marks give it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml

from legal_kb.disputes import DISPUTE_TYPES
from legal_kb.importers import ImportFormatError
from legal_kb.records import CaseInput

_REQUIRED = ("title", "dispute_type", "facts", "outcome")
_ALLOWED = frozenset({*_REQUIRED, "key", "citations", "source"})


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _json_items(path: Path, text: str) -> list[tuple[int, Any]]:
    decoder = json.JSONDecoder()
    pos = len(text) - len(text.lstrip())
    if text[pos : pos + 1] == "{":
        try:
            whole = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ImportFormatError(path, exc.lineno, exc.msg) from exc
        if not isinstance(whole, dict) or not isinstance(whole.get("cases"), list):
            raise ImportFormatError(path, 1, 'expected a list of cases or {"cases": [...]}')
        key_at = text.find('"cases"')
        pos = text.index("[", key_at)
    if text[pos : pos + 1] != "[":
        raise ImportFormatError(path, _line_of(text, pos), "expected a JSON list of cases")
    items: list[tuple[int, Any]] = []
    pos += 1
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text):
            raise ImportFormatError(path, _line_of(text, pos), "unterminated list")
        if text[pos] == "]":
            return items
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise ImportFormatError(path, exc.lineno, exc.msg) from exc
        items.append((_line_of(text, pos), value))
        pos = end


def _yaml_items(path: Path, text: str) -> list[tuple[int, Any]]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ImportFormatError(path, None if mark is None else mark.line + 1, str(exc)) from exc
    if isinstance(node, yaml.MappingNode) and isinstance(data, dict):
        for key_node, value_node in node.value:
            if key_node.value == "cases":
                node, data = value_node, data.get("cases")
                break
    if not isinstance(node, yaml.SequenceNode) or not isinstance(data, list):
        raise ImportFormatError(path, 1, "expected a list of cases")
    return [(child.start_mark.line + 1, item) for child, item in zip(node.value, data, strict=True)]


def read_cases(path: Path) -> list[CaseInput]:
    """Validated cases from a .json, .yaml or .yml file."""
    if not path.is_file():
        raise ImportFormatError(path, None, "file not found")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFormatError(path, None, "not UTF-8 text") from exc
    suffix = path.suffix.lower()
    if suffix == ".json":
        items = _json_items(path, text)
    elif suffix in (".yaml", ".yml"):
        items = _yaml_items(path, text)
    else:
        raise ImportFormatError(path, None, f"unsupported file type {suffix!r} (use .json, .yaml)")
    cases: list[CaseInput] = []
    seen: set[str] = set()
    for line, item in items:
        case = _case(path, line, item)
        if case.key in seen:
            raise ImportFormatError(path, line, f"duplicate case key {case.key!r}")
        seen.add(case.key)
        cases.append(case)
    return cases


def _case(path: Path, line: int, item: Any) -> CaseInput:
    if not isinstance(item, dict):
        raise ImportFormatError(path, line, "a case must be an object/mapping")
    unknown = set(item) - _ALLOWED
    if unknown:
        raise ImportFormatError(path, line, f"unknown fields: {', '.join(sorted(unknown))}")
    for name in _REQUIRED:
        value = item.get(name)
        if not isinstance(value, str) or not value.strip():
            raise ImportFormatError(path, line, f"missing or empty {name!r}")
    if item["dispute_type"] not in DISPUTE_TYPES:
        raise ImportFormatError(
            path,
            line,
            f"dispute_type {item['dispute_type']!r} is not one of {', '.join(DISPUTE_TYPES)}",
        )
    citations = item.get("citations") or []
    if not isinstance(citations, list) or not all(isinstance(c, str) for c in citations):
        raise ImportFormatError(path, line, "citations must be a list of strings")
    title = item["title"].strip()
    key = str(item.get("key") or "case:" + hashlib.sha1(title.encode()).hexdigest()[:16])
    return CaseInput(
        key=key,
        title=title,
        dispute_type=item["dispute_type"],
        facts=item["facts"].strip(),
        outcome=item["outcome"].strip(),
        citations=tuple(c.strip() for c in citations),
        source=str(item["source"]) if item.get("source") else None,
        line=line,
    )
