"""Settings: one place reads the environment; the data folder of a checkout, of an installed
package, and the ``MDVAX_DATA_DIR`` override."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from mdvax.config import PACKAGE_DIR, Settings, checkout_root, default_data_dir, get_settings
from mdvax.errors import ConfigError, ServeError
from mdvax.serve.kernel import bytecode_cache
from mdvax.serve.settings import ServeOptions, shipped_settings
from tests.support.parts import chromium_path, in_ci
from tests.support.serve_options import resolved

REPO = Path(__file__).resolve().parents[1]


def test_a_checkout_keeps_its_data_in_its_own_data_folder():
    assert checkout_root() == REPO
    assert get_settings(environ={}).data_dir == REPO / "data"


def test_an_installed_package_keeps_its_data_in_the_user_data_folder(tmp_path, monkeypatch):
    # The package as pip lays it out: site-packages/mdvax, no pyproject.toml beside it.
    installed = tmp_path / "lib" / "site-packages" / "mdvax"
    installed.mkdir(parents=True)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    assert checkout_root(installed) is None
    assert default_data_dir(installed) == tmp_path / "xdg-data" / "mdvax"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_data_dir(installed) == tmp_path / "home" / ".local" / "share" / "mdvax"


def test_mdvax_data_dir_overrides_both(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    chosen = get_settings(environ={"MDVAX_DATA_DIR": "~/somewhere/../cache"})
    assert chosen.data_dir == tmp_path / "cache"
    assert chosen.lock_path == tmp_path / "cache" / ".update.lock"
    assert get_settings(environ={"MDVAX_DATA_DIR": ""}).data_dir == REPO / "data"  # empty: unset


def test_explicit_values_take_precedence_over_the_environment(tmp_path):
    settings = get_settings(environ={"MDVAX_DATA_DIR": "/elsewhere"}, data_dir=str(tmp_path))
    assert settings.data_dir == tmp_path
    assert settings.replace(data_dir="~").data_dir == Path.home()


def test_every_variable_is_read(tmp_path):
    env = {
        "MDVAX_MARYLAND_CSV_URL": "http://127.0.0.1:9/a.csv",
        "MDVAX_MARYLAND_API_URL": "http://127.0.0.1:9/query",
        "MDVAX_DATABASE_URL": "postgresql+psycopg://u@127.0.0.1:5/db",
        "MDVAX_HTTP_TIMEOUT": "2.5",
        "MDVAX_HTTP_RETRIES": "0",
        "MDVAX_MAX_DOWNLOAD_MB": "1.5",
        "MDVAX_SERVE_HOST": "0.0.0.0",
        "MDVAX_SERVE_PORT": "9123",
        "MDVAX_SERVE_BASE_URL": "/vax/",
        "MDVAX_SERVE_CONFIG": str(tmp_path / "serve.json"),
        "MDVAX_SERVE_HEALTH_TOKEN": "s3cret",
        "MDVAX_CACHE_DIR": str(tmp_path / "cache"),
    }
    s = get_settings(environ=env)
    assert (s.maryland_csv_url, s.maryland_api_url) == (
        env["MDVAX_MARYLAND_CSV_URL"],
        env["MDVAX_MARYLAND_API_URL"],
    )
    assert s.database_url == s.archive_url == env["MDVAX_DATABASE_URL"]
    assert (s.timeout, s.retries, s.max_download_bytes) == (2.5, 0, 1_572_864)
    assert (s.serve_host, s.serve_port, s.serve_base_url) == ("0.0.0.0", 9123, "/vax/")
    assert (s.serve_config, s.serve_health_token) == (tmp_path / "serve.json", "s3cret")
    assert s.bytecode_cache == tmp_path / "cache" / "bytecode"
    assert s.static_cache == tmp_path / "cache" / "static"


def test_defaults_without_any_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    s = get_settings(environ={})
    assert s.archive_url == f"sqlite:///{REPO / 'data' / 'archive.sqlite'}"
    assert (s.timeout, s.retries, s.max_download_bytes) == (30.0, 2, 200 * 1024 * 1024)
    assert (s.serve_host, s.serve_port, s.serve_config) == ("127.0.0.1", 8866, None)
    assert s.bytecode_cache == tmp_path / "xdg-cache" / "mdvax" / "bytecode"
    assert s.static_cache == tmp_path / "xdg-cache" / "mdvax" / "static"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("MDVAX_HTTP_TIMEOUT", "soon", "MDVAX_HTTP_TIMEOUT must be a number, got 'soon'"),
        ("MDVAX_HTTP_RETRIES", "2.5", "MDVAX_HTTP_RETRIES must be an integer, got '2.5'"),
        ("MDVAX_SERVE_PORT", "http", "MDVAX_SERVE_PORT must be an integer, got 'http'"),
    ],
)
def test_a_bad_value_names_its_variable(name, value, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        get_settings(environ={name: value})


def test_serve_options_and_the_kernel_take_their_defaults_from_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("MDVAX_SERVE_PORT", "9321")
    monkeypatch.setenv("MDVAX_CACHE_DIR", str(tmp_path / "cache"))
    options = ServeOptions()
    assert (options.port, options.max_kernels, options.cull_interval) == (9321, None, None)
    assert ServeOptions(port=8000).port == 8000  # the command line wins
    assert bytecode_cache() == tmp_path / "cache" / "bytecode"


def test_server_options_come_from_voila_json_then_the_config_file_then_the_command_line(
    tmp_path,
):
    config = tmp_path / "serve.json"
    config.write_text(
        json.dumps(
            {
                "MdvaxVoila": {"kernels_per_client": 3, "max_kernels": 9, "pool_size": 1},
                "MappingKernelManager": {"cull_interval": 7},
                "MdvaxKernelManager": {"kernel_memory_mb": 700},
            }
        )
    )
    app = resolved(config=config, max_kernels=5, traitlets=["--MdvaxVoila.connect_timeout=4.5"])
    shipped = shipped_settings()["MappingKernelManager"]
    assert app.max_kernels == 5  # command line over the file
    assert (app.pool_size, app.kernels_per_client) == (1, 3)  # the file over the defaults
    assert app.connect_timeout == 4.5  # a traitlets option given as it is
    assert app.config.MappingKernelManager.cull_interval == 7  # the file over voila.json
    assert app.config.MappingKernelManager.cull_idle_timeout == shipped["cull_idle_timeout"]
    assert app.config.MdvaxKernelManager.kernel_memory_mb == 700


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "is not valid JSON"),
        ('{"MdvaxVoila": {"max_kernels": 2, "pool_size": 2}}', "must exceed the pool size"),
        ('{"MdvaxVoila": {"page_rate": 0}}', "page rate must be > 0 requests a second, got 0"),
        ('{"MdvaxVoila": {"page_burst": -3}}', "page burst must be >= 1 request, got -3"),
    ],
)
def test_a_bad_config_file_is_named(tmp_path, text, message):
    config = tmp_path / "serve.json"
    config.write_text(text)
    with pytest.raises(ServeError, match=message):
        resolved(config=config)
    with pytest.raises(ServeError, match="config file not found"):
        resolved(config=tmp_path / "missing.json")


def test_a_stray_argument_is_not_passed_to_the_server():
    with pytest.raises(ServeError, match="not an option of mdvax serve: '--max-kernel'"):
        ServeOptions(traitlets=["--max-kernel"]).validate()


def test_the_environment_holds_the_data_layer_and_a_few_deployment_knobs():
    read = set(re.findall(r"\bMDVAX_[A-Z0-9_]+\b", (PACKAGE_DIR / "config.py").read_text()))
    deployment = {name for name in read if name.startswith("MDVAX_SERVE_")} | {"MDVAX_CACHE_DIR"}
    assert deployment <= read
    assert len(deployment) <= 6, sorted(deployment)


# What the variables are read by: this module's neighbours must not read them themselves.
ENV_READ = re.compile(r"""(?:environ\.get|getenv|environ\[)\(?\s*["'](?:MDVAX_\w+|CI)["']""")
ENV_WRITE = re.compile(r"""environ\[["']MDVAX_\w+["']\]\s*=|environ\.update\(|setenv\(""")


def test_only_the_config_module_reads_mdvax_variables():
    offenders = [
        f"{path.relative_to(REPO)}: {match.group(0)}"
        for path in sorted(PACKAGE_DIR.rglob("*.py"))
        if path.name != "config.py" or path.parent != PACKAGE_DIR
        for match in [*ENV_READ.finditer(path.read_text()), *ENV_WRITE.finditer(path.read_text())]
    ]
    assert offenders == []


def test_every_variable_the_settings_read_is_in_the_readme():
    read = set(re.findall(r"\bMDVAX_[A-Z0-9_]+\b", (PACKAGE_DIR / "config.py").read_text()))
    readme = (REPO / "README.md").read_text()
    assert len(read) > 12  # the pattern finds them
    assert sorted(name for name in read if f"`{name}`" not in readme) == []


def readme_section(title: str) -> str:
    """The text of the README's ``## title`` section."""
    readme = (REPO / "README.md").read_text()
    return readme.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_the_readme_table_lists_exactly_the_variables_the_settings_read():
    read = set(re.findall(r"\bMDVAX_[A-Z0-9_]+\b", (PACKAGE_DIR / "config.py").read_text()))
    rows = [line for line in readme_section("Configuration").splitlines() if line.startswith("|")]
    table = set(re.findall(r"`(MDVAX_[A-Z0-9_]+|CI)`", "\n".join(rows)))
    assert sorted(table - read) == []  # a row for a variable nothing reads
    assert sorted(read - table) == []


#: Options of the server the README's table leaves to docs/serving.md (files, secrets, the busy
#: page and the health endpoint).
NOT_IN_README_TABLE = {
    "config_file",
    "config_file_paths",
    "health_token",
    "retry_after",
    "health_path",
}


def test_the_readme_table_lists_the_servers_options():
    from mdvax.serve.app import MdvaxVoila
    from mdvax.serve.limits import VisitorLimits

    own = set(MdvaxVoila.class_own_traits(config=True)) | set(
        VisitorLimits.class_traits(config=True)
    )
    rows = [line for line in readme_section("Configuration").splitlines() if line.startswith("|")]
    listed = set(re.findall(r"`MdvaxVoila\.(\w+)`", "\n".join(rows)))
    assert {"kernels_per_client", "page_rate", "page_burst"} <= own
    assert sorted(own - listed - NOT_IN_README_TABLE) == []
    assert sorted(listed - own) == []


def test_the_package_carries_no_test_harness():
    # Playwright probes, server-process helpers, CI and the browser path live in tests/support.
    harness = re.compile(r"^\s*(?:from|import) (?:playwright|tests)\b|[\"']CI[\"']", re.M)
    offenders = [
        f"{path.relative_to(REPO)}: {match.group(0).strip()}"
        for path in sorted(PACKAGE_DIR.rglob("*.py"))
        for match in harness.finditer(path.read_text())
    ]
    assert offenders == []
    assert not {"chromium", "ci"} & {field.name for field in dataclasses.fields(Settings)}


def test_the_harness_reads_ci_and_the_browser_itself():
    assert in_ci({"CI": "TRUE"})
    assert not in_ci({"CI": "1"})
    assert not in_ci({})
    assert chromium_path({"MDVAX_CHROMIUM": "/opt/chromium/chrome"}) == "/opt/chromium/chrome"
    assert chromium_path({"MDVAX_CHROMIUM": ""}) == chromium_path({}) == "/usr/bin/chromium"
    tests_section = readme_section("Tests")
    assert "`MDVAX_CHROMIUM`" in tests_section
    assert "`CI=true`" in tests_section
