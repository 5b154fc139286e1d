"""The structure's sizes (issue 17): product modules over a line count and the longest functions.

    .venv/bin/python benchmarks/structure.py [--lines 500] [--top 8]

Product code only (not tests, benchmarks or migrations), the files git tracks.
"""

from __future__ import annotations

import argparse
import ast
import subprocess
from pathlib import Path


def product_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "*.py"], capture_output=True, text=True, check=True
    ).stdout.split()
    return [
        Path(f)
        for f in listed
        if not f.startswith(("tests/", "benchmarks/")) and "migrations/versions" not in f
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=500)
    parser.add_argument("--top", type=int, default=8)
    args = parser.parse_args()
    modules: list[tuple[int, str]] = []
    functions: list[tuple[int, str]] = []
    for path in product_files():
        text = path.read_text(encoding="utf-8")
        modules.append((len(text.splitlines()), str(path)))
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                functions.append((length, f"{path}:{node.lineno} {node.name}"))
    long_modules = sorted(m for m in modules if m[0] > args.lines)
    print(f"modules over {args.lines} lines: {len(long_modules)}")
    for lines, name in long_modules:
        print(f"  {lines:5} {name}")
    functions.sort()
    print(f"functions over 100 lines: {sum(1 for n, _ in functions if n > 100)}")
    print(f"functions over 60 lines: {sum(1 for n, _ in functions if n > 60)}")
    for lines, name in functions[-args.top :]:
        print(f"  {lines:5} {name}")


if __name__ == "__main__":
    main()
