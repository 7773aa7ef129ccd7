#!/usr/bin/env bash
# End-to-end test of the container images and deploy/container/compose.yaml, with podman (root).
#
#   bash scripts/container-test.sh
#
# 1. base:    a Debian bookworm root filesystem (python3, python3-venv, ca-certificates) made with
#             mmdebstrap from this machine's Debian mirror, imported as localhost/mdvax-base
#             (no image registry is reachable here); reused while it exists, so the layer cache
#             of the builds below stays valid (MDVAX_REBUILD_BASE=1 makes it again).
# 2. build:   the mdvax, PostgreSQL and nginx images on that base (podman's layer cache: a second
#             run rebuilds only what changed).
# 3. start:   the whole compose file with podman-compose (the project's test extra), under its own
#             project name and ports, Maryland's endpoints played by tests/support/source_server.py.
#             podman-compose runs the compose file users get, rather than a copy of it as
#             `podman run`s or a kube YAML would need; it costs ~2 s over plain podman.
# 4. checks:  the image HEALTHCHECKs and /healthz through nginx; a dashboard page drawing the map in
#             Chromium through nginx (tests.support.probe, from the host's .venv); a report under
#             /reports/; the archive in PostgreSQL (psql: one vintage, its last date from the CSV).
# 5. cleanup: containers and volumes of the run are removed on any exit (checked); the images stay,
#             they are the build cache.
# The last line gives the image size and the build time. A failing step is named, with the last
# lines of its log, and the script exits non-zero.
#
# Podman on these machines (root): crun fails on the hybrid cgroups and setting rlimits is not
# permitted, hence runc, cgroupfs and a containers.conf without default ulimits; bridge networks
# do not work, hence host networking (in compose.yaml and for the builds).
#
# Environment: MDVAX_CONTAINER_BASE=IMAGE builds on IMAGE instead of the mmdebstrap base (e.g.
# python:3.11-slim-bookworm where a registry is reachable); PYTHON (default .venv/bin/python);
# MDVAX_CONTAINER_SOURCE_FAULT=NAME makes the played source fail (a fault name of
# tests/support/source_server.py), so that `mdvax update` fails: tests/test_container.py checks
# that such a run fails at the step "update" and leaves nothing behind.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
T0=$(date +%s)
PY=${PYTHON:-$ROOT/.venv/bin/python}
COMPOSE_BIN=$(dirname "$PY")/podman-compose
PROJECT=mdvax-ct$$
SNAPSHOT_DAY=2021-04-01 # one of the test snapshots, neither the first nor the last
BASE_IMAGE=localhost/mdvax-base:bookworm
TAG=ct
WORK=$(mktemp -d /tmp/mdvax-container-test.XXXXXX)
STEP=setup
SOURCE_PID=
STARTED=0

log() { printf 'container-test: %s\n' "$*" >&2; }

# Name the failing step, show the end of its log and of every container's log, exit non-zero.
fail() {
  log "FAILED at step '$STEP': $*"
  if [[ -s $WORK/$STEP.log ]]; then
    log "last lines of $STEP.log:"
    tail -n 25 "$WORK/$STEP.log" >&2
  fi
  if ((STARTED)); then
    local id
    for id in $(podman ps -a -q --filter "label=io.podman.compose.project=$PROJECT"); do
      log "last lines of container $(podman inspect --format '{{.Name}}' "$id"):"
      podman logs --tail 15 "$id" >&2 2>&1 || true
    done
  fi
  exit 1
}

# Run a step's command with its output in $WORK/STEP.log.
run() { "$@" >>"$WORK/$STEP.log" 2>&1 || fail "'$*' exited with $?"; }

compose() {
  "$COMPOSE_BIN" --project-name "$PROJECT" -f "$ROOT/deploy/container/compose.yaml" "$@"
}

# Remove the run's containers and volumes, and check that none is left; non-zero if some are.
teardown() {
  local left id
  ((STARTED)) || return 0
  STARTED=0
  compose down --volumes --timeout 10 >>"$WORK/cleanup.log" 2>&1
  # Whatever `down` missed (a half-started run): by the project's label.
  for id in $(podman ps -a -q --filter "label=io.podman.compose.project=$PROJECT"); do
    podman rm -f "$id" >/dev/null 2>&1
  done
  for id in $(podman volume ls -q --filter "label=io.podman.compose.project=$PROJECT"); do
    podman volume rm -f "$id" >/dev/null 2>&1
  done
  left=$(podman ps -a -q --filter "label=io.podman.compose.project=$PROJECT")
  left+=$(podman volume ls -q --filter "label=io.podman.compose.project=$PROJECT")
  if [[ -n $left ]]; then
    log "cleanup left containers or volumes of $PROJECT behind: $left"
    return 1
  fi
}

