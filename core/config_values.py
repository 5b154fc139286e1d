"""Parsers of single configuration values, each raising :class:`ConfigError` naming its variable.

core.config reads the environment by concern; these check one value each, so the same rule
(a URL, a number in bounds, a yes/no) reads and fails the same way for every variable.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from mediation.staff_alerts import QuietHours

T = TypeVar("T")


class ConfigError(ValueError):
    """A configuration value is missing or invalid; ``variable`` names it."""

    def __init__(self, variable: str, message: str) -> None:
        super().__init__(f"{variable}: {message}")
        self.variable = variable


def http_url(variable: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(variable, f"expected an http(s) URL, got {value!r}")
    return value


def number(
    variable: str,
    raw: str | None,
    default: T,
    kind: Callable[[str], T],
    low: float,
    high: float,
) -> T:
    if raw is None:
        return default
    try:
        value = kind(raw)
    except ValueError as exc:
        raise ConfigError(variable, f"expected a number, got {raw!r}") from exc
    if not low <= value <= high:  # type: ignore[operator]
        raise ConfigError(variable, f"must be between {low:g} and {high:g}")
    return value


def boolean(variable: str, raw: str | None, default: bool) -> bool:
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(variable, f"expected 1/0, true/false, yes/no or on/off, got {raw!r}")


def flag(name: str, value: str | None, default: bool) -> bool:
    if value is None:
        return default
    if value not in ("0", "1"):
        raise ConfigError(name, "must be 0 or 1")
    return value == "1"


def choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    """``value`` if it is one of ``choices``; the error lists them as "a, b or c"."""
    if value not in choices:
        raise ConfigError(name, f"must be {', '.join(choices[:-1])} or {choices[-1]}")
    return value


def optional_path(raw: str | None) -> Path | None:
    return Path(raw).expanduser().resolve() if raw else None


def quiet_hours(raw: str | None) -> str:
    if raw is None:
        return "22:00-08:00"
    try:
        QuietHours.parse(raw)
    except ValueError as exc:
        raise ConfigError("STAFF_QUIET_HOURS", f"{exc} (or 'off')") from exc
    return raw.strip()


def check_fernet_key(key: str) -> None:
    import base64
    import binascii

    try:
        raw = base64.urlsafe_b64decode(key.encode())
    except (binascii.Error, ValueError) as exc:
        raise ConfigError("PII_KEYS", "each key must be a urlsafe-base64 Fernet key") from exc
    if len(raw) != 32:
        raise ConfigError("PII_KEYS", "each key must decode to 32 bytes (Fernet.generate_key())")
