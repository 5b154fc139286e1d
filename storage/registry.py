"""Imports the core's modules that define tables; each feature's tables come with its package
(``app.features.metadata`` gives the whole schema)."""

from __future__ import annotations

import importlib
from typing import TypeAlias

from sqlalchemy import MetaData

from storage.base import Base

#: The schema's type, for callers above storage that hand it on (Alembic, the tests).
Schema: TypeAlias = MetaData

MODEL_MODULES = (
    "storage.models",
    "legal_kb.models",
    "storage.document_models",
)


def metadata() -> MetaData:
    for name in MODEL_MODULES:
        importlib.import_module(name)
    return Base.metadata
