#!/usr/bin/env bash
# Start a throw-away PostgreSQL 15 server on 127.0.0.1 for the archive tests.
#
# Needs Debian's `postgresql` package (the server binaries). As root, the server runs as the
# `postgres` user (PostgreSQL refuses to run as root); as any other user, as that user.
#
#   eval "$(.ci/postgres.sh)"          # free port, temp dir; exports MDVAX_DATABASE_URL
#   eval "$(.ci/postgres.sh 55432)"    # a given port
#   .ci/postgres.sh --stop "$MDVAX_PG_DIR"
#   .ci/postgres.sh --run CMD ARGS...  # start one, run CMD with MDVAX_DATABASE_URL set, stop it
#
# `--run` (what `make test` uses) exits with CMD's status. It runs CMD on the server already given
# in MDVAX_DATABASE_URL if set, and without a server (a warning) when the binaries are missing:
# the PostgreSQL tests then skip, or fail when CI=true.
#
# Otherwise stdout carries only `export NAME=value` lines (MDVAX_DATABASE_URL, MDVAX_PG_DIR);
# progress goes to stderr. The cluster uses trust authentication and listens on loopback only, with
# durability settings off (fsync): it is for tests, never for data anyone keeps.
set -euo pipefail

say() { echo "postgres.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }

bindir=/usr/lib/postgresql/15/bin
[[ -x $bindir/initdb ]] || bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

if [[ ${1:-} == --run ]]; then
  shift
  (($#)) || die "usage: postgres.sh --run CMD [ARGS...]"
  if [[ -n ${MDVAX_DATABASE_URL:-} ]]; then
    exec "$@"
  fi
  if [[ -z $bindir || ! -x $bindir/initdb ]]; then
    say "warning: no PostgreSQL server binaries (apt-get install postgresql): running without one"
    exec "$@"
  fi
  exports=$(bash "$0") || die "could not start PostgreSQL"
  eval "$exports"
  trap 'bash "$0" --stop "$MDVAX_PG_DIR" || true' EXIT
  trap 'exit 130' INT TERM
  status=0
  "$@" || status=$?
  exit "$status"
fi

[[ -n $bindir && -x $bindir/initdb ]] || die "no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)"
if [[ $(id -u) == 0 ]]; then
  id postgres >/dev/null 2>&1 || die "no 'postgres' user (install Debian's postgresql package)"
  as_postgres() { runuser -u postgres -- "$@"; }
else
  as_postgres() { "$@"; }  # not root: the server runs as this user
fi

if [[ ${1:-} == --stop ]]; then
  dir=${2:?usage: postgres.sh --stop DIR}
  [[ -f $dir/data/PG_VERSION ]] || die "$dir is not a directory made by postgres.sh"
  as_postgres "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >&2
  rm -rf -- "$dir"
  say "stopped and removed $dir"
  exit 0
fi

port=${1:-}
if [[ -z $port ]]; then
  # Ask the kernel for a free port (bind port 0), then hand it to the server.
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fi
[[ $port =~ ^[0-9]+$ ]] || die "port must be a number, got '$port'"

dir=$(mktemp -d "${TMPDIR:-/tmp}/mdvax-pg.XXXXXX")
[[ $(id -u) != 0 ]] || chown postgres:postgres "$dir"
chmod 700 "$dir"
say "initialising a cluster in $dir ($("$bindir/postgres" --version))"
as_postgres "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
  >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
options="-h 127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
if ! as_postgres "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$options" start >&2; then
  cat "$dir/server.log" >&2
  die "the server did not start on 127.0.0.1:$port"
fi
as_postgres "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres mdvax
say "PostgreSQL listening on 127.0.0.1:$port, database mdvax (stop: .ci/postgres.sh --stop $dir)"

url="postgresql+psycopg://postgres@127.0.0.1:$port/mdvax"
echo "export MDVAX_DATABASE_URL=$url"
echo "export MDVAX_PG_DIR=$dir"
if [[ -n ${GITHUB_ENV:-} ]]; then
  { echo "MDVAX_DATABASE_URL=$url"; echo "MDVAX_PG_DIR=$dir"; } >>"$GITHUB_ENV"
fi
