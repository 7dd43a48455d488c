#!/usr/bin/env bash
# API benchmark (docs/benchmarks.md): requests/s and latency percentiles of person get and
# people search on a store of VOTERS (default 1,000,000) synthetic voters plus their
# donations, volunteers and contacts, resolved. The server (`tusk serve`, release build, the
# embedded SQLite store) and the load generator (wrk, Debian package, installed if missing)
# are separate processes on loopback, sharing the machine's cores.
#
#   scripts/bench-api.sh
#   VOTERS=100000 DURATION=10s scripts/bench-api.sh
set -euo pipefail
cd "$(dirname "$0")/.."
VOTERS=${VOTERS:-1000000}
DURATION=${DURATION:-30s}
CONNECTIONS=${CONNECTIONS:-16}
WORK=${WORK:-$(mktemp -d /tmp/tusk-api-bench.XXXXXX)}
log() { printf '[bench-api] %s\n' "$*" >&2; }
command -v wrk >/dev/null || { log "installing wrk"; DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null; }
cargo build --release -p cli >&2
TUSK="$PWD/target/release/tusk"
export TUSK_DATABASE="$WORK/tusk.db"
SERVER_PID=""
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; true' EXIT
if [ ! -f "$WORK/tusk.db" ]; then
  log "building the store: $VOTERS voters"
  "$TUSK" synth --voters "$VOTERS" --seed 1 --out "$WORK/files" >&2
  "$TUSK" import ncvoter "$WORK/files/ncvoter_Statewide.txt" >&2
  "$TUSK" import fec "$WORK/files/itcont.txt" >&2
  "$TUSK" import csv --mapping "$WORK/files/volunteers.mapping.toml" "$WORK/files/volunteers.csv" >&2
  "$TUSK" import csv --mapping "$WORK/files/contacts.mapping.toml" "$WORK/files/contacts.csv" >&2
  "$TUSK" resolve >&2
fi
KEY=$("$TUSK" key add "bench$RANDOM" --scopes people:read | tail -n 1 | tr -d ' ')
PEOPLE=$(python3 -c "import sqlite3; print(sqlite3.connect('$WORK/tusk.db').execute('select max(id) from people').fetchone()[0])")
python3 -c "
import sqlite3, random
rows = [r[0] for r in sqlite3.connect('$WORK/tusk.db').execute('select distinct last_name from voters')]
random.seed(7); random.shuffle(rows)
open('$WORK/names.txt', 'w').write('\n'.join(rows[:2000]) + '\n')"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
"$TUSK" serve --listen "127.0.0.1:$PORT" --connections 4 >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/api/v1/openapi.json" >/dev/null && break; sleep 0.1; done
log "$PEOPLE people; wrk -t1 -c$CONNECTIONS -d$DURATION"
for what in get search; do
  log "warm-up: $what"
  PEOPLE=$PEOPLE KEY=$KEY NAMES=$WORK/names.txt wrk -t1 -c"$CONNECTIONS" -d5s -s "scripts/bench/api_$what.lua" "http://127.0.0.1:$PORT" >/dev/null
  echo "== $what =="
  PEOPLE=$PEOPLE KEY=$KEY NAMES=$WORK/names.txt wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -s "scripts/bench/api_$what.lua" "http://127.0.0.1:$PORT"
done
ps -o rss= -p "$SERVER_PID" | awk '{printf "server RSS after the run: %.0f MiB\n", $1/1024}'
log "store kept in $WORK (WORK=$WORK to reuse)"
