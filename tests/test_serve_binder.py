"""Binder (repo2docker) files: one environment definition, Voila settings Voila accepts."""

from __future__ import annotations

import json
import os
from pathlib import Path

from voila.configuration import VoilaConfiguration

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"


def test_binder_environment_is_the_root_environment():
    # repo2docker ignores root files when binder/ exists: binder/ carries an exact copy.
    # To update: cp environment.yml binder/environment.yml
    assert (BINDER / "environment.yml").read_text() == (ROOT / "environment.yml").read_text()


def test_post_build_installs_the_package_and_the_voila_settings():
    post_build = BINDER / "postBuild"
    assert os.access(post_build, os.X_OK)
    lines = [line.strip() for line in post_build.read_text().splitlines()]
    assert "python -m pip install --no-deps -e ." in lines
    assert any(line.startswith("cp binder/jupyter_config.json ") for line in lines)


def test_binder_voila_settings_are_known_traits():
    settings = json.loads((BINDER / "jupyter_config.json").read_text())
    known = VoilaConfiguration.class_trait_names(config=True)
    assert set(settings["VoilaConfiguration"]) <= set(known)
    assert settings["VoilaConfiguration"]["show_tracebacks"] is False
    assert settings["VoilaConfiguration"]["strip_sources"] is True


def test_shipped_serve_settings_are_known_traits():
    settings = json.loads((ROOT / "mdvax" / "serve" / "voila.json").read_text())
    known = VoilaConfiguration.class_trait_names(config=True)
    assert set(settings["VoilaConfiguration"]) <= set(known)
    assert settings["VoilaConfiguration"]["show_tracebacks"] is False
    assert settings["MappingKernelManager"]["cull_idle_timeout"] > 0
