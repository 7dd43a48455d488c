#!/usr/bin/env bash
# Election day figures (docs/benchmarks.md): a synthetic state of VOTERS voters with its
# early-vote file is loaded and served; the load generator (`tusk bench turnout`, 1 worker
# thread, on the same 2 cores as the server) sends "has voted" reports in batches and one by
# one; the raw fsync rate of the same disk is measured first as the reference. Then the
# server is killed with SIGKILL under load and restarted KILLS times: time from restart to the
# first acknowledged report. Finally the crash test of the suite runs CRASH_CYCLES cycles.
#
#   scripts/bench-turnout.sh                   # 1,000,000 voters
#   VOTERS=100000 REPORTS=200000 scripts/bench-turnout.sh
set -euo pipefail
cd "$(dirname "$0")/.."
VOTERS=${VOTERS:-1000000}
REPORTS=${REPORTS:-500000}
KILLS=${KILLS:-5}
CRASH_CYCLES=${CRASH_CYCLES:-100}
WORK=${WORK:-$(mktemp -d /tmp/tusk-turnout.XXXXXX)}
PORT=${PORT:-18431}
log() { printf '[bench] %s\n' "$*" >&2; }
SERVER=
trap '[ -n "$SERVER" ] && kill -9 $SERVER 2>/dev/null; true' EXIT

cargo build --release -p cli >&2
T=target/release/tusk
DB="$WORK/tusk.db"
if [ ! -f "$DB" ]; then
  log "synthetic campaign: $VOTERS voters"
  $T synth --state NC --voters "$VOTERS" --seed 1 --out "$WORK/c" >&2
  $T --database "$DB" import ncvoter "$WORK/c/ncvoter_Statewide.txt" >&2
  $T --database "$DB" import nc-absentee "$WORK/c/absentee_20261028.csv" >&2
fi
KEY=$($T --database "$DB" key add "bench-$(date +%s)" --scopes turnout:write,turnout:read | grep -o 'tusk_k_[A-Za-z0-9_-]*')
start() {
  $T --database "$DB" serve --listen "127.0.0.1:$PORT" >"$WORK/serve.log" 2>&1 &
  SERVER=$!
}
# Seconds until the server acknowledges a report (the board must be built first).
ready() {
  local t0 n=0
  t0=$(date +%s.%N)
  until curl -sf -o /dev/null -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
      -d "{\"reports\":[{\"client_id\":\"ready-$1\",\"voter_id\":\"$VOTER\"}]}" "http://127.0.0.1:$PORT/api/v1/turnout/reports"; do
    sleep 0.05; n=$((n + 1)); [ $n -lt 4000 ] || { log "server never ready"; exit 1; }
  done
  echo "$(date +%s.%N) - $t0" | bc
}
VOTER=$(sqlite3 "$DB" "SELECT voter_id FROM voters WHERE status='A' LIMIT 1" 2>/dev/null || true)
[ -n "$VOTER" ] || VOTER=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT voter_id FROM voters WHERE status='A' LIMIT 1\").fetchone()[0])" "$DB")
start
log "first start: $(ready first) s to the first acknowledged report"

echo "Command: scripts/bench-turnout.sh (VOTERS=$VOTERS, REPORTS=$REPORTS; $(date -u +%Y-%m-%d), git $(git rev-parse --short HEAD)); $(nproc) cores, $(df -h "$WORK" | awk 'NR==2{print $1}')"
echo
echo '```'
$T --database "$DB" bench turnout --url "http://127.0.0.1:$PORT" --key "$KEY" --fsync-dir "$WORK" \
   --reports "$REPORTS" --batch 100 --clients 64 --tag "b100-$$"
$T --database "$DB" bench turnout --url "http://127.0.0.1:$PORT" --key "$KEY" \
   --reports "$REPORTS" --batch 1000 --clients 16 --tag "b1000-$$"
$T --database "$DB" bench turnout --url "http://127.0.0.1:$PORT" --key "$KEY" \
   --reports $((REPORTS / 5)) --batch 1 --clients 64 --tag "single-$$"
for i in $(seq 1 "$KILLS"); do
  $T --database "$DB" bench turnout --url "http://127.0.0.1:$PORT" --key "$KEY" \
     --reports 100000000 --batch 100 --clients 32 --tag "kill-$$-$i" >/dev/null 2>&1 &
  LOAD=$!
  sleep 2
  kill -9 "$SERVER"; wait "$SERVER" 2>/dev/null || true
  start
  echo "SIGKILL under load #$i: restart to first acknowledged report $(ready "kill-$i") s"
  kill "$LOAD" 2>/dev/null; wait "$LOAD" 2>/dev/null || true
done
echo '```'
kill -9 "$SERVER"; SERVER=
log "crash test: $CRASH_CYCLES SIGKILL cycles (debug build of the test suite)"
echo
echo '```'
TUSK_CRASH_CYCLES=$CRASH_CYCLES cargo nextest run -p cli acknowledged_reports_survive --no-capture 2>&1 | grep -E "SIGKILL cycles|PASS|FAIL"
echo '```'
