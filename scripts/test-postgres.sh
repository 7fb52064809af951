#!/usr/bin/env bash
# A throwaway PostgreSQL server on 127.0.0.1 for the test suites.
#
#   eval "$(scripts/test-postgres.sh)"       starts one (unless one already answers on the port)
#                                            and exports WAYGATE_TEST_PG_URL; it also exports
#                                            WAYGATE_TEST_PG_STARTED=1 when this call started it
#   scripts/test-postgres.sh stop            stops the server a previous call started and removes
#                                            its folder; does nothing for a server it did not start
#
# WAYGATE_TEST_PG_PORT (default 55432) and WAYGATE_TEST_PG_DIR (default /tmp/waygate-test-pg)
# choose the port and the folder.
set -euo pipefail
PORT="${WAYGATE_TEST_PG_PORT:-55432}"
DIR="${WAYGATE_TEST_PG_DIR:-/tmp/waygate-test-pg}"
PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/postgres" ]; then
  echo "PostgreSQL server binaries not found; install the Debian package 'postgresql'" >&2
  exit 1
fi
as_pg() {
  if [ "$(id -u)" = "0" ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi
}

if [ "${1:-}" = "stop" ]; then
  # Only a server this script started carries its marker: a server someone else runs on the
  # port (another checkout's, a developer's) is never stopped.
  if [ -f "$DIR/started-by-test-postgres" ]; then
    as_pg "'$PGBIN/pg_ctl' -D '$DIR/data' -m fast -w stop" >/dev/null 2>&1 || true
    rm -rf "$DIR"
  fi
  exit 0
fi

if as_pg "'$PGBIN/pg_isready' -h 127.0.0.1 -p $PORT" >/dev/null 2>&1; then
  echo "export WAYGATE_TEST_PG_URL=postgres://waygate@127.0.0.1:$PORT/postgres"
  echo "export WAYGATE_TEST_PG_STARTED=0"
  exit 0
fi
rm -rf "$DIR"
mkdir -p "$DIR"
# A start that fails half-way leaves no folder (and no server) behind.
abandon() {
  as_pg "'$PGBIN/pg_ctl' -D '$DIR/data' -m fast -w stop" >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap abandon ERR
[ "$(id -u)" = "0" ] && chown postgres:postgres "$DIR"
as_pg "'$PGBIN/initdb' -D '$DIR/data' -A trust -U waygate -E UTF8" >/dev/null
as_pg "'$PGBIN/pg_ctl' -D '$DIR/data' -l '$DIR/server.log' -w -o \"-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c max_connections=300\" start" >/dev/null
trap - ERR
touch "$DIR/started-by-test-postgres"
echo "export WAYGATE_TEST_PG_URL=postgres://waygate@127.0.0.1:$PORT/postgres"
echo "export WAYGATE_TEST_PG_STARTED=1"
