"""Configuration from environment variables (and an optional ``.env`` file).

Every variable is documented in README.md's configuration table; a test keeps the two in
sync. An invalid value raises :class:`ConfigError` naming the variable, so start-up stops with
a message an operator can act on instead of a traceback from deep inside a library.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.config_values import ConfigError as ConfigError  # callers import it from here
from core.config_values import (
    boolean,
    check_fernet_key,
    choice,
    flag,
    http_url,
    number,
    optional_path,
    quiet_hours,
)
from core.netaddr import parse_networks

T = TypeVar("T")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_UNITS_FILE = PROJECT_ROOT / "config" / "units.toml"

_TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{1,100}$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_LANGS = ("zh-CN", "en")
#: Login-code delivery of the browser chat (features.webchat.sms): a provider's API, "none"
#: (no login by phone), or "log" (codes in the log: development only, with DEV_MODE=1).
_SMS_GATEWAYS = ("none", "log", "aliyun", "tencent")
_SMS_ENDPOINTS = {
    "aliyun": "https://dysmsapi.aliyuncs.com",
    "tencent": "https://sms.tencentcloudapi.com",
}
_SMS_REGIONS = {"aliyun": "cn-hangzhou", "tencent": "ap-guangzhou"}


@dataclass(frozen=True)
class Settings:
    """Validated, typed configuration. Build it with :meth:`from_env`."""

    data_dir: Path
    database_url: str
    telegram_bot_token: str | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_api_file_url: str = "https://api.telegram.org/file/bot"
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    public_url: str | None = None
    webhook_secret: str | None = None
    units_file: Path = DEFAULT_UNITS_FILE
    default_language: str = "zh-CN"
    timezone: str = "Asia/Shanghai"
    pii_keys: tuple[str, ...] = ()
    secret_key: str | None = None
    telegram_rate_global: float = 30.0
    telegram_rate_per_chat: float = 1.0
    max_concurrent_updates: int = 256
    max_update_backlog: int = 5000
    log_level: str = "INFO"
    event_loop: str = "uvloop"
    invite_ttl_days: float = 7.0
    mediation_period_days: float = 30.0
    party_reply_hours: float = 24.0
    kb_enabled: bool = True
    kb_dense: bool = True
    #: Questions encoded on the int8 query graph (legal_kb.e5int8): the encoder ≈ 1.8 × faster,
    #: STARD dev recall unchanged (docs/benchmarks.md, issue 22); off: the exact 4-bit graph.
    kb_query_int8: bool = True
    lawyer_widen_minutes: float = 10.0
    #: Staff alerts in the chat wait for the end of this local window (mediation.staff_alerts).
    staff_quiet_hours: str = "22:00-08:00"
    #: A party's message still unanswered after this long is brought to the mediator again.
    staff_away_minutes: float = 15.0
    llm_base_url: str | None = None
    llm_api_key: str | None = None
    llm_model: str | None = None
    dev_mode: bool = False
    #: Reverse proxies whose X-Forwarded-For / Forwarded name the client (core.netaddr).
    trusted_proxies: tuple[str, ...] = ()
    sms_gateway: str = "none"
    sms_endpoint_url: str = ""
    sms_access_key_id: str = ""
    sms_access_key_secret: str = field(default="", repr=False)
    sms_sign_name: str = ""
    sms_template: str = ""
    #: The provider's approved template of mediation invitations (unit, code); "": none.
    sms_invite_template: str = ""
    sms_app_id: str = ""
    sms_region: str = ""
    asr_backend: str = "faster-whisper"
    asr_model_dir: Path | None = None
    asr_workers: int = 1
    asr_threads: int = 1
    memory_probe_file: Path | None = None
    memory_probe_every: float = 60.0
    memory_probe_frames: int = 0
    file_store: str = "local"
    files_dir: Path | None = None
    s3_endpoint_url: str = "https://s3.amazonaws.com"
    s3_bucket: str = ""
    s3_region: str = "us-east-1"
    s3_access_key_id: str = ""
    s3_secret_access_key: str = field(default="", repr=False)
    s3_prefix: str = ""
    s3_addressing: str = "path"
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def webhook_mode(self) -> bool:
        """Webhook when a public URL is configured, long polling otherwise."""
        return self.public_url is not None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, dotenv: Path | None = None
    ) -> Settings:
        """Read settings from ``environ`` (default ``os.environ``) plus an optional ``.env``.

        Values in the real environment win over the ``.env`` file, as with most tools. Each
        concern reads its own variables below, so a new setting goes next to its neighbours.
        """
        env = _Env.load(environ, dotenv)
        runtime = _runtime(env)
        fields: dict[str, Any] = {
            **_database(env),
            **_telegram(env),
            **_web(env),
            **runtime,
            **_privacy(env),
            **_mediation(env),
            **_knowledge(env),
            **_sms_settings(env.get, runtime["dev_mode"]),
            **_speech(env),
            **_files(env),
        }
        return cls(
            **fields, extra={k: v for k, v in env.values.items() if k.startswith("MEDIATION_")}
        )


class _Env:
    """The merged environment; a blank value reads as unset."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    @classmethod
    def load(cls, environ: Mapping[str, str] | None, dotenv: Path | None) -> _Env:
        values: dict[str, str] = {}
        if dotenv is None and environ is None:
            dotenv = PROJECT_ROOT / ".env"
        if dotenv is not None and dotenv.is_file():
            from dotenv import dotenv_values

            values.update({k: v for k, v in dotenv_values(dotenv).items() if v is not None})
        values.update(os.environ if environ is None else environ)
        return cls(values)

    def get(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        return value.strip() or None

    def number(self, name: str, default: T, kind: Callable[[str], T], low: float, high: float) -> T:
        return number(name, self.get(name), default, kind, low, high)


def _database(env: _Env) -> dict[str, Any]:
    data_dir = Path(env.get("DATA_DIR") or "./var").expanduser().resolve()
    url = env.get("DATABASE_URL") or f"sqlite+aiosqlite:///{data_dir / 'mediation.db'}"
    return {"data_dir": data_dir, "database_url": normalise_database_url(url)}


def _telegram(env: _Env) -> dict[str, Any]:
    token = env.get("TELEGRAM_BOT_TOKEN")
    if token is not None and not _TOKEN_RE.match(token):
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN", "expected the form 123456:ABC-DEF… given by @BotFather"
        )
    base_url = env.get("TELEGRAM_API_BASE_URL") or "https://api.telegram.org/bot"
    file_url = env.get("TELEGRAM_API_FILE_URL") or "https://api.telegram.org/file/bot"
    return {
        "telegram_bot_token": token,
        "telegram_api_base_url": http_url("TELEGRAM_API_BASE_URL", base_url),
        "telegram_api_file_url": http_url("TELEGRAM_API_FILE_URL", file_url),
        "telegram_rate_global": env.number("TELEGRAM_RATE_GLOBAL", 30.0, float, 0, 100_000),
        "telegram_rate_per_chat": env.number("TELEGRAM_RATE_PER_CHAT", 1.0, float, 0, 100_000),
        "max_concurrent_updates": env.number("MAX_CONCURRENT_UPDATES", 256, int, 1, 100_000),
        "max_update_backlog": env.number("MAX_UPDATE_BACKLOG", 5000, int, 1, 10_000_000),
    }


