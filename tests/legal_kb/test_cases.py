"""Typical cases: JSON and YAML import, errors with file and line, similarity."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from legal_kb.importers import ImportFormatError
from legal_kb.importers.cases import read_cases
from legal_kb.imports import import_cases
from legal_kb.service import KnowledgeBase
from storage.db import Database

# Case descriptions are invented for the test; they contain no statute text.
CASES: list[dict[str, Any]] = [
    {
        "key": "wage-1",
        "title": "装修工人追讨拖欠工资",
        "dispute_type": "labour_wages",
        "facts": "工人为包工头干活三个月，包工头拖欠工资一万二千元不付。",
        "outcome": "调解员组织双方核对工时，包工头分两期付清。",
        "citations": ["劳动合同法第三十条"],
    },
    {
        "key": "leak-1",
        "title": "楼上漏水泡坏天花板",
        "dispute_type": "neighbour",
        "facts": "楼上卫生间漏水，楼下住户天花板和墙面被泡坏，双方对维修费用有争议。",
        "outcome": "楼上住户承担维修费用并向楼下道歉。",
    },
    {
        "key": "gift-1",
        "title": "解除婚约后返还彩礼",
        "dispute_type": "marriage_family",
        "facts": "双方订婚后未办理结婚登记，男方要求返还彩礼。",
        "outcome": "女方返还大部分彩礼。",
    },
]


def test_json_and_yaml_read_the_same(tmp_path: Path) -> None:
    as_json = tmp_path / "cases.json"
    as_json.write_text(json.dumps(CASES, ensure_ascii=False, indent=2), encoding="utf-8")
    as_yaml = tmp_path / "cases.yaml"
    as_yaml.write_text(yaml.safe_dump({"cases": CASES}, allow_unicode=True), encoding="utf-8")
    from_json = [replace(c, line=None) for c in read_cases(as_json)]
    from_yaml = [replace(c, line=None) for c in read_cases(as_yaml)]
    assert from_json == from_yaml
    assert [c.key for c in from_json] == ["wage-1", "leak-1", "gift-1"]
    assert read_cases(as_json)[0].citations == ("劳动合同法第三十条",)


def test_json_error_names_line(tmp_path: Path) -> None:
    bad = [dict(CASES[0]), {**CASES[1], "dispute_type": "pets"}]
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(bad, ensure_ascii=False, indent=2), encoding="utf-8")
    second_start = path.read_text(encoding="utf-8").splitlines().index("  {", 2) + 1
    with pytest.raises(ImportFormatError) as info:
        read_cases(path)
    assert info.value.line == second_start
    assert "pets" in str(info.value) and str(path) in str(info.value)


def test_json_syntax_error_names_line(tmp_path: Path) -> None:
    path = tmp_path / "cases.json"
    path.write_text('[\n  {"title": "x",\n   "facts": }\n]\n', encoding="utf-8")
    with pytest.raises(ImportFormatError, match=r"cases\.json:3"):
        read_cases(path)


def test_yaml_error_names_line(tmp_path: Path) -> None:
    path = tmp_path / "cases.yaml"
    missing = {k: v for k, v in CASES[2].items() if k != "outcome"}
    path.write_text(yaml.safe_dump([CASES[0], missing], allow_unicode=True), encoding="utf-8")
    line = next(
        i
        for i, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if text.startswith("- ") and i > 1
    )
    with pytest.raises(ImportFormatError) as info:
        read_cases(path)
    assert info.value.line == line
    assert "outcome" in str(info.value)


async def test_import_idempotent_and_similar(kb_db: Database, tmp_path: Path) -> None:
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(CASES, ensure_ascii=False), encoding="utf-8")
    first = await import_cases(kb_db, path)
    again = await import_cases(kb_db, path)
    assert (first.added, again.added, again.unchanged) == (3, 0, 3)
    kb = KnowledgeBase(kb_db, tmp_path)
    [best, *_] = await kb.similar_cases("我家天花板被楼上漏水泡坏了")
    assert best.key == "leak-1" and best.score > 0
    wages = await kb.similar_cases("老板拖欠工资", dispute_type="labour_wages")
    assert [c.key for c in wages] == ["wage-1"]
    assert await kb.similar_cases("老板拖欠工资", dispute_type="consumer") == []
    await kb.close()
