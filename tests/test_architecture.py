"""Keeps the architecture honest: a pure domain, and docs that match the code."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from mediation.case_state import TRANSITIONS, CaseStatus

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {"telegram", "aiohttp", "sqlalchemy", "jinja2", "weasyprint", "alembic", "asyncpg"}


def test_domain_imports_no_framework() -> None:
    offenders = []
    for path in (ROOT / "mediation").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                if name.split(".")[0] in FORBIDDEN:
                    offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert offenders == []


def _diagram() -> tuple[set[str], set[tuple[str, str, str]]]:
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    block = re.search(r"```mermaid\nstateDiagram-v2\n(.*?)```", text, re.S)
    assert block, "no stateDiagram-v2 block in docs/ARCHITECTURE.md"
    states: set[str] = set()
    edges: set[tuple[str, str, str]] = set()
    for line in block.group(1).splitlines():
        m = re.match(r"\s*(\S+) --> (\S+)(?: : (\S+))?", line)
        if not m:
            continue
        source, target, label = m.groups()
        states |= {s for s in (source, target) if s != "[*]"}
        if source != "[*]" and target != "[*]":
            edges.add((source, label or "", target))
    return states, edges


def test_state_diagram_equals_code() -> None:
    states, edges = _diagram()
    assert states == {s.value for s in CaseStatus}
    assert edges == {(s.value, e.value, t.value) for (s, e), t in TRANSITIONS.items()}
