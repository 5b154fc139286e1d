"""FILE_STORE / FILES_DIR / S3_* settings: defaults, and bad values named by their variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import ConfigError, Settings
from storage.files import LocalFileStore, store_from_settings
from storage.s3 import S3FileStore

S3 = {
    "FILE_STORE": "s3",
    "S3_BUCKET": "mediation-files",
    "S3_ACCESS_KEY_ID": "AKIAEXAMPLE",
    "S3_SECRET_ACCESS_KEY": "wJalrXUtnFEMI-not-in-repr",
}


def test_defaults_keep_files_in_data_dir(tmp_path: Path) -> None:
    s = Settings.from_env({"DATA_DIR": str(tmp_path)}, dotenv=None)
    store = store_from_settings(s)
    assert isinstance(store, LocalFileStore) and store.root == tmp_path.resolve()
    shared = Settings.from_env({"DATA_DIR": str(tmp_path), "FILES_DIR": str(tmp_path / "nfs")})
    assert store_from_settings(shared).root == (tmp_path / "nfs").resolve()  # type: ignore[attr-defined]


def test_s3_settings_build_an_s3_store(tmp_path: Path) -> None:
    s = Settings.from_env(
        {**S3, "DATA_DIR": str(tmp_path), "S3_PREFIX": "/prod/", "S3_ADDRESSING": "VIRTUAL"}
    )
    assert (s.s3_prefix, s.s3_addressing, s.s3_region) == ("prod", "virtual", "us-east-1")
    assert "not-in-repr" not in repr(s)  # the secret key is not in the settings' repr
    store = store_from_settings(s)
    assert isinstance(store, S3FileStore) and store.prefix == "prod/"


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"FILE_STORE": "ftp"}, "FILE_STORE"),
        ({**S3, "S3_BUCKET": ""}, "S3_BUCKET"),
        ({**S3, "S3_BUCKET": "Bad_Bucket"}, "S3_BUCKET"),
        ({**S3, "S3_ACCESS_KEY_ID": ""}, "S3_ACCESS_KEY_ID"),
        ({**S3, "S3_SECRET_ACCESS_KEY": " "}, "S3_SECRET_ACCESS_KEY"),
        ({**S3, "S3_ENDPOINT_URL": "minio:9000"}, "S3_ENDPOINT_URL"),
        ({**S3, "S3_REGION": "Mars 1"}, "S3_REGION"),
        ({**S3, "S3_PREFIX": "a/../b"}, "S3_PREFIX"),
        ({**S3, "S3_ADDRESSING": "dns"}, "S3_ADDRESSING"),
    ],
)
def test_bad_values_name_the_variable(tmp_path: Path, env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({**env, "DATA_DIR": str(tmp_path)})
    assert caught.value.variable == variable
