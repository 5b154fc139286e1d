"""Imports every module that defines tables, so ``Base.metadata`` is complete."""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

from storage.base import Base

MODEL_MODULES = (
    "storage.models",
    "storage.console_models",
    "legal_kb.models",
    "storage.lawyer_models",
    "storage.document_models",
    "storage.negotiation_models",
    "storage.webchat_models",
    "storage.voice_models",
)


def metadata() -> MetaData:
    for name in MODEL_MODULES:
        importlib.import_module(name)
    return Base.metadata
