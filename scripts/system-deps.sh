#!/usr/bin/env bash
# Debian packages the tests need: Chromium (browser tests), PostgreSQL (archive on a server),
# nginx (reverse-proxy test), a font for the figures, podman (container test). Installs what is
# missing when run as root; otherwise prints the command to run.
set -euo pipefail
need=()
[[ -x /usr/bin/chromium ]] || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || need+=(nginx)
[[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] || need+=(fonts-dejavu-core)
command -v git >/dev/null 2>&1 || need+=(git)  # mdvax history import (the state's repository)
command -v npm >/dev/null 2>&1 || need+=(npm)  # axe-core for the accessibility tests (make a11y-deps)
# The container test (scripts/container-test.sh): rootful podman with runc, a base from mmdebstrap.
for tool in podman runc mmdebstrap; do command -v "$tool" >/dev/null 2>&1 || need+=("$tool"); done
((${#need[@]})) || exit 0
if [[ $(id -u) != 0 ]]; then
  echo "system-deps: missing Debian packages: ${need[*]}" >&2
  echo "system-deps: run: sudo apt-get update && sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "system-deps: installed ${need[*]}" >&2
