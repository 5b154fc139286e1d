"""Shared helpers for the security, hostile-input and backup tests."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core import crypto
from features.agreements.common import AGREEMENT
from storage.document_models import Document


@pytest.fixture
def keep_crypto() -> Iterator[None]:
    """Put back the process-wide key ring after a test that configures its own keys."""
    saved = (crypto._cipher, crypto._index_key)
    yield
    crypto._cipher, crypto._index_key = saved


def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def main_py(data_dir: Path, *args: str, **env: str | None) -> subprocess.CompletedProcess[str]:
    """``main.py args`` run as an operator runs it, on the SQLite database under ``data_dir``
    (never the test run's ``DATABASE_URL``); ``env`` overrides the environment, a None value
    removes the variable."""
    full: dict[str, str | None] = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": None,
        **env,
    }
    return subprocess.run(
        [sys.executable, "main.py", *args],
        cwd=repo_root(),
        env={name: value for name, value in full.items() if value is not None},
        capture_output=True,
        text=True,
        timeout=120,
    )


def verifiable_agreement(
    case_id: int, key: str, public_id: str = "doc1", **fields: Any
) -> Document:
    """An effective agreement of ``case_id`` as the /verify page finds it: its link's ``key``
    stored as a digest; ``fields`` (its content, the PDF's hash) as a test needs."""
    return Document(
        public_id=public_id,
        case_id=case_id,
        kind=AGREEMENT,
        status="effective",
        sha256="0" * 64,
        verify_key_digest=hashlib.sha256(key.encode()).hexdigest(),
        created_by="test",
        **{"content": {}, **fields},
    )
