"""Settings of the lawyers feature: when a request widens, and the optional LLM endpoint.

Why a separate reader: ``core.config.Settings`` is shared by every feature. Until it carries
these fields, they are read from ``Settings.extra`` (or given explicitly, as tests do); once
``core.config`` has them (``lawyer_widen_minutes``, ``llm_base_url``, ``llm_api_key``,
``llm_model``), they are taken from there.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from core.config import ConfigError, Settings

DEFAULT_WIDEN_MINUTES = 10.0


@dataclass(frozen=True)
class LawyerSettings:
    widen_minutes: float = DEFAULT_WIDEN_MINUTES
    llm_base_url: str | None = None
    llm_api_key: str | None = None
    llm_model: str | None = None
    llm_timeout: float = 30.0

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)

    @classmethod
    def from_settings(cls, settings: Settings) -> LawyerSettings:
        def get(attr: str, variable: str) -> str | None:
            value = getattr(settings, attr, None)
            if value is None:
                value = settings.extra.get(variable)
            text = str(value).strip() if value is not None else ""
            return text or None

        raw_minutes = get("lawyer_widen_minutes", "LAWYER_WIDEN_MINUTES")
        minutes = DEFAULT_WIDEN_MINUTES
        if raw_minutes is not None:
            try:
                minutes = float(raw_minutes)
            except ValueError as exc:
                raise ConfigError(
                    "LAWYER_WIDEN_MINUTES", f"expected a number, got {raw_minutes!r}"
                ) from exc
            if not 0.5 <= minutes <= 1440:
                raise ConfigError("LAWYER_WIDEN_MINUTES", "must be between 0.5 and 1440")
        base_url = get("llm_base_url", "LLM_BASE_URL")
        if base_url is not None:
            parts = urlsplit(base_url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ConfigError("LLM_BASE_URL", f"expected an http(s) URL, got {base_url!r}")
        model = get("llm_model", "LLM_MODEL")
        if base_url is not None and model is None:
            raise ConfigError("LLM_MODEL", "required when LLM_BASE_URL is set")
        return cls(
            widen_minutes=minutes,
            llm_base_url=base_url.rstrip("/") if base_url else None,
            llm_api_key=get("llm_api_key", "LLM_API_KEY"),
            llm_model=model,
        )