def _web(env: _Env) -> dict[str, Any]:
    public_url = env.get("PUBLIC_URL")
    if public_url is not None:
        public_url = http_url("PUBLIC_URL", public_url).rstrip("/")
    secret = env.get("WEBHOOK_SECRET")
    if secret is not None and not _SECRET_RE.match(secret):
        raise ConfigError("WEBHOOK_SECRET", "use 1-256 characters of A-Z, a-z, 0-9, _ and -")
    try:
        networks = parse_networks(env.get("TRUSTED_PROXIES") or "")
    except ValueError as exc:
        raise ConfigError("TRUSTED_PROXIES", str(exc)) from None
    return {
        "web_host": env.get("WEB_HOST") or "127.0.0.1",
        "web_port": env.number("WEB_PORT", 8080, int, 0, 65535),
        "public_url": public_url,
        "webhook_secret": secret,
        "trusted_proxies": tuple(str(n) for n in networks),
    }


def _runtime(env: _Env) -> dict[str, Any]:
    """Language, time zone, the units' file, logging, the event loop and DEV_MODE."""
    language = env.get("DEFAULT_LANGUAGE") or "zh-CN"
    if language not in _LANGS:
        raise ConfigError("DEFAULT_LANGUAGE", f"must be one of {', '.join(_LANGS)}")
    timezone = env.get("TIMEZONE") or "Asia/Shanghai"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError("TIMEZONE", f"unknown time zone {timezone!r}") from exc
    units_file = Path(env.get("UNITS_FILE") or DEFAULT_UNITS_FILE)
    if not units_file.is_file():
        raise ConfigError("UNITS_FILE", f"no such file: {units_file}")
    log_level = (env.get("LOG_LEVEL") or "INFO").upper()
    event_loop = (env.get("EVENT_LOOP") or "uvloop").lower()
    return {
        "default_language": language,
        "timezone": timezone,
        "units_file": units_file,
        "log_level": choice("LOG_LEVEL", log_level, ("DEBUG", "INFO", "WARNING", "ERROR")),
        "event_loop": choice("EVENT_LOOP", event_loop, ("uvloop", "asyncio")),
        "dev_mode": flag("DEV_MODE", env.get("DEV_MODE"), False),
    }


