#!/usr/bin/env bash
# Create-or-match through the API (docs/benchmarks.md; issue 4's "one incremental match"):
# serves the store WORK that scripts/bench-api.sh built (same VOTERS), waits for the server's
# voter index, then times N sequential sign-ups from the client (scripts/bench/api_signup.py:
# half copy a voter, half are made up). Prints the index build time and the server's RSS.
#
#   WORK=/tmp/api75 VOTERS=7500000 DURATION=20s scripts/bench-api.sh && WORK=/tmp/api75 scripts/bench-signup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${WORK:?set WORK to a store built by scripts/bench-api.sh}
N=${N:-1000}
cargo build --release -p cli >&2
TUSK="$PWD/target/release/tusk"
export TUSK_DATABASE="$WORK/tusk.db"
SERVER_PID=""
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; true' EXIT
KEY=$("$TUSK" key add "signup$RANDOM" --scopes people:read,people:write | tail -n 1 | tr -d ' ')
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
"$TUSK" serve --listen "127.0.0.1:$PORT" --connections 4 >"$WORK/serve-signup.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/api/v1/openapi.json" >/dev/null && break; sleep 0.1; done
VOTERS_IN=$(python3 -c "import sqlite3; print(sqlite3.connect('$WORK/tusk.db').execute('select count(*) from voters where removed_load_id is null').fetchone()[0])")
echo "Command: WORK=$WORK scripts/bench-signup.sh (N=$N; $(date -u +%Y-%m-%d), git $(git rev-parse --short HEAD)); $(nproc) cores; $VOTERS_IN voters"
python3 scripts/bench/api_signup.py "$PORT" "$KEY" "$WORK/tusk.db" "$N"
ps -o rss= -p "$SERVER_PID" | awk '{printf "server RSS after the run: %.0f MiB\n", $1/1024}'
