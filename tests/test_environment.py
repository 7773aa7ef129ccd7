"""The conda environment (environment.yml) and pyproject.toml list the same pinned packages."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: conda-forge names of PyPI packages whose conda package is named otherwise.
CONDA_NAMES = {"brotli": "brotli-python"}


def pinned(requirement: str) -> tuple[str, str]:
    match = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[[^]]*\])?==([^;\s]+)", requirement.strip())
    assert match, f"pyproject dependency {requirement!r} is not pinned with =="
    return match.group(1).lower(), match.group(2)


def conda_packages(path: Path) -> dict[str, str]:
    packages = {}
    for line in path.read_text().splitlines():
        match = re.fullmatch(r"\s+-\s+([A-Za-z0-9_.-]+)=([^=\s]+)\s*", line)
        if match and match.group(1) != "python":
            packages[match.group(1).lower()] = match.group(2)
    return packages


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    from_pyproject = {
        CONDA_NAMES.get(name, name): version
        for name, version in (pinned(r) for r in project["dependencies"])
    }
    assert conda_packages(ROOT / "environment.yml") == from_pyproject


def test_python_version_agrees():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.11"
    assert "  - python=3.11\n" in (ROOT / "environment.yml").read_text()
