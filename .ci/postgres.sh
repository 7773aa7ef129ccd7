#!/usr/bin/env bash
# Start a throw-away PostgreSQL 15 server on 127.0.0.1 for the archive tests.
#
# Run as root on Debian with the `postgresql` package installed (the server itself runs as the
# `postgres` user: PostgreSQL refuses to run as root):
#
#   eval "$(.ci/postgres.sh)"          # free port, temp dir; exports MDVAX_DATABASE_URL
#   eval "$(.ci/postgres.sh 55432)"    # a given port
#   .ci/postgres.sh --stop "$MDVAX_PG_DIR"
#
# stdout carries only `export NAME=value` lines (MDVAX_DATABASE_URL, MDVAX_PG_DIR); progress
# goes to stderr. The cluster uses trust authentication and listens on loopback only, with
# durability settings off (fsync): it is for tests, never for data anyone keeps.
set -euo pipefail

say() { echo "postgres.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }

bindir=/usr/lib/postgresql/15/bin
[[ -x $bindir/initdb ]] || bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[[ -n $bindir && -x $bindir/initdb ]] || die "no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)"
[[ $(id -u) == 0 ]] || die "run as root (the server is started as the postgres user)"
id postgres >/dev/null 2>&1 || die "no 'postgres' user (install Debian's postgresql package)"
as_postgres() { runuser -u postgres -- "$@"; }

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

dir=$(mktemp -d /tmp/mdvax-pg.XXXXXX)
chown postgres:postgres "$dir"
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
