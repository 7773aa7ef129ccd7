#!/bin/sh
# Start PostgreSQL on PGDATA; at the first start, make the cluster with the user POSTGRES_USER
# (password POSTGRES_PASSWORD, required) and the database POSTGRES_DB (both default "mdvax").
# Listens on POSTGRES_LISTEN (default 127.0.0.1: with host networking, not on the host's other
# interfaces) and PGPORT.
set -eu
user=${POSTGRES_USER:-mdvax}
db=${POSTGRES_DB:-mdvax}
if [ -z "${POSTGRES_PASSWORD:-}" ]; then
  echo "postgres-start: POSTGRES_PASSWORD is not set" >&2
  exit 2
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
  initdb --pgdata="$PGDATA" --username="$user" --pwfile="$pwfile" --encoding=UTF8 \
    --locale=C.UTF-8 --auth-local=scram-sha-256 --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  # Single-user mode: no server to start and stop for one statement.
  echo "CREATE DATABASE \"$db\" OWNER \"$user\"" | postgres --single -D "$PGDATA" -j postgres >/dev/null
  echo "postgres-start: created the cluster and the database $db" >&2
fi
exec postgres -D "$PGDATA" -p "$PGPORT" -c listen_addresses="${POSTGRES_LISTEN:-127.0.0.1}" \
  -c unix_socket_directories=/run/postgresql
