"""Write requirements/constraints.txt: every package mdvax installs, pinned (``make lock``).

    python scripts/lock.py            # re-resolve at the versions pyproject.toml pins
    python scripts/lock.py --upgrade  # newest releases of everything; rewrite the pins

The input is every requirement pyproject.toml names: the runtime ``dependencies``, each extra
(``test``, ``geometry``, ``binder``) and the build backend. ``uv pip compile`` resolves them for
CPython 3.11.0 and up (Debian bookworm ships 3.11.2) on every platform (``--universal``), so the
one file serves ``make setup``, the container, Binder and CI alike (they install with
``-c requirements/constraints.txt``). Without ``--upgrade`` a package keeps the version the file
already pins when it still fits. With ``--upgrade`` the input names no versions; the result's
versions are then written back into pyproject.toml and environment.yml, which pin the packages
mdvax names itself. Run the whole suite (``make test``) before committing either.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
LOCK = ROOT / "requirements" / "constraints.txt"
ENVIRONMENT = ROOT / "environment.yml"
PYTHON = "3.11"
#: conda-forge names of PyPI packages whose conda package is named otherwise.
CONDA_NAMES = {"brotli": "brotli-python"}
PIN = re.compile(r"^(?P<name>[A-Za-z0-9_.-]+)(?P<extras>\[[^]]*\])?(?P<spec>[=<>!~].*)?$")


def normalize(name: str) -> str:
    """PEP 503 form of a distribution name (``Jinja2`` and ``jinja_2`` -> ``jinja2``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements(pyproject: dict) -> list[str]:
    """Every requirement pyproject.toml names: runtime, each extra, the build backend."""
    project = pyproject["project"]
    named = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        named += extra
    return named + list(pyproject["build-system"]["requires"])


def unpinned(requirement: str) -> str:
    """``psycopg[binary]==3.3.9`` -> ``psycopg[binary]``."""
    match = PIN.match(requirement.strip())
    if not match:
        raise SystemExit(f"lock: cannot read the requirement {requirement!r} in pyproject.toml")
    return match["name"] + (match["extras"] or "")


def compile_lock(inputs: list[str], output: Path, upgrade: bool) -> None:
    """Resolve ``inputs`` with ``uv pip compile`` into ``output`` (kept pins preferred)."""
    output.parent.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "mdvax.in"
        source.write_text("\n".join(inputs) + "\n")
        command = [
            sys.executable, "-m", "uv", "pip", "compile", str(source),
            "--output-file", str(output), "--python-platform", "linux", "--python-version", PYTHON,
            "--no-annotate", "--quiet", "--custom-compile-command", "make lock",
        ]  # fmt: skip
        if upgrade:
            command.append("--upgrade")
        env = dict(os.environ)
        # uv reads the same trust store as pip on machines whose network inspects TLS.
        if "PIP_CERT" in env and "SSL_CERT_FILE" not in env:
            env["SSL_CERT_FILE"] = env["PIP_CERT"]
        subprocess.run(command, check=True, env=env)


def locked_versions(text: str) -> dict[str, str]:
    """``{normalized name: version}`` of every ``name==version`` line of a constraints file."""
    pins = {}
    for line in text.splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==([^\s;]+)", line)
        if match:
            pins[normalize(match[1])] = match[2]
    return pins


def rewrite_pins(pins: dict[str, str], pyproject: Path, environment: Path) -> None:
    """Set the ``==`` versions of ``pyproject`` and ``environment`` (.yml) to those of ``pins``."""

    def in_pyproject(match: re.Match) -> str:
        version = pins.get(normalize(match["name"]), match["version"])
        return f'"{match["name"]}{match["extras"] or ""}=={version}"'

    text = pyproject.read_text()
    pattern = r'"(?P<name>[A-Za-z0-9_.-]+)(?P<extras>\[[^]]*\])?==(?P<version>[^"]+)"'
    pyproject.write_text(re.sub(pattern, in_pyproject, text))
    conda = {CONDA_NAMES.get(name, name): version for name, version in pins.items()}

    def in_environment(match: re.Match) -> str:
        version = conda.get(normalize(match["name"]), match["version"])
        return f"{match['lead']}{match['name']}={version}"

    text = environment.read_text()
    pattern = r"(?m)^(?P<lead>\s+-\s+)(?P<name>(?!python\b)[A-Za-z0-9_.-]+)=(?P<version>[^=\s]+)"
    environment.write_text(re.sub(pattern, in_environment, text))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upgrade", action="store_true", help="newest releases; rewrite the pins")
    parser.add_argument("--output", type=Path, default=LOCK, help=f"default {LOCK}")
    args = parser.parse_args(argv)
    named = requirements(tomllib.loads(PYPROJECT.read_text()))
    inputs = [unpinned(r) for r in named] if args.upgrade else named
    compile_lock(inputs, args.output, args.upgrade)
    pins = locked_versions(args.output.read_text())
    if args.upgrade:
        rewrite_pins(pins, PYPROJECT, ENVIRONMENT)
    print(f"{args.output}: {len(pins)} packages pinned")
    return 0


if __name__ == "__main__":
    sys.exit(main())
