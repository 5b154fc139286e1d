"""Keeps the architecture honest: a pure domain, and docs that match the code."""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

from sqlalchemy import select

from core.clock import FakeClock
from mediation import intake
from mediation.case_state import TRANSITIONS, CaseStatus
from services import features
from services.conversation import ConversationService
from services.inbound import Command, Inbound
from services.routing import Audience
from services.units import load_units, sync_units
from storage.db import Database
from storage.models import OutboxMessage
from tests.conftest import make_settings

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


# ------------------------------------------------------------------ the module map, enforced

#: Top-level code that is not part of the layers (it may import anything of ours).
OUTSIDE_THE_LAYERS = {"tests", "benchmarks", "scripts", "docs"}
#: Web handlers and other modules outside the SQL layers that still run SQL themselves. The list may
#: only shrink: a module here that no longer imports sqlalchemy fails the test too.
SQL_STILL_TO_MOVE: set[str] = set()
#: Where SQL belongs: storage, the use cases (``services/`` and each feature's use-case modules),
#: the knowledge base's own store, and the harness's seeding. A feature's web handlers
#: (``web.py``, ``web_*.py``, ``web/``) parse requests and call use cases, like ``web/``.
SQL_LAYERS = ("storage/", "services/", "features/", "legal_kb/", "harness/")


def _is_web_handler(rel: str) -> bool:
    parts = rel.split("/")
    return parts[0] == "web" or (parts[0] == "features" and parts[2].startswith("web"))


#: Names imported for the type checker only (typeshed's stubs), and the future statement.
TYPING_ONLY = {"__future__", "_typeshed"}


def _map_rows() -> dict[str, tuple[set[str], set[str]]]:
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    section = text.split("## Module map", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, tuple[set[str], set[str]]] = {}
    for line in section.splitlines():
        m = re.match(r"\| `([\w./]+?)/?` \|.*\| (.*?) \| (.*?) \|$", line)
        if m:
            ours = set(re.findall(r"`([\w.]+)`", m.group(2)))
            libraries = {x.strip() for x in m.group(3).split(",")} - {"—", ""}
            rows[m.group(1).removesuffix(".py").replace("/", ".")] = (ours, libraries)
    return rows


def _units() -> dict[str, list[Path]]:
    """Each top-level package (or module) of the product and its Python files; each feature
    package (``features/<name>``) is a unit of its own, so what one feature takes from another
    is on the map too."""
    units: dict[str, list[Path]] = {}
    for path in sorted(ROOT.iterdir()):
        if path.name == "features":
            for feature in sorted(p for p in path.iterdir() if (p / "__init__.py").exists()):
                units[f"features.{feature.name}"] = sorted(feature.rglob("*.py"))
        elif (
            path.is_dir()
            and (path / "__init__.py").exists()
            and path.name not in OUTSIDE_THE_LAYERS
        ):
            files = [p for p in path.rglob("*.py") if "migrations/versions" not in p.as_posix()]
            units[path.name] = files
        elif path.suffix == ".py" and path.name != "conftest.py":
            units[path.stem] = [path]
    return units


def _unit_of(name: str) -> str:
    """The unit a dotted module name belongs to (``features.agreements.web`` →
    ``features.agreements``)."""
    parts = name.split(".")
    return ".".join(parts[:2]) if parts[0] == "features" and len(parts) > 1 else parts[0]


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


def test_every_package_is_on_the_map() -> None:
    assert set(_units()) == set(_map_rows())


def test_imports_match_the_module_map() -> None:
    import sys

    rows, units = _map_rows(), _units()
    problems: list[str] = []
    for unit, files in units.items():
        allowed, libraries = rows[unit]
        ours: set[str] = set()
        used: set[str] = set()
        for path in files:
            for name in _imports(path):
                top = name.split(".")[0]
                if _unit_of(name) == unit or top in sys.stdlib_module_names or top in TYPING_ONLY:
                    continue
                if _unit_of(name) in units:
                    ours.add(name)
                elif top == "features" and name in ("features", "features.__init__"):
                    continue
                else:
                    used.add(top)
        packages = {_unit_of(name) for name in ours}
        for name in sorted(ours):
            if _unit_of(name) not in allowed and not any(
                name.startswith(a + ".") or name == a for a in allowed
            ):
                problems.append(f"{unit} imports {name}, not allowed by the map")
        for entry in sorted(allowed):
            if _unit_of(entry) not in packages and not any(
                package.startswith(entry + ".") for package in packages
            ):
                problems.append(f"{unit}: the map allows {entry}, which it no longer imports")
        if used != libraries:
            problems.append(
                f"{unit}: libraries {sorted(used)} in the code, {sorted(libraries)} on the map"
            )
    assert problems == []


def test_sql_stays_in_storage_and_the_use_cases() -> None:
    running_sql = set()
    for files in _units().values():
        for path in files:
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith(SQL_LAYERS) and not _is_web_handler(rel):
                continue
            if any(name.split(".")[0] == "sqlalchemy" for name in _imports(path)):
                running_sql.add(rel)
    assert running_sql == SQL_STILL_TO_MOVE


def test_only_the_entry_point_and_the_root_build_the_runtime() -> None:
    """Nothing imports ``main``; only ``app`` and ``harness`` (and tests) call ``build_runtime``."""
    offenders = []
    for unit, files in _units().items():
        for path in files:
            names = _imports(path)
            if "main" in names or any(n.startswith("main.") for n in names):
                offenders.append(f"{path.relative_to(ROOT)} imports main")
            if unit not in ("app", "harness") and "app.runtime.build_runtime" in names:
                offenders.append(f"{path.relative_to(ROOT)} builds a runtime")
    assert offenders == []


async def test_how_to_add_a_feature(sqlite_db: Database, tmp_path: Path) -> None:
    """The page's example feature, loaded as written, answers through the real conversation:
    its command, its awaited input, and /cancel ending that wait."""
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    code = text.split("<!-- example-feature -->\n```python\n", 1)[1].split("```", 1)[0]
    module_path = tmp_path / "echo_feature_example.py"
    module_path.write_text(code, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("echo_feature_example", module_path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        settings = make_settings(tmp_path)
        units = load_units(settings.units_file)
        async with sqlite_db.write() as session:
            await sync_units(session, units)
        service = ConversationService(sqlite_db, settings, units, FakeClock())
        assert service.routes.command("echo", Audience.PARTY) is not None
        for payload in (
            Command("echo", ("你好",)),
            Command("echo", ()),
            intake.TextInput("复述这句"),
            Command("echo", ()),
            Command("cancel", ()),
            intake.TextInput("不再复述"),
        ):
            await service.handle(Inbound("telegram", "42", "42", payload))
        async with sqlite_db.read() as session:
            rows = (await session.execute(select(OutboxMessage.payload))).scalars()
            texts = [p["text"] for p in rows if "text" in p]
        assert texts[:6] == [
            "你好",
            "请输入要复述的内容",
            "复述这句",
            "请输入要复述的内容",
            "已取消，不再等待您的输入。",
            texts[5],
        ]
        assert texts[5] != "不再复述"
    finally:
        del features.COMMANDS["echo"]
        features.MESSAGE_HOOKS.remove(module.echo_text)
        features.AWAITED.pop(module.WAITING)
