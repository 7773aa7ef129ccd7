# mdvax: `make run` serves the dashboard, `make test` runs every check. Both create what they need.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8866

.PHONY: setup system-deps run update test test-fast lint bench clean lock upgrade

# Every package at the version requirements/constraints.txt pins (the container and Binder install
# the same file).
CONSTRAINTS = requirements/constraints.txt

# The virtualenv, with the package (editable) and the test tools; redone when either file changes.
$(VENV)/.installed: pyproject.toml $(CONSTRAINTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e ".[test,geometry]"
	touch $@

setup: $(VENV)/.installed

# Debian packages the browser, archive and proxy tests use (installed when run as root).
system-deps:
	bash scripts/system-deps.sh

# Serve the dashboard on http://$(HOST):$(PORT)/ (the first visit fetches the data if needed).
run: setup
	$(BIN)/mdvax serve --host $(HOST) --port $(PORT)

update: setup
	$(BIN)/mdvax update

# ruff, the import layers (.importlinter), and notebooks committed without outputs (regular files:
# notebooks/ links to mdvax/notebooks/).
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/nbstripout --verify $$(git ls-files -s "*.ipynb" | awk '$$1 != "120000" {print $$4}')

# With a throw-away PostgreSQL on loopback for the archive tests (.ci/postgres.sh starts it when
# the server binaries are installed and stops it afterwards; MDVAX_DATABASE_URL uses yours).
test: setup system-deps lint a11y-deps
	bash .ci/postgres.sh --run $(BIN)/python -m pytest $(PYTEST_ARGS)

# The fast tier (about a minute): unit and in-process tests, no server or kernel subprocess, no
# browser, no PostgreSQL (tests/support/tiers.py fails a test that starts one unmarked), spread
# over the machine's cores (pytest-xdist).
FAST = not slow and not browser and not postgres
test-fast: setup
	$(BIN)/python -m pytest -n auto -m "$(FAST)" $(PYTEST_ARGS)

# axe-core for the accessibility tests, from the npm registry at the version tests/a11y/package-lock.json pins.
AXE = tests/a11y/node_modules/axe-core/axe.min.js
$(AXE): tests/a11y/package-lock.json
	@command -v npm >/dev/null || { echo "a11y-deps: npm is missing (Debian: apt-get install nodejs npm)" >&2; exit 1; }
	cd tests/a11y && npm ci --no-audit --no-fund
	touch $@

a11y-deps: $(AXE)

# Re-resolve $(CONSTRAINTS) after a change to pyproject.toml's requirements (uv pip compile;
# scripts/lock.py says how). `make upgrade` takes the newest release of every package and writes
# the new versions into pyproject.toml and environment.yml too; then `make test`, and commit.
lock:
	test -x $(BIN)/uv || $(MAKE) setup
	$(BIN)/python scripts/lock.py

upgrade:
	test -x $(BIN)/uv || $(MAKE) setup
	$(BIN)/python scripts/lock.py --upgrade

bench: setup system-deps
	for script in benchmarks/bench_*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