cleanup() {
  local status=$?
  set +e
  teardown || status=1
  [[ -n $SOURCE_PID ]] && kill "$SOURCE_PID" 2>/dev/null
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# -- setup: tools and podman settings --------------------------------------------------------
for tool in podman runc mmdebstrap; do
  command -v "$tool" >/dev/null || fail "$tool is missing (bash scripts/system-deps.sh installs it)"
done
[[ -x $PY ]] || fail "no $PY (run: make setup)"
[[ -x $COMPOSE_BIN ]] || fail "no $COMPOSE_BIN (run: make setup; it is in the test extra)"
[[ $(id -u) == 0 ]] || fail "run as root (rootful podman)"
cat >"$WORK/containers.conf" <<'EOF'
[containers]
default_ulimits = []

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
EOF
export CONTAINERS_CONF=$WORK/containers.conf
podman() { command podman --runtime runc --cgroup-manager=cgroupfs "$@"; }

# -- base ----------------------------------------------------------------------------------
# The Debian mirror this machine's apt uses (deb822 or one-line sources), else Debian's own.
debian_mirror() {
  local uri
  uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
      /^URIs:/ { uri = $2 } /^Suites:/ && / bookworm( |$)/ && uri { print uri; exit }')
  [[ -n $uri ]] || uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    awk '$1 == "deb" && $0 ~ / bookworm / { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }')
  echo "${uri:-http://deb.debian.org/debian}"
}

STEP=base
T_BASE=$(date +%s)
if [[ -n ${MDVAX_CONTAINER_BASE:-} ]]; then
  BASE_IMAGE=$MDVAX_CONTAINER_BASE
elif [[ ${MDVAX_REBUILD_BASE:-0} == 1 ]] || ! podman image exists "$BASE_IMAGE"; then
  mirror=$(debian_mirror)
  security=${mirror%/debian}/debian-security
  log "base: mmdebstrap bookworm from $mirror"
  run mmdebstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    bookworm "$WORK/base.tar" "deb $mirror bookworm main" "deb $mirror bookworm-updates main" \
    "deb $security bookworm-security main"
  run podman import --change 'CMD ["/bin/bash"]' "$WORK/base.tar" "$BASE_IMAGE"
  rm -f "$WORK/base.tar"
fi
T_BASE=$(($(date +%s) - T_BASE))

