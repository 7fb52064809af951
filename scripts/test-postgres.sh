#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on 127.0.0.1 for the test suites and prints its URL.
# Usage: eval "$(scripts/test-postgres.sh)"   → exports WAYGATE_TEST_PG_URL
set -euo pipefail
PORT="${WAYGATE_TEST_PG_PORT:-55432}"
PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/postgres" ]; then
  echo "PostgreSQL server binaries not found; install the Debian package 'postgresql'" >&2
  exit 1
fi
DIR="${WAYGATE_TEST_PG_DIR:-/tmp/waygate-test-pg}"
as_pg() {
  if [ "$(id -u)" = "0" ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi
}
if ! as_pg "'$PGBIN/pg_isready' -h 127.0.0.1 -p $PORT" >/dev/null 2>&1; then
  rm -rf "$DIR"
  mkdir -p "$DIR"
  [ "$(id -u)" = "0" ] && chown postgres:postgres "$DIR"
  as_pg "'$PGBIN/initdb' -D '$DIR/data' -A trust -U waygate -E UTF8" >/dev/null
  as_pg "'$PGBIN/pg_ctl' -D '$DIR/data' -l '$DIR/server.log' -w -o \"-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c max_connections=300\" start" >/dev/null
fi
echo "export WAYGATE_TEST_PG_URL=postgres://waygate@127.0.0.1:$PORT/postgres"
