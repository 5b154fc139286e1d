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
from typing import TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.netaddr import parse_networks
from mediation.staff_alerts import QuietHours

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


class ConfigError(ValueError):
    """A configuration value is missing or invalid; ``variable`` names it."""

    def __init__(self, variable: str, message: str) -> None:
        super().__init__(f"{variable}: {message}")
        self.variable = variable


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

        Values in the real environment win over the ``.env`` file, as with most tools.
        """
        env: dict[str, str] = {}
        if dotenv is None and environ is None:
            dotenv = PROJECT_ROOT / ".env"
        if dotenv is not None and dotenv.is_file():
            from dotenv import dotenv_values

            env.update({k: v for k, v in dotenv_values(dotenv).items() if v is not None})
        env.update(os.environ if environ is None else environ)

        def get(name: str) -> str | None:
            value = env.get(name)
            if value is None:
                return None
            value = value.strip()
            return value or None

        data_dir = Path(get("DATA_DIR") or "./var").expanduser().resolve()
        token = get("TELEGRAM_BOT_TOKEN")
        if token is not None and not _TOKEN_RE.match(token):
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN", "expected the form 123456:ABC-DEF… given by @BotFather"
            )
        public_url = get("PUBLIC_URL")
        if public_url is not None:
            public_url = _http_url("PUBLIC_URL", public_url).rstrip("/")
        secret = get("WEBHOOK_SECRET")
        if secret is not None and not _SECRET_RE.match(secret):
            raise ConfigError("WEBHOOK_SECRET", "use 1-256 characters of A-Z, a-z, 0-9, _ and -")
        language = get("DEFAULT_LANGUAGE") or "zh-CN"
        if language not in _LANGS:
            raise ConfigError("DEFAULT_LANGUAGE", f"must be one of {', '.join(_LANGS)}")
        timezone = get("TIMEZONE") or "Asia/Shanghai"
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError("TIMEZONE", f"unknown time zone {timezone!r}") from exc
        units_file = Path(get("UNITS_FILE") or DEFAULT_UNITS_FILE)
        if not units_file.is_file():
            raise ConfigError("UNITS_FILE", f"no such file: {units_file}")
        log_level = (get("LOG_LEVEL") or "INFO").upper()
        if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ConfigError("LOG_LEVEL", "must be DEBUG, INFO, WARNING or ERROR")
        event_loop = (get("EVENT_LOOP") or "uvloop").lower()
        if event_loop not in ("uvloop", "asyncio"):
            raise ConfigError("EVENT_LOOP", "must be uvloop or asyncio")
        asr_backend = (get("ASR_BACKEND") or "faster-whisper").lower()
        if asr_backend not in ("faster-whisper", "none"):
            raise ConfigError("ASR_BACKEND", "must be faster-whisper or none")
        asr_dir = get("ASR_MODEL_DIR")
        probe = get("MEMORY_PROBE_FILE")
        llm_url = get("LLM_BASE_URL")
        if llm_url and not get("LLM_MODEL"):
            raise ConfigError("LLM_MODEL", "required when LLM_BASE_URL is set")
        dev_mode = _flag("DEV_MODE", get("DEV_MODE"), False)
        proxies = get("TRUSTED_PROXIES") or ""
        try:
            networks = parse_networks(proxies)
        except ValueError as exc:
            raise ConfigError("TRUSTED_PROXIES", str(exc)) from None
        sms = _sms_settings(get, dev_mode)
        file_store = (get("FILE_STORE") or "local").lower()
        if file_store not in ("local", "s3"):
            raise ConfigError("FILE_STORE", "must be local or s3")
        files_dir = get("FILES_DIR")
        s3 = _s3_settings(get, required=file_store == "s3")
        pii = tuple(k.strip() for k in (get("PII_KEYS") or "").split(",") if k.strip())
        for key in pii:
            _check_fernet_key(key)

        return cls(
            data_dir=data_dir,
            database_url=normalise_database_url(
                get("DATABASE_URL") or f"sqlite+aiosqlite:///{data_dir / 'mediation.db'}"
            ),
            telegram_bot_token=token,
            telegram_api_base_url=_http_url(
                "TELEGRAM_API_BASE_URL",
                get("TELEGRAM_API_BASE_URL") or "https://api.telegram.org/bot",
            ),
            telegram_api_file_url=_http_url(
                "TELEGRAM_API_FILE_URL",
                get("TELEGRAM_API_FILE_URL") or "https://api.telegram.org/file/bot",
            ),
            web_host=get("WEB_HOST") or "127.0.0.1",
            web_port=_number("WEB_PORT", get("WEB_PORT"), 8080, int, 0, 65535),
            public_url=public_url,
            webhook_secret=secret,
            units_file=units_file,
            default_language=language,
            timezone=timezone,
            pii_keys=pii,
            secret_key=get("SECRET_KEY"),
            telegram_rate_global=_number(
                "TELEGRAM_RATE_GLOBAL", get("TELEGRAM_RATE_GLOBAL"), 30.0, float, 0, 100_000
            ),
            telegram_rate_per_chat=_number(
                "TELEGRAM_RATE_PER_CHAT", get("TELEGRAM_RATE_PER_CHAT"), 1.0, float, 0, 100_000
            ),
            max_concurrent_updates=_number(
                "MAX_CONCURRENT_UPDATES", get("MAX_CONCURRENT_UPDATES"), 256, int, 1, 100_000
            ),
            max_update_backlog=_number(
                "MAX_UPDATE_BACKLOG", get("MAX_UPDATE_BACKLOG"), 5000, int, 1, 10_000_000
            ),
            log_level=log_level,
            event_loop=event_loop,
            invite_ttl_days=_number(
                "INVITE_TTL_DAYS", get("INVITE_TTL_DAYS"), 7.0, float, 0.01, 365
            ),
            mediation_period_days=_number(
                "MEDIATION_PERIOD_DAYS", get("MEDIATION_PERIOD_DAYS"), 30.0, float, 1, 365
            ),
            party_reply_hours=_number(
                "PARTY_REPLY_HOURS", get("PARTY_REPLY_HOURS"), 24.0, float, 0.1, 720
            ),
            kb_enabled=_boolean("KB_ENABLED", get("KB_ENABLED"), True),
            kb_dense=_boolean("KB_DENSE", get("KB_DENSE"), True),
            kb_query_int8=_boolean("KB_QUERY_INT8", get("KB_QUERY_INT8"), True),
            staff_quiet_hours=_quiet_hours(get("STAFF_QUIET_HOURS")),
            staff_away_minutes=_number(
                "STAFF_AWAY_MINUTES", get("STAFF_AWAY_MINUTES"), 15.0, float, 1, 1440
            ),
            lawyer_widen_minutes=_number(
                "LAWYER_WIDEN_MINUTES", get("LAWYER_WIDEN_MINUTES"), 10.0, float, 0.5, 1440
            ),
            llm_base_url=_http_url("LLM_BASE_URL", llm_url).rstrip("/") if llm_url else None,
            llm_api_key=get("LLM_API_KEY"),
            llm_model=get("LLM_MODEL"),
            dev_mode=dev_mode,
            trusted_proxies=tuple(str(n) for n in networks),
            **sms,
            asr_backend=asr_backend,
            asr_model_dir=Path(asr_dir).expanduser().resolve() if asr_dir else None,
            asr_workers=_number("ASR_WORKERS", get("ASR_WORKERS"), 1, int, 1, 64),
            asr_threads=_number("ASR_THREADS", get("ASR_THREADS"), 1, int, 1, 64),
            memory_probe_file=Path(probe).expanduser().resolve() if probe else None,
            memory_probe_every=_number(
                "MEMORY_PROBE_EVERY", get("MEMORY_PROBE_EVERY"), 60.0, float, 1, 86_400
            ),
            memory_probe_frames=_number(
                "MEMORY_PROBE_FRAMES", get("MEMORY_PROBE_FRAMES"), 0, int, 0, 100
            ),
            file_store=file_store,
            files_dir=Path(files_dir).expanduser().resolve() if files_dir else None,
            **s3,
            extra={k: v for k, v in env.items() if k.startswith("MEDIATION_")},
        )


def _flag(name: str, value: str | None, default: bool) -> bool:
    if value is None:
        return default
    if value not in ("0", "1"):
        raise ConfigError(name, "must be 0 or 1")
    return value == "1"


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
        out["sms_endpoint_url"] = _http_url("SMS_ENDPOINT_URL", endpoint).rstrip("/")
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
    _http_url("S3_ENDPOINT_URL", endpoint)
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
    addressing = (get("S3_ADDRESSING") or "path").lower()
    if addressing not in ("path", "virtual"):
        raise ConfigError("S3_ADDRESSING", "must be path or virtual")
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


def _http_url(variable: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(variable, f"expected an http(s) URL, got {value!r}")
    return value


def _number(
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


def _quiet_hours(raw: str | None) -> str:
    if raw is None:
        return "22:00-08:00"
    try:
        QuietHours.parse(raw)
    except ValueError as exc:
        raise ConfigError("STAFF_QUIET_HOURS", f"{exc} (or 'off')") from exc
    return raw.strip()


def _boolean(variable: str, raw: str | None, default: bool) -> bool:
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(variable, f"expected 1/0, true/false, yes/no or on/off, got {raw!r}")


def _check_fernet_key(key: str) -> None:
    import base64
    import binascii

    try:
        raw = base64.urlsafe_b64decode(key.encode())
    except (binascii.Error, ValueError) as exc:
        raise ConfigError("PII_KEYS", "each key must be a urlsafe-base64 Fernet key") from exc
    if len(raw) != 32:
        raise ConfigError("PII_KEYS", "each key must decode to 32 bytes (Fernet.generate_key())")


def public_base(settings: Settings) -> str:
    """Where people reach our web pages: ``PUBLIC_URL``, else ``http://WEB_HOST:WEB_PORT``."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    host = "127.0.0.1" if settings.web_host in ("0.0.0.0", "::", "") else settings.web_host
    return f"http://{host}:{settings.web_port}"
