# Sourced by scripts/test.sh and scripts/bench-import.sh: installs PostgreSQL if missing
# (Debian package, as root) and starts a throwaway cluster as the `postgres` user in a
# temporary directory on a free loopback port. Sets PG_URL (admin URL) and stops and removes
# the cluster on exit. Extra server settings can be passed in PG_OPTS.

pg_log() { printf '[pg.sh] %s\n' "$*" >&2; }
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

if [ -z "$(pg_bin)" ] || [ ! -x "$(pg_bin)/initdb" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    pg_log "PostgreSQL is not installed and this is not root: run 'sudo apt-get install -y postgresql' first"
    exit 1
  fi
  pg_log "installing PostgreSQL (Debian package postgresql)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null
fi
PGBIN=$(pg_bin)
PGDIR=$(mktemp -d /tmp/tusk-pg.XXXXXX)
if [ "$(id -u)" -eq 0 ]; then
  chown postgres "$PGDIR"
  pg_run() { su postgres -s /bin/sh -c "$1"; }
else
  pg_run() { sh -c "$1"; }
fi
pg_cleanup() {
  pg_run "$PGBIN/pg_ctl -D $PGDIR/data -m immediate stop" >/dev/null 2>&1 || true
  rm -rf "$PGDIR"
}
trap pg_cleanup EXIT

PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
pg_log "starting a throwaway PostgreSQL cluster in $PGDIR on 127.0.0.1:$PG_PORT"
pg_run "$PGBIN/initdb -D $PGDIR/data -A trust -U postgres --no-sync" >"$PGDIR/initdb.log" 2>&1 \
  || { cat "$PGDIR/initdb.log"; exit 1; }
pg_run "$PGBIN/pg_ctl -D $PGDIR/data -w -o '-p $PG_PORT -k $PGDIR -c listen_addresses=127.0.0.1 ${PG_OPTS:-}' -l $PGDIR/log start" >/dev/null \
  || { cat "$PGDIR/log"; exit 1; }
PG_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
