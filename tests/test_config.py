from pathlib import Path

import pytest

from core.config import ConfigError, Settings

ROOT = Path(__file__).resolve().parent.parent


def test_defaults(tmp_path: Path) -> None:
    s = Settings.from_env({})
    assert s.database_url == f"sqlite+aiosqlite:///{Path.cwd() / 'var' / 'mediation.db'}"
    assert (s.web_host, s.web_port) == ("127.0.0.1", 8080)
    assert s.telegram_api_base_url == "https://api.telegram.org/bot"
    assert not s.webhook_mode and s.telegram_bot_token is None


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"TELEGRAM_BOT_TOKEN": "not a token"}, "TELEGRAM_BOT_TOKEN"),
        ({"TELEGRAM_API_BASE_URL": "ftp://x"}, "TELEGRAM_API_BASE_URL"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"WEB_PORT": "eighty"}, "WEB_PORT"),
        ({"WEB_PORT": "70000"}, "WEB_PORT"),
        ({"PUBLIC_URL": "example.org"}, "PUBLIC_URL"),
        ({"WEBHOOK_SECRET": "has spaces"}, "WEBHOOK_SECRET"),
        ({"PII_KEYS": "short"}, "PII_KEYS"),
        ({"TIMEZONE": "Mars/Olympus"}, "TIMEZONE"),
        ({"UNITS_FILE": "/nonexistent.toml"}, "UNITS_FILE"),
        ({"DEFAULT_LANGUAGE": "fr"}, "DEFAULT_LANGUAGE"),
        ({"TELEGRAM_RATE_GLOBAL": "-1"}, "TELEGRAM_RATE_GLOBAL"),
    ],
)
def test_invalid_values_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as err:
        Settings.from_env(env)
    assert err.value.variable == variable
    assert str(err.value).startswith(variable)


def test_urls_normalised_and_webhook_mode() -> None:
    s = Settings.from_env(
        {
            "DATABASE_URL": "postgresql://u@h/db",
            "PUBLIC_URL": "https://x.org/",
            "TELEGRAM_BOT_TOKEN": "1:abc",
        }
    )
    assert s.database_url == "postgresql+asyncpg://u@h/db"
    assert s.public_url == "https://x.org" and s.webhook_mode


def test_dotenv_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("WEB_PORT=9000\nWEB_HOST=0.0.0.0\n")
    s = Settings.from_env({"WEB_PORT": "9100"}, dotenv=dotenv)
    assert (s.web_host, s.web_port) == ("0.0.0.0", 9100)


def test_every_variable_is_documented_in_the_readme() -> None:
    source = (ROOT / "core" / "config.py").read_text(encoding="utf-8")
    import re

    variables = set(re.findall(r'get\("([A-Z_]+)"\)', source)) | set(
        re.findall(r'number\(\s*"([A-Z_]+)"', source)
    )
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", readme, re.M))
    assert variables - documented == set(), "document these in README.md's table"
    assert documented - variables <= {
        "TEST_POSTGRES_URL",
        "TEST_WORKERS",
        "HARNESS_PORTS",
        "LLM_BASE_URL",
        "LLM_API_KEY",
        "LLM_MODEL",
        "ASR_MODEL_DIR",
        # Feature settings read through Settings.extra (the MEDIATION_ prefix).
        "MEDIATION_SEAL_KEY_FILE",
        "MEDIATION_SEAL_CERT_FILE",
        "MEDIATION_SEAL_KEY_PASSPHRASE",
        "MEDIATION_RENDER_WORKERS",
        "MEDIATION_WEBAPP_MAX_AGE",
        "MEDIATION_WEBAPP_ALLOW_HTTP",
        # Read by documents.fonts in setup and in the render workers, before any Settings.
        "MEDIATION_FONT_CACHE",
    }
