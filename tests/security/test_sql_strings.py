"""No SQL built from strings: a scan of the source (``ast``) for ``text(…)``,
``exec_driver_sql(…)``, ``execute(…)``/``executemany``/``executescript`` called with an
f-string, ``%`` formatting, ``+`` concatenation or ``str.format``.

Values must reach the database as bound parameters. The few places that put an *identifier*
(a table or column name taken from our own metadata, never from input) or a constant into SQL
are listed in ``ALLOWED`` with the reason; a new one fails the test until it is justified here.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.security.conftest import repo_root

PACKAGES = (
    "app",
    "bot",
    "core",
    "documents",
    "features",
    "harness",
    "legal_kb",
    "mediation",
    "services",
    "storage",
    "web",
)
SQL_CALLS = frozenset({"text", "exec_driver_sql", "execute", "executemany", "executescript"})

#: "path:function" → why the built string is safe.
ALLOWED: dict[str, str] = {
    # PRAGMA takes no bound parameters; the value is an int constant of our own code.
    "storage/db.py:_on_connect": "PRAGMA busy_timeout from an int argument (not input)",
    "storage/sqlite_inline.py:connect": "PRAGMA busy_timeout from a module constant",
    # DROP/CREATE DATABASE take no bound parameters; the names are the test database's own.
    "harness/schema.py:_postgres_from_template": (
        "database identifiers from the suite's TEST_POSTGRES_URL (and + '_template'), not input"
    ),
}


def _built(node: ast.expr) -> str | None:
    """How the argument was built from strings, or None for a constant/plain name."""
    if isinstance(node, ast.JoinedStr) and any(
        isinstance(v, ast.FormattedValue) for v in node.values
    ):
        return "f-string"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return "% formatting"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return "+ concatenation"
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("format", "join")
    ):
        return f"str.{node.func.attr}"
    return None


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def scan(path: Path, root: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []

    built_names: dict[tuple[str, str], str] = {}  # (function, variable) → how it was built
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(fn):
                if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign) and node.value:
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    how = _built(node.value) or (
                        "+= concatenation" if isinstance(node, ast.AugAssign) else None
                    )
                    for target in targets:
                        if how and isinstance(target, ast.Name):
                            built_names[(fn.name, target.id)] = f"{how} (via {target.id})"

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = function
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = child.name
            if isinstance(child, ast.Call) and _name(child.func) in SQL_CALLS and child.args:
                arg = child.args[0]
                how = _built(arg)
                if how is None and isinstance(arg, ast.Name):
                    how = built_names.get((name, arg.id))
                if how:
                    where = f"{path.relative_to(root).as_posix()}:{name}"
                    found.append(f"{where} (line {child.lineno}): {_name(child.func)}() with {how}")
            visit(child, name)

    visit(tree, "<module>")
    return found


def all_findings() -> list[str]:
    root = repo_root()
    files = [root / "main.py"]
    for package in PACKAGES:
        files += sorted((root / package).rglob("*.py"))
    return [f for path in files for f in scan(path, root)]


def test_no_sql_is_built_from_strings() -> None:
    findings = [f for f in all_findings() if f.split(" (line")[0] not in ALLOWED]
    assert not findings, "SQL built from strings (bind parameters instead):\n" + "\n".join(findings)


def test_the_scanner_finds_what_it_looks_for(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "def f(conn, name, x):\n"
        "    conn.execute(text(f'SELECT * FROM t WHERE a = {x}'))\n"
        "    conn.exec_driver_sql('DELETE FROM t WHERE a = %s' % x)\n"
        "    conn.execute('SELECT ' + name)\n"
        "    conn.execute(text('SELECT :a'), {'a': x})\n"
        "    sql = 'SELECT * FROM ' + name\n"
        "    conn.execute(text(sql))\n"
    )
    found = scan(bad, tmp_path)
    assert [f.split(": ", 1)[1] for f in found] == [
        "text() with f-string",
        "exec_driver_sql() with % formatting",
        "execute() with + concatenation",
        "text() with + concatenation (via sql)",
    ]


def test_every_allowance_is_still_needed() -> None:
    present = {f.split(" (line")[0] for f in all_findings()}
    assert set(ALLOWED) <= present, set(ALLOWED) - present
