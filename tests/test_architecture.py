"""Keeps the architecture honest: a pure domain, and docs that match the code."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

import i18n
from app.features import FEATURES, FeatureRegistry
from app.runtime import Runtime
from core.clock import FakeClock
from mediation import intake
from mediation.case_state import TRANSITIONS, CaseStatus
from services import features
from services.conversation import ConversationService
from services.inbound import Command, Inbound
from services.routing import Audience, RouteConflict
from services.units import load_units, sync_units
from storage.base import Base
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


EXAMPLE_FILE = re.compile(r"<!-- example-feature: (\S+) -->\n```\w+\n(.*?)```", re.S)


def _example_package(root: Path) -> Path:
    """The page's example feature, its files as the page shows them, as package ``echo``."""
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    files = dict(EXAMPLE_FILE.findall(text))
    assert set(files) == {
        "__init__.py",
        "chat.py",
        "models.py",
        "web.py",
        "messages.zh-CN.toml",
        "messages.en.toml",
    }
    package = root / "echo"
    package.mkdir(parents=True)
    for name, body in files.items():
        (package / name).write_text(body, encoding="utf-8")
    return package


async def test_how_to_add_a_feature(sqlite_db: Database, tmp_path: Path) -> None:
    """The page's steps, followed: its example package is written as the page shows it into a
    scratch features folder and registered beside the real features. Its command and button
    answer from its own catalogue through the real conversation, /cancel ends its wait, its
    table keeps each line and its page counts them; a second owner of /echo, or a feature
    claiming a command the staff flow owns, stops the service at start."""
    scratch = tmp_path / "features"
    _example_package(scratch)
    real_features, i18n._FEATURES = i18n._FEATURES, scratch  # the catalogue found by place
    i18n.catalog.cache_clear()
    sys.path.insert(0, str(scratch))
    declared = (dict(features.COMMANDS), dict(features.ACTIONS), dict(features.AWAITED))
    hooks = list(features.MESSAGE_HOOKS)
    try:
        echo = importlib.import_module("echo")
        registry = FeatureRegistry()
        for package in (*FEATURES, echo):
            package.register(registry)
        assert registry.names[-1] == "echo" and registry.table_modules[-1] is echo.models
        table = Base.metadata.tables["echo_lines"]  # in the schema Alembic compares against
        async with sqlite_db.write_engine.begin() as conn:
            await conn.run_sync(table.create)

        settings = make_settings(tmp_path)
        units = load_units(settings.units_file)
        async with sqlite_db.write() as session:
            await sync_units(session, units)
        service = ConversationService(sqlite_db, settings, units, FakeClock())
        route = service.routes.command("echo", Audience.PARTY)
        assert route is not None and route.owner == "echo.chat"
        for payload in (
            Command("echo", ("你好",)),
            intake.ActionInput("echo:你好"),
            Command("echo", ()),
            intake.TextInput("复述这句"),
            Command("echo", ()),
            Command("cancel", ()),
            intake.TextInput("不再复述"),
        ):
            await service.handle(Inbound("telegram", "42", "42", payload))
        async with sqlite_db.read() as session:
            rows = (await session.execute(select(OutboxMessage.payload))).scalars()
            sent = [p for p in rows if "text" in p]
        texts = [p["text"] for p in sent]
        assert texts[:6] == [
            "你好",
            "你好",
            "请输入要复述的内容",
            "复述这句",
            "请输入要复述的内容",
            "已取消，不再等待您的输入。",
        ]
        assert "再说一遍" in str(sent[0]) and texts[6] != "不再复述"

        app = web.Application()
        registry.web_setups[-1](app, cast(Runtime, SimpleNamespace(db=sqlite_db)))
        async with TestClient(TestServer(app)) as client:
            page = await client.get("/echo")
            assert page.status == 200 and await page.text() == "已复述 3 句"

        with pytest.raises(ValueError, match="registered twice"):
            features.command("echo")(echo.chat.echo)  # a second owner, at import
        features.command("queue")(echo.chat.echo)  # the staff flow's command
        with pytest.raises(RouteConflict, match="/queue"):
            _ = ConversationService(sqlite_db, settings, units, FakeClock()).routes
    finally:
        commands, actions, awaited = declared
        features.COMMANDS.clear()
        features.COMMANDS.update(commands)
        features.ACTIONS.clear()
        features.ACTIONS.update(actions)
        features.AWAITED.clear()
        features.AWAITED.update(awaited)
        features.MESSAGE_HOOKS[:] = hooks
        if "echo_lines" in Base.metadata.tables:
            Base.metadata.remove(Base.metadata.tables["echo_lines"])
        for name in [m for m in sys.modules if m == "echo" or m.startswith("echo.")]:
            del sys.modules[name]
        sys.path.remove(str(scratch))
        i18n._FEATURES = real_features
        i18n.catalog.cache_clear()
