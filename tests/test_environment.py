"""One pinned stack: requirements/constraints.txt, pyproject.toml, environment.yml, and every place
that installs mdvax (``make setup``, the container, Binder, the daily-report workflow) agree."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements" / "constraints.txt"
#: conda-forge names of PyPI packages whose conda package is named otherwise.
CONDA_NAMES = {"brotli": "brotli-python"}


def normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def pinned(requirement: str) -> tuple[str, str]:
    match = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[[^]]*\])?==([^;\s]+)", requirement.strip())
    assert match, f"pyproject requirement {requirement!r} is not pinned with =="
    return normal(match.group(1)), match.group(2)


def locked(path: Path = LOCK) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            match = re.fullmatch(r"([A-Za-z0-9_.-]+)==(\S+)", line.strip())
            assert match, f"{path.name}: {line!r} is not name==version"
            assert normal(match.group(1)) not in pins, f"{path.name}: {line!r} twice"
            pins[normal(match.group(1))] = match.group(2)
    return pins


def conda_packages(path: Path) -> dict[str, str]:
    packages = {}
    for line in path.read_text().splitlines():
        match = re.fullmatch(r"\s+-\s+([A-Za-z0-9_.-]+)=([^=\s]+)\s*", line)
        if match and match.group(1) != "python":
            packages[match.group(1).lower()] = match.group(2)
    return packages


def test_the_lock_pins_every_requirement_of_pyproject_at_its_version():
    meta = project()
    named = list(meta["project"]["dependencies"])
    for extra in ("test", "geometry", "binder"):
        named += meta["project"]["optional-dependencies"][extra]
    pins = locked()
    for requirement in named:
        name, version = pinned(requirement)
        assert pins.get(name) == version, f"{requirement}: the lock has {pins.get(name)}"
    assert "setuptools" in pins  # the build backend (the container builds offline with it)
    # The stack's floating parts of old: each pinned now.
    for name in ("jupyter-server", "jupyter-client", "tornado", "nbclient", "pyzmq", "traitlets"):
        assert name in pins, name


@pytest.mark.slow
def test_the_lock_is_what_make_lock_writes(tmp_path):
    # `make lock` keeps every pin that still fits: rerun on a copy, nothing may change. Fails when
    # pyproject.toml gained, lost or re-pinned a requirement and nobody ran `make lock`.
    if importlib.util.find_spec("uv") is None:
        pytest.fail("uv is missing: make setup (the test extra installs it)")
    out = tmp_path / "constraints.txt"
    shutil.copy(LOCK, out)
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "lock.py"), "--output", str(out)],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert out.read_text() == LOCK.read_text()


def test_the_running_environment_is_the_locked_one():
    # What `make setup` installed is what the lock pins (a stale .venv fails here, not later).
    # The build backend is not one of them: pip builds in an isolated environment of its own.
    build = {normal(re.split(r"[<>=!~\[ ]", r)[0]) for r in project()["build-system"]["requires"]}
    pins = {name: version for name, version in locked().items() if name not in build}
    wrong = {}
    for dist in importlib.metadata.distributions():
        name = normal(dist.metadata["Name"])
        if name in pins and dist.version != pins[name]:
            wrong[name] = (dist.version, pins[name])
    assert not wrong, f"installed vs locked: {wrong} (run make setup)"


def test_environment_yml_is_pyproject_and_the_lock():
    meta = project()["project"]
    named = meta["dependencies"] + meta["optional-dependencies"]["binder"]
    from_pyproject = {CONDA_NAMES.get(n, n): v for n, v in map(pinned, named)}
    conda = conda_packages(ROOT / "environment.yml")
    assert conda == from_pyproject
    pins = {CONDA_NAMES.get(n, n): v for n, v in locked().items()}
    assert {name: pins[name] for name in conda} == conda


def test_python_version_agrees():
    assert project()["project"]["requires-python"] == ">=3.11"
    assert "  - python=3.11\n" in (ROOT / "environment.yml").read_text()
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"
    assert "--python-version" in (ROOT / "scripts" / "lock.py").read_text()


def test_make_setup_installs_with_the_lock():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"(?m)^CONSTRAINTS = requirements/constraints\.txt$", makefile)
    assert re.search(r"(?m)^\$\(VENV\)/\.installed: .*\$\(CONSTRAINTS\)", makefile)
    installs = [line for line in makefile.splitlines() if "pip install" in line and "-e" in line]
    assert installs, "no pip install -e in the Makefile"
    for line in installs:
        assert "-c $(CONSTRAINTS)" in line, line
    assert re.search(r"(?m)^lock:", makefile)
    assert re.search(r"(?m)^upgrade:", makefile)


def test_the_container_installs_with_the_lock():
    containerfile = (ROOT / "deploy" / "container" / "Containerfile").read_text()
    assert "COPY requirements/constraints.txt /src/requirements/constraints.txt" in containerfile
    installs = re.findall(r"pip install [^\n]*(?:\\\n[^\n]*)*", containerfile)
    dependencies = [step for step in installs if "--no-deps" not in step]
    assert dependencies, "no dependency install in the Containerfile"
    for step in dependencies:
        assert "--constraint /src/requirements/constraints.txt" in step, step
    # The build context lets the lock through.
    assert "!requirements/constraints.txt" in (ROOT / ".dockerignore").read_text().splitlines()


def test_binder_installs_the_package_with_the_lock():
    binder = ROOT / "binder"
    # repo2docker prefers an environment.yml (conda) to requirements.txt: there is none.
    assert not (binder / "environment.yml").exists()
    lines = [
        line.strip()
        for line in (binder / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    constraints = [line.split(maxsplit=1)[1] for line in lines if line.startswith("-c ")]
    # pip reads a -c path relative to the file that names it.
    assert [(binder / path).resolve() for path in constraints] == [LOCK]
    assert "-e .[binder]" in lines  # `.`: the repository root, where repo2docker runs pip
    assert set(lines) == {"-e .[binder]", *(f"-c {path}" for path in constraints)}


def test_the_daily_report_workflow_installs_with_the_lock():
    workflow = (ROOT / ".github" / "workflows" / "daily-report.yml").read_text()
    installs = [line for line in workflow.splitlines() if "pip install" in line]
    assert installs
    for line in installs:
        assert "-c requirements/constraints.txt" in line, line


def test_upgrade_writes_the_new_versions_into_pyproject_and_environment_yml(tmp_path):
    spec = importlib.util.spec_from_file_location("lock_script", ROOT / "scripts" / "lock.py")
    lock = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lock)
    pyproject, environment = tmp_path / "pyproject.toml", tmp_path / "environment.yml"
    shutil.copy(ROOT / "pyproject.toml", pyproject)
    shutil.copy(ROOT / "environment.yml", environment)
    pins = locked() | {"psycopg": "9.8.7", "brotli": "5.4.3", "jupyterlab": "6.5.4"}
    lock.rewrite_pins(pins, pyproject, environment)
    meta = tomllib.loads(pyproject.read_text())["project"]
    assert "psycopg[binary]==9.8.7" in meta["dependencies"]
    assert meta["optional-dependencies"]["binder"] == ["jupyterlab==6.5.4"]
    conda = conda_packages(environment)
    assert (conda["psycopg"], conda["brotli-python"], conda["jupyterlab"]) == (
        "9.8.7",
        "5.4.3",
        "6.5.4",
    )
    assert "  - python=3.11\n" in environment.read_text()
    # Everything else as it was.
    before = conda_packages(ROOT / "environment.yml")
    assert {
        k: v for k, v in conda.items() if k not in {"psycopg", "brotli-python", "jupyterlab"}
    } == {k: v for k, v in before.items() if k not in {"psycopg", "brotli-python", "jupyterlab"}}


#: Runtime dependencies the package never imports by name, and why they are runtime ones.
LOADED_BY_NAME = {"psycopg": "SQLAlchemy loads it for postgresql+psycopg:// archive URLs"}


def imported_distributions() -> set[str]:
    """Distributions of the top-level modules ``mdvax`` imports anywhere (functions too)."""
    import ast

    modules = set()
    for path in (ROOT / "mdvax").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    by_module = importlib.metadata.packages_distributions()
    return {normal(d) for m in modules for d in by_module.get(m, [])} - {"mdvax"}


def runtime_closure() -> set[str]:
    """The runtime dependencies and theirs, from the installed metadata (no extras)."""
    todo = [pinned(r)[0] for r in project()["project"]["dependencies"]]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for line in importlib.metadata.requires(name) or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(normal(requirement.name))
    return seen


def test_every_runtime_dependency_is_used_by_the_package():
    # geopandas, shapely (scripts and tests) and jupyterlab (researchers) were runtime ones.
    direct = {pinned(r)[0] for r in project()["project"]["dependencies"]}
    unused = direct - imported_distributions() - set(LOADED_BY_NAME)
    assert not unused, f"runtime dependencies mdvax never imports: {sorted(unused)}"


def test_everything_the_package_imports_comes_with_a_plain_install():
    # `pip install .` without extras has every distribution mdvax imports (psutil included).
    missing = imported_distributions() - runtime_closure()
    assert not missing, f"imported but only in an extra or nowhere: {sorted(missing)}"
    assert "psutil" in {pinned(r)[0] for r in project()["project"]["dependencies"]}
