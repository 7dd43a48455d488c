#!/usr/bin/env bash
# Runs every test of the workspace against both store backends.
#
# Sets up what the tests need on a fresh Debian machine: installs PostgreSQL when it is
# missing (as root, from Debian's packages), starts a throwaway cluster as the `postgres` user
# in a temporary directory on a free loopback port, points the tests at it, and removes it at
# the end. The system's own clusters are never touched.
#
#   scripts/test.sh            # the whole suite
#   scripts/test.sh -E 'test(import)'   # extra arguments go to cargo nextest
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[test.sh] %s\n' "$*" >&2; }

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

if [ -z "$(pg_bin)" ] || [ ! -x "$(pg_bin)/initdb" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    log "PostgreSQL is not installed and this is not root: run 'sudo apt-get install -y postgresql' first"
    exit 1
  fi
  log "installing PostgreSQL (Debian package postgresql)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null
fi
PGBIN=$(pg_bin)

PGDIR=$(mktemp -d /tmp/tusk-pg.XXXXXX)
RUN_AS=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres "$PGDIR"
  RUN_AS=(su postgres -s /bin/sh -c)
else
  RUN_AS=(sh -c)
fi
cleanup() {
  "${RUN_AS[@]}" "$PGBIN/pg_ctl -D $PGDIR/data -m immediate stop" >/dev/null 2>&1 || true
  rm -rf "$PGDIR"
}
trap cleanup EXIT

# A free loopback port.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
log "starting a throwaway PostgreSQL cluster in $PGDIR on 127.0.0.1:$PORT"
"${RUN_AS[@]}" "$PGBIN/initdb -D $PGDIR/data -A trust -U postgres --no-sync" >"$PGDIR/initdb.log" 2>&1 \
  || { cat "$PGDIR/initdb.log"; exit 1; }
"${RUN_AS[@]}" "$PGBIN/pg_ctl -D $PGDIR/data -w -o '-p $PORT -k $PGDIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200' -l $PGDIR/log start" >/dev/null \
  || { cat "$PGDIR/log"; exit 1; }

export TUSK_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$PORT/postgres"
export TUSK_REQUIRE_POSTGRES=1

if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast "$@"
else
  cargo test --workspace --no-fail-fast "$@"
fi