def _privacy(env: _Env) -> dict[str, Any]:
    pii = tuple(k.strip() for k in (env.get("PII_KEYS") or "").split(",") if k.strip())
    for key in pii:
        check_fernet_key(key)
    return {"pii_keys": pii, "secret_key": env.get("SECRET_KEY")}


def _mediation(env: _Env) -> dict[str, Any]:
    """The mediation's clocks: invitations, the period, replies, staff alerts, lawyers."""
    return {
        "invite_ttl_days": env.number("INVITE_TTL_DAYS", 7.0, float, 0.01, 365),
        "mediation_period_days": env.number("MEDIATION_PERIOD_DAYS", 30.0, float, 1, 365),
        "party_reply_hours": env.number("PARTY_REPLY_HOURS", 24.0, float, 0.1, 720),
        "staff_quiet_hours": quiet_hours(env.get("STAFF_QUIET_HOURS")),
        "staff_away_minutes": env.number("STAFF_AWAY_MINUTES", 15.0, float, 1, 1440),
        "lawyer_widen_minutes": env.number("LAWYER_WIDEN_MINUTES", 10.0, float, 0.5, 1440),
    }


def _knowledge(env: _Env) -> dict[str, Any]:
    """The legal knowledge base and the optional language model behind it."""
    llm_url = env.get("LLM_BASE_URL")
    if llm_url and not env.get("LLM_MODEL"):
        raise ConfigError("LLM_MODEL", "required when LLM_BASE_URL is set")
    return {
        "kb_enabled": boolean("KB_ENABLED", env.get("KB_ENABLED"), True),
        "kb_dense": boolean("KB_DENSE", env.get("KB_DENSE"), True),
        "kb_query_int8": boolean("KB_QUERY_INT8", env.get("KB_QUERY_INT8"), True),
        "llm_base_url": http_url("LLM_BASE_URL", llm_url).rstrip("/") if llm_url else None,
        "llm_api_key": env.get("LLM_API_KEY"),
        "llm_model": env.get("LLM_MODEL"),
    }


def _speech(env: _Env) -> dict[str, Any]:
    """Speech recognition and the memory probe (which watches it most)."""
    asr_backend = (env.get("ASR_BACKEND") or "faster-whisper").lower()
    return {
        "asr_backend": choice("ASR_BACKEND", asr_backend, ("faster-whisper", "none")),
        "asr_model_dir": optional_path(env.get("ASR_MODEL_DIR")),
        "asr_workers": env.number("ASR_WORKERS", 1, int, 1, 64),
        "asr_threads": env.number("ASR_THREADS", 1, int, 1, 64),
        "memory_probe_file": optional_path(env.get("MEMORY_PROBE_FILE")),
        "memory_probe_every": env.number("MEMORY_PROBE_EVERY", 60.0, float, 1, 86_400),
        "memory_probe_frames": env.number("MEMORY_PROBE_FRAMES", 0, int, 0, 100),
    }


def _files(env: _Env) -> dict[str, Any]:
    file_store = choice("FILE_STORE", (env.get("FILE_STORE") or "local").lower(), ("local", "s3"))
    return {
        "file_store": file_store,
        "files_dir": optional_path(env.get("FILES_DIR")),
        **_s3_settings(env.get, required=file_store == "s3"),
    }


