#!/usr/bin/env bash
# A rehearsal of election day (docs/benchmarks.md, issue 8): on the store of
# scripts/bench-turnout.sh (WORK, default /tmp/bt1m; run that first), models for support and
# turnout are trained, approved and applied (so chase lists and expectations exist), one poll
# watcher per precinct is provisioned (timed), and `tusk bench rehearsal` simulates WATCHERS
# phones tapping REPORTS voters over SECONDS along the day curve; KILL_AT seconds in (the
# morning surge) the server is killed with SIGKILL and started again, and the phones' queues
# come back as a reconnect storm. The rehearsal then checks the journal, rosters and chase
# lists and prints the board.
#
#   WORK=/tmp/bt1m scripts/bench-rehearsal.sh
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${WORK:-/tmp/bt1m}
WATCHERS=${WATCHERS:-50000}
REPORTS=${REPORTS:-1000000}
SECONDS_=${SECONDS_:-120}
KILL_AT=${KILL_AT:-20}
PORT=${PORT:-18432}
log() { printf '[bench] %s\n' "$*" >&2; }
SERVER=
trap '[ -n "$SERVER" ] && kill -9 $SERVER 2>/dev/null; true' EXIT
cargo build --release -p cli >&2
T=target/release/tusk
DB="$WORK/tusk.db"
[ -f "$DB" ] || { log "no store in $WORK: run scripts/bench-turnout.sh first"; exit 1; }
$T --database "$DB" model list >"$WORK/models.txt" 2>/dev/null || true
if ! grep -q "turnout.*approved" "$WORK/models.txt"; then
  log "vote history, canvass results, models"
  $T --database "$DB" import ncvhis "$WORK/c/ncvhis_Statewide.txt" >&2
  $T --database "$DB" import canvass "$WORK/c/canvass.csv" >&2
  for target in support turnout; do
    $T --database "$DB" model train "$target" >"$WORK/m.out" 2>/dev/null
    id=$(sed -n 's/^model \([0-9]*\).*/\1/p' "$WORK/m.out" | head -1)
    $T --database "$DB" model approve "$id" >&2
    $T --database "$DB" score apply "$id" >&2 2>/dev/null
  done
fi
echo "Command: scripts/bench-rehearsal.sh (WORK=$WORK, WATCHERS=$WATCHERS, REPORTS=$REPORTS, SECONDS_=$SECONDS_, KILL_AT=$KILL_AT; $(date -u +%Y-%m-%d), git $(git rev-parse --short HEAD)); $(nproc) cores"
echo
echo '```'
if [ ! -f "$WORK/watcher-codes.csv" ]; then
  { echo "county,precinct"; sqlite3 -csv "$DB" "SELECT DISTINCT upper(county), upper(precinct) FROM voters WHERE removed_load_id IS NULL ORDER BY 1, 2"; } >"$WORK/watchers.csv"
  t0=$(date +%s.%N)
  $T --database "$DB" watchers import "$WORK/watchers.csv" --out "$WORK/watcher-codes.csv" >/dev/null
  echo "provisioned $(($(wc -l <"$WORK/watcher-codes.csv") - 1)) poll watchers with login codes in $(echo "$(date +%s.%N) - $t0" | bc) s"
fi
KEY=$($T --database "$DB" key add "rehearsal-$(date +%s)" --scopes turnout:write,turnout:read | grep -o 'tusk_k_[A-Za-z0-9_-]*')
start() { $T --database "$DB" serve --listen "127.0.0.1:$PORT" >"$WORK/serve.log" 2>&1 & SERVER=$!; }
start
until curl -s -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT/api/v1/turnout/board" | grep -q '"complete":true'; do sleep 0.5; done
$T --database "$DB" bench rehearsal --url "http://127.0.0.1:$PORT" --key "$KEY" --watchers "$WATCHERS" \
   --reports "$REPORTS" --seconds "$SECONDS_" --tag "day-$$" &
LOAD=$!
sleep "$KILL_AT"
kill -9 "$SERVER"; wait "$SERVER" 2>/dev/null || true
t0=$(date +%s.%N)
start
echo "server killed with SIGKILL at ${KILL_AT} s (morning surge) and started again"
wait "$LOAD"
echo '```'
