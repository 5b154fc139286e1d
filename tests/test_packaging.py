"""pyproject.toml's packaging metadata in the form current setuptools accepts without warnings.

setuptools ≥ 77 deprecates ``project.license`` as a TOML table (``{ text = "MIT" }``) and stops
accepting it on 2027-02-18; ``pip install -e .`` (scripts/setup.sh) printed the warning three
times. The SPDX string form needs setuptools ≥ 77 in the build requirements.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def _config() -> dict[str, object]:
    with PYPROJECT.open("rb") as f:
        return tomllib.load(f)


def test_license_is_an_spdx_string() -> None:
    project = _config()["project"]
    assert isinstance(project, dict)
    assert project["license"] == "MIT"


def test_build_requires_a_setuptools_that_reads_spdx_licenses() -> None:
    build = _config()["build-system"]
    assert isinstance(build, dict)
    floors = [
        int(m.group(1))
        for req in build["requires"]
        if (m := re.fullmatch(r"setuptools>=(\d+)(?:\.\d+)*", req.replace(" ", "")))
    ]
    assert floors and floors[0] >= 77