# -- build -----------------------------------------------------------------------------------
STEP=build
T_BUILD=$(date +%s)
build_args=(--network=host --format docker --build-arg "BASE=$BASE_IMAGE")
# A local base is never pulled (a missing one fails at once, not after registry retries).
[[ $BASE_IMAGE == localhost/* ]] && build_args+=(--pull=never)
# A network that inspects TLS: pip in the build trusts what this machine trusts (see Containerfile).
[[ -s /etc/ssl/certs/ca-certificates.crt ]] &&
  build_args+=(--secret "id=ca-bundle,src=/etc/ssl/certs/ca-certificates.crt")
for image in mdvax mdvax-postgres mdvax-nginx; do
  file=deploy/container/Containerfile
  [[ $image == mdvax ]] || file=deploy/container/${image#mdvax-}.Containerfile
  log "build: localhost/$image:$TAG"
  run podman build "${build_args[@]}" -f "$file" -t "localhost/$image:$TAG" .
done
T_BUILD=$(($(date +%s) - T_BUILD))
SIZE=$(podman image inspect --format '{{.Size}}' "localhost/mdvax:$TAG")

# -- start -----------------------------------------------------------------------------------
STEP=sources
"$PY" - "$SNAPSHOT_DAY" >"$WORK/source.url" 2>"$WORK/sources.log" <<'EOF' &
import os
import sys
import threading

from tests.support.source_server import SourceServer

server = SourceServer(sys.argv[1]).start()
server.fault = os.environ.get("MDVAX_CONTAINER_SOURCE_FAULT") or None
print(server.csv_url, server.api_url, flush=True)
threading.Event().wait()
EOF
SOURCE_PID=$!
for _ in $(seq 50); do [[ -s $WORK/source.url ]] && break; sleep 0.2; done
read -r CSV_URL API_URL <"$WORK/source.url" || fail "the source server did not start"

STEP=start
read -r HTTP_PORT PORT_A PORT_B DB_PORT < <("$PY" -c "
import socket
socks = [socket.socket() for _ in range(4)]
for s in socks:
    s.bind(('127.0.0.1', 0))
print(*(s.getsockname()[1] for s in socks))")
export MDVAX_TAG=$TAG MDVAX_BASE=$BASE_IMAGE MDVAX_DB_PASSWORD=ct-$RANDOM$RANDOM \
  MDVAX_HTTP_PORT=$HTTP_PORT MDVAX_PORT_A=$PORT_A MDVAX_PORT_B=$PORT_B MDVAX_DB_PORT=$DB_PORT \
  MDVAX_MARYLAND_CSV_URL=$CSV_URL MDVAX_MARYLAND_API_URL=$API_URL
container() { # the container of a compose service
  podman ps -a -q --filter "label=io.podman.compose.project=$PROJECT" \
    --filter "label=com.docker.compose.service=$1"
}
# Wait until the image HEALTHCHECK of service $1 passes (podman runs it on demand: no systemd).
wait_healthy() {
  local id deadline=$(($(date +%s) + $2))
  id=$(container "$1")
  [[ -n $id ]] || fail "no container for $1"
  until podman healthcheck run "$id" >>"$WORK/$STEP.log" 2>&1; do
    [[ $(podman inspect --format '{{.State.Running}}' "$id") == true ]] || fail "$1 exited"
    (($(date +%s) < deadline)) || fail "$1 not healthy after $2 s"
    sleep 2
  done
}
STARTED=1
T_START=$(date +%s)
log "start: podman-compose project $PROJECT, nginx on 127.0.0.1:$HTTP_PORT"
# One stage at a time, each started with --no-deps once the one before is ready: podman 4.3
# ignores `service_healthy` and never sees an exited container as `service_completed_successfully`
# (podman-compose waits for the state "stopped").
run compose up -d --no-build postgres
STEP=postgres
wait_healthy postgres 90
STEP=update
run compose up -d --no-build --no-deps update
id=$(container update)
[[ -n $id ]] || fail "no update container"
run podman wait "$id"
podman logs "$id" >>"$WORK/update.log" 2>&1
code=$(podman inspect --format '{{.State.ExitCode}}' "$id")
[[ $code == 0 ]] || fail "mdvax update exited with $code"

STEP=start
run compose up -d --no-build --no-deps dashboard-a dashboard-b report nginx
STEP=health
wait_healthy dashboard-a 120
wait_healthy dashboard-b 120
wait_healthy nginx 30
T_START=$(($(date +%s) - T_START))

# -- checks through nginx ----------------------------------------------------------------------
STEP=checks
URL=http://127.0.0.1:$HTTP_PORT
ARCHIVE=$(podman exec -e "PGPASSWORD=$MDVAX_DB_PASSWORD" "$(container postgres)" psql -h 127.0.0.1 \
  -p "$DB_PORT" -U mdvax -d mdvax -tA -F ' ' -c 'SELECT count(*), max(last_date) FROM vintages' \
  2>>"$WORK/checks.log") || fail "psql could not read the archive"
"$PY" - "$URL" "$SNAPSHOT_DAY" "$ARCHIVE" >>"$WORK/checks.log" 2>&1 <<'EOF' || fail "see above"
import json
import sys
import time
import urllib.request
from datetime import UTC, datetime

from playwright.sync_api import sync_playwright

from tests.support.probe import launch_chromium, slider_step, wait_for_map
from tests.support.raw_figures import raw_rows

url, day, archive = sys.argv[1:]

with urllib.request.urlopen(url + "/healthz", timeout=10) as response:
    health = json.load(response)
assert health["status"] == "ok", health
print("healthz through nginx:", health)

# The archive: the one vintage `mdvax update` recorded, ending on the CSV's last day.
last_day = max(row["VACCINATION_DATE"][:10].replace("/", "-") for row in raw_rows(day))
assert archive.split() == ["1", last_day], f"archive {archive!r}, expected 1 vintage to {last_day}"
print("archive:", archive)

with sync_playwright() as playwright:
    browser = launch_chromium(playwright)
    try:
        page = browser.new_page()
        # Voila streams the page while the notebook runs (beside the first report, on a shared
        # machine): wait for the map itself, not for the page's load event.
        page.goto(url + "/", wait_until="commit", timeout=120_000)
        print(f"map drawn through nginx after {wait_for_map(page, timeout_ms=120_000):.0f} ms")
        # To the first day: every county changes colour (the newest day is the default).
        step = slider_step(page, key="Home")
        print(f"slider step through nginx and the kernel websocket: {step:.0f} ms")
        page.goto("about:blank")
    finally:
        browser.close()

# The report job's first report (it starts with the stack): the index and the latest report.
deadline = time.monotonic() + 600
while True:
    try:
        with urllib.request.urlopen(url + "/reports/latest/report.html", timeout=10) as response:
            report = response.read().decode("utf-8")
        break
    except OSError as error:
        assert time.monotonic() < deadline, f"no report under /reports/ after 600 s: {error}"
        time.sleep(5)
today = datetime.now(UTC).date().isoformat()
assert f"report of {today}" in report and last_day in report, report[:500]
with urllib.request.urlopen(url + "/reports/", timeout=10) as response:
    index = response.read().decode("utf-8")
assert "report.html" in index, index[:500]
print(f"report under /reports/: {len(report)} bytes")
EOF
cat "$WORK/checks.log" >&2
STEP=cleanup
teardown || fail "containers or volumes left behind"

T_TOTAL=$(($(date +%s) - T0))
log "base ${T_BASE} s, build ${T_BUILD} s, stack up and healthy ${T_START} s, total ${T_TOTAL} s (with cleanup)"
echo "image localhost/mdvax:$TAG: $((SIZE / 1000000)) MB; build ${T_BUILD} s (base ${T_BASE} s); total ${T_TOTAL} s"