def _sms_settings(get: Callable[[str], str | None], dev_mode: bool) -> dict[str, str]:
    """SMS_GATEWAY and the provider's SMS_* settings (features.webchat.sms)."""
    gateway = (get("SMS_GATEWAY") or ("log" if dev_mode else "none")).lower()
    if gateway not in _SMS_GATEWAYS:
        raise ConfigError("SMS_GATEWAY", f"must be one of {', '.join(_SMS_GATEWAYS)}")
    if gateway == "log" and not dev_mode:
        # The log gateway writes every login code to the log in clear (issue 21).
        raise ConfigError("SMS_GATEWAY", "log writes login codes to the log: only with DEV_MODE=1")
    out = {
        "sms_gateway": gateway,
        "sms_endpoint_url": "",
        "sms_access_key_id": get("SMS_ACCESS_KEY_ID") or "",
        "sms_access_key_secret": get("SMS_ACCESS_KEY_SECRET") or "",
        "sms_sign_name": get("SMS_SIGN_NAME") or "",
        "sms_template": get("SMS_TEMPLATE") or "",
        "sms_invite_template": get("SMS_INVITE_TEMPLATE") or "",
        "sms_app_id": get("SMS_APP_ID") or "",
        "sms_region": get("SMS_REGION") or _SMS_REGIONS.get(gateway, ""),
    }
    if gateway in _SMS_ENDPOINTS:
        endpoint = get("SMS_ENDPOINT_URL") or _SMS_ENDPOINTS[gateway]
        out["sms_endpoint_url"] = http_url("SMS_ENDPOINT_URL", endpoint).rstrip("/")
        required = ["SMS_ACCESS_KEY_ID", "SMS_ACCESS_KEY_SECRET", "SMS_SIGN_NAME", "SMS_TEMPLATE"]
        if gateway == "tencent":
            required.append("SMS_APP_ID")
        for name in required:
            if not out[name.lower()]:
                raise ConfigError(name, f"required when SMS_GATEWAY={gateway}")
    return out


_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_REGION_RE = re.compile(r"^[a-z0-9-]{1,40}$")
_PREFIX_RE = re.compile(r"^[A-Za-z0-9!_.*'()/-]{0,200}$")


def _s3_settings(get: Callable[[str], str | None], *, required: bool) -> dict[str, str]:
    """The S3_* variables (storage.s3); the bucket and keys are required with FILE_STORE=s3."""
    endpoint = get("S3_ENDPOINT_URL") or "https://s3.amazonaws.com"
    http_url("S3_ENDPOINT_URL", endpoint)
    if urlsplit(endpoint).query or urlsplit(endpoint).fragment:
        raise ConfigError("S3_ENDPOINT_URL", "give the service's address without ?query or #")
    bucket = get("S3_BUCKET") or ""
    if bucket and not _BUCKET_RE.match(bucket):
        raise ConfigError(
            "S3_BUCKET",
            "3-63 characters of a-z, 0-9, '.' and '-', starting and ending alphanumeric",
        )
    region = get("S3_REGION") or "us-east-1"
    if not _REGION_RE.match(region):
        raise ConfigError("S3_REGION", f"expected a region name such as us-east-1, got {region!r}")
    prefix = (get("S3_PREFIX") or "").strip("/")
    if not _PREFIX_RE.match(prefix) or ".." in prefix.split("/"):
        raise ConfigError("S3_PREFIX", "up to 200 characters of A-Z a-z 0-9 / ! _ . * ' ( ) -")
    addressing = choice(
        "S3_ADDRESSING", (get("S3_ADDRESSING") or "path").lower(), ("path", "virtual")
    )
    access = get("S3_ACCESS_KEY_ID") or ""
    secret = get("S3_SECRET_ACCESS_KEY") or ""
    if required:
        for name, value in (
            ("S3_BUCKET", bucket),
            ("S3_ACCESS_KEY_ID", access),
            ("S3_SECRET_ACCESS_KEY", secret),
        ):
            if not value:
                raise ConfigError(name, "required when FILE_STORE=s3")
    return {
        "s3_endpoint_url": endpoint.rstrip("/"),
        "s3_bucket": bucket,
        "s3_region": region,
        "s3_access_key_id": access,
        "s3_secret_access_key": secret,
        "s3_prefix": prefix,
        "s3_addressing": addressing,
    }


def normalise_database_url(url: str) -> str:
    """Accept the usual spellings and pick the async driver for each database."""
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite://") and not url.startswith("sqlite+aiosqlite://"):
        return "sqlite+aiosqlite://" + url.split("://", 1)[1]
    if url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
        return url
    raise ConfigError("DATABASE_URL", "use sqlite:///path/to/file.db or postgresql://user@host/db")


def public_base(settings: Settings) -> str:
    """Where people reach our web pages: ``PUBLIC_URL``, else ``http://WEB_HOST:WEB_PORT``."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    host = "127.0.0.1" if settings.web_host in ("0.0.0.0", "::", "") else settings.web_host
    return f"http://{host}:{settings.web_port}"
