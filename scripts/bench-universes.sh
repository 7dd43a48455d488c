#!/usr/bin/env bash
# Universe count latency (docs/benchmarks.md): Tusk's in-memory columns beside DuckDB (PyPI,
# target/bench-venv, benchmark only) on the same rows and the same filters. A synthetic
# campaign of VOTERS voters is loaded, resolved, scored (support, turnout, persuasion approved),
# and its people repeated to PEOPLE rows for both.
#
#   scripts/bench-universes.sh                 # 1,000,000 voters repeated to 7,500,000 people
#   VOTERS=100000 PEOPLE=1000000 scripts/bench-universes.sh
set -euo pipefail
cd "$(dirname "$0")/.."
VOTERS=${VOTERS:-1000000}
PEOPLE=${PEOPLE:-7500000}
RUNS=${RUNS:-50}
VENV=target/bench-venv
WORK=$(mktemp -d /tmp/tusk-universes.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
log() { printf '[bench] %s\n' "$*" >&2; }

[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -c 'import duckdb' 2>/dev/null || { log "installing duckdb into $VENV"; "$VENV/bin/pip" -q install duckdb; }
cargo build --release -p cli >&2
T=target/release/tusk
DB="$WORK/tusk.db"
log "synthetic campaign: $VOTERS voters"
$T synth --state NC --voters "$VOTERS" --seed 1 --out "$WORK/c" >&2
for k in "ncvoter ncvoter_Statewide.txt" "ncvhis ncvhis_Statewide.txt" "nc-absentee absentee_20261028.csv" "canvass canvass.csv" "experiment persuasion_experiment.csv"; do
  set -- $k
  $T --database "$DB" import "$1" "$WORK/c/$2" >&2
done
for target in support turnout persuasion; do
  $T --database "$DB" model train "$target" >"$WORK/m.out" 2>/dev/null
  id=$(sed -n 's/^model \([0-9]*\).*/\1/p' "$WORK/m.out" | head -1)
  $T --database "$DB" model approve "$id" >&2
  $T --database "$DB" score apply "$id" >&2 2>/dev/null
done
echo "Command: scripts/bench-universes.sh (VOTERS=$VOTERS, PEOPLE=$PEOPLE, RUNS=$RUNS; $(date -u +%Y-%m-%d), git $(git rev-parse --short HEAD)); $(nproc) cores"
echo
echo '```'
$T --database "$DB" bench universes --people "$PEOPLE" --runs "$RUNS" --export "$WORK/x" 2>/dev/null | grep -v '^{' | tee "$WORK/tusk.out"
echo '```'
echo
echo "| universe | engine | count | p50 ms | p99 ms |"
echo "|---|---|---|---|---|"
sed -n 's/^\(.*[^ ]\) *count *\([0-9]*\) *p50 *\([0-9.]*\) ms *p99 *\([0-9.]*\) ms.*/| \1 | tusk | \2 | \3 | \4 |/p' "$WORK/tusk.out"
"$VENV/bin/python" scripts/bench/universes_duckdb.py "$WORK/x" "$RUNS"
