"""``pip install .`` into a fresh virtualenv outside the checkout, then the commands work from a
folder that is not the checkout: the package needs nothing but itself (notebooks, templates,
kernel spec are package data; the data folder is the per-user one).

The install is the normal one (dependencies resolved by pip from the configured index): about
35 s here, against minutes for a first download. The source is copied first, so the build
writes nothing into the checkout and nothing untracked outside ``mdvax/`` can leak in.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from mdvax.normalize.counties import JURISDICTIONS
from tests.support.process import ServeProcess
from tests.support.raw_figures import cumulative_by_label
from tests.support.source_server import snapshot_path

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[1]
SNAPSHOT = "2021-04-01"
DAY = "2021-03-25"  # neither the first nor the last day of the snapshot


class InstalledServe(ServeProcess):
    """``mdvax serve`` through the console script of the fresh virtualenv."""

    def __init__(self, script: Path, *args: str, env: dict, log_path: Path) -> None:
        super().__init__(*args, env=env, log_path=log_path)
        self.script = script
        self.env = env  # exactly this environment, not the test process's

    @property
    def args(self) -> list[str]:
        return [str(self.script), "serve", "--port", str(self.port), *self.options]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict]:
    """A virtualenv with ``pip install <copy of the checkout>``; its bin folder and environment."""
    root = tmp_path_factory.mktemp("install")
    source = root / "source"
    shutil.copytree(REPO / "mdvax", source / "mdvax", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(source)],
        capture_output=True, text=True, check=False, cwd=root,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MDVAX_", "PYTHON", "VIRTUAL_ENV", "JUPYTER"))
    }
    env |= {
        "HOME": str(root / "home"),
        "XDG_DATA_HOME": str(root / "xdg-data"),
        "XDG_CACHE_HOME": str(root / "xdg-cache"),
        "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
    }
    (root / "home").mkdir()
    return venv / "bin", env


@pytest.fixture(scope="module")
def workdir(installed, tmp_path_factory) -> Path:
    """A folder outside the checkout where ``mdvax update --from <fixture>`` has run."""
    here = tmp_path_factory.mktemp("elsewhere")
    done = mdvax(installed, here, "update", "--from", str(snapshot_path(SNAPSHOT)))
    assert done.returncode == 0, done.stderr
    return here


def mdvax(installed, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    bin_dir, env = installed
    return subprocess.run(
        [str(bin_dir / "mdvax"), *args],
        capture_output=True, text=True, check=False, cwd=cwd, env=env, timeout=600,
    )  # fmt: skip


def test_the_installed_package_is_not_the_checkout(installed, tmp_path):
    bin_dir, env = installed
    code = (
        "import json, mdvax, mdvax.config as c, mdvax.notebooks as n; print(json.dumps({"
        "'package': mdvax.__file__, 'checkout': str(c.checkout_root()), "
        "'data_dir': str(c.get_settings().data_dir), "
        "'notebook': str(n.notebook_path('dashboard.ipynb'))}))"
    )
    done = subprocess.run(
        [str(bin_dir / "python"), "-c", code],
        capture_output=True, text=True, check=True, cwd=tmp_path, env=env,
    )  # fmt: skip
    found = json.loads(done.stdout)
    site = bin_dir.parent / "lib"
    assert Path(found["package"]).is_relative_to(site)
    assert found["checkout"] == "None"
    assert found["data_dir"] == str(Path(env["XDG_DATA_HOME"]) / "mdvax")  # the per-user folder
    assert Path(found["notebook"]).is_relative_to(site)
    assert Path(found["notebook"]).is_file()


def test_update_fills_the_per_user_data_folder(installed, workdir):
    _, env = installed
    data = Path(env["XDG_DATA_HOME"]) / "mdvax"
    assert (data / "current.arrow").is_file()
    assert not (workdir / "data").exists()


def test_export_gives_the_figures_of_the_raw_file(installed, workdir):
    done = mdvax(installed, workdir, "export", "--output", "table.csv")
    assert done.returncode == 0, done.stderr
    with (workdir / "table.csv").open(newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["date"] == DAY]
    got = {r["county"]: int(float(r["first_dose"])) for r in rows}
    expected = cumulative_by_label(SNAPSHOT, DAY, "FirstDoseCumulative")
    assert sum(got[name] for name in JURISDICTIONS) == sum(expected[name] for name in JURISDICTIONS)
    assert got["Montgomery"] == expected["Montgomery"]


def test_report_is_built_from_the_shipped_notebook(installed, workdir):
    done = mdvax(installed, workdir, "report", "--out", "reports")
    assert done.returncode == 0, done.stdout + done.stderr
    html = (workdir / "reports" / "latest" / "report.html").read_text(encoding="utf-8")
    assert "Maryland" in html
    assert "Traceback" not in html
    assert (workdir / "reports" / "index.html").is_file()


def test_serve_answers_health_and_serves_the_dashboard(installed, workdir, monkeypatch, tmp_path):
    bin_dir, env = installed
    monkeypatch.chdir(workdir)
    args = ("--pool-size", "0", "--max-kernels", "2")
    with InstalledServe(
        bin_dir / "mdvax", *args, env=env, log_path=tmp_path / "serve.log"
    ) as server:
        assert server.health()["pool_ready"] == 0
        with urllib.request.urlopen(server.url, timeout=240) as response:
            assert response.status == 200
            page = response.read().decode("utf-8")
        assert "COVID-19 vaccinations in Maryland, county by county" in page
        # The notebook ran in a kernel of the installed package and displayed the widgets.
        assert "application/vnd.jupyter.widget-view+json" in page
        assert server.health()["live"] == 1
    log = (tmp_path / "serve.log").read_text()
    assert "Traceback" not in log, log[-3000:]
