"""Process-wide set-up that must happen before any table is touched: the data directory and
the personal-data keys. Every command that opens the database calls :func:`prepare` first."""

from __future__ import annotations

from core import crypto
from core.config import Settings


def prepare(settings: Settings) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    keys = crypto.load_or_create_keys(settings.pii_keys, settings.data_dir)
    crypto.configure(keys, crypto.load_or_create_secret(settings.secret_key, settings.data_dir))
