"""Binder (repo2docker) files: Voila settings Voila accepts (the packages: test_environment.py)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from voila.configuration import VoilaConfiguration

from tests.support.process import free_port

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"


def test_post_build_installs_the_voila_settings():
    # The packages come from binder/requirements.txt (tests/test_environment.py checks it).
    post_build = BINDER / "postBuild"
    assert os.access(post_build, os.X_OK)
    lines = [line.strip() for line in post_build.read_text().splitlines()]
    assert any(line.startswith("cp binder/jupyter_config.json ") for line in lines)


def test_binder_voila_settings_are_known_traits():
    settings = json.loads((BINDER / "jupyter_config.json").read_text())
    known = VoilaConfiguration.class_trait_names(config=True)
    assert set(settings["VoilaConfiguration"]) <= set(known)
    assert settings["VoilaConfiguration"]["show_tracebacks"] is False
    assert settings["VoilaConfiguration"]["strip_sources"] is True
    # Binder's Voila pages load only the front-end extensions the dashboard uses, as mdvax serve's.
    shipped = json.loads((ROOT / "mdvax" / "serve" / "voila.json").read_text())
    allowed = settings["VoilaConfiguration"]["extension_allowlist"]
    assert allowed == shipped["VoilaConfiguration"]["extension_allowlist"]


def test_shipped_serve_settings_are_known_traits():
    settings = json.loads((ROOT / "mdvax" / "serve" / "voila.json").read_text())
    known = VoilaConfiguration.class_trait_names(config=True)
    assert set(settings["VoilaConfiguration"]) <= set(known)
    assert settings["VoilaConfiguration"]["show_tracebacks"] is False
    assert settings["MappingKernelManager"]["cull_idle_timeout"] > 0


@pytest.mark.slow
def test_binder_settings_render_the_page_through_the_voila_server_extension(tmp_path):
    # As on Binder: a Jupyter server with binder/jupyter_config.json in its config path (postBuild
    # copies it into the environment's etc/jupyter), the page at ?urlpath=voila/render/<nb>.
    config_dir = tmp_path / "jupyter-config"
    config_dir.mkdir()
    shutil.copy(BINDER / "jupyter_config.json", config_dir / "jupyter_config.json")
    port = free_port()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config_dir), "JUPYTER_PREFER_ENV_PATH": "0"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter_server",
            "--no-browser",
            f"--port={port}",
            "--ServerApp.ip=127.0.0.1",
            "--IdentityProvider.token=",
            f"--ServerApp.root_dir={ROOT}",
            "--ServerApp.port_retries=0",
            "--ServerApp.allow_root=True",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        # ?template=classic is ignored only if our allow_template_override = NO was loaded.
        url = f"http://127.0.0.1:{port}/voila/render/benchmarks/bare_page.ipynb?template=classic"
        body = None
        for _ in range(240):
            try:
                with urllib.request.urlopen(url, timeout=120) as response:
                    body = response.read().decode()
                break
            except (urllib.error.URLError, ConnectionError):
                if server.poll() is not None:
                    raise
                time.sleep(0.5)
        assert body is not None
        assert "application/vnd.jupyter.widget-view+json" in body
        assert "from mdvax.api import geometry" not in body  # strip_sources
        assert "jp-Notebook theme-light" in body  # still the lab template
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
