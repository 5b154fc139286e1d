"""Shared helpers for the security, hostile-input and backup tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core import crypto


@pytest.fixture
def keep_crypto() -> Iterator[None]:
    """Put back the process-wide key ring after a test that configures its own keys."""
    saved = (crypto._cipher, crypto._index_key)
    yield
    crypto._cipher, crypto._index_key = saved


def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]
