#!/usr/bin/env bash
# Ingest benchmark (docs/benchmarks.md): rows/s and peak memory importing one synthetic
# ncvoter file (67 columns, Windows-1252) into Tusk's embedded store and into PostgreSQL, side
# by side with SQLite's own `.import` and DuckDB's `read_csv` on the same file.
#
#   scripts/bench-import.sh            # 1,000,000 rows
#   ROWS=200000 scripts/bench-import.sh
#
# Peers are installed here for the benchmark only: sqlite3 (Debian package) and duckdb (PyPI,
# in a virtual environment under target/). They are never runtime dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-1000000}
WORK=$(mktemp -d /tmp/tusk-bench.XXXXXX)
VENV=target/bench-venv
trap 'rm -rf "$WORK"' EXIT

log() { printf '[bench] %s\n' "$*" >&2; }

command -v sqlite3 >/dev/null || { log "installing sqlite3"; DEBIAN_FRONTEND=noninteractive apt-get install -y -q sqlite3 >/dev/null; }
[ -x "$VENV/bin/python" ] || { log "creating $VENV with duckdb"; python3 -m venv "$VENV"; "$VENV/bin/pip" -q install duckdb; }

cargo build --release -p cli >&2
TUSK=target/release/tusk
FILE="$WORK/ncvoter.txt"
$TUSK bench ncvoter-file --rows "$ROWS" --out "$FILE"

# Durable PostgreSQL (fsync on, server defaults).
PG_OPTS=""
. scripts/pg.sh
psql "$PG_URL" -qc "CREATE DATABASE tusk_bench" >/dev/null

RESULTS=()
measure() {
  local name=$1 what=$2
  shift 2
  sync
  /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >"$WORK/out" 2>"$WORK/err" || { cat "$WORK/err" >&2; exit 1; }
  read -r secs kib <"$WORK/time"
  local rate mib
  rate=$(python3 -c "print(f'{$ROWS/$secs:,.0f}')")
  mib=$(python3 -c "print(f'{$kib/1024:,.0f}')")
  log "$name: ${secs}s, $rate rows/s, peak RSS ${mib} MiB"
  RESULTS+=("| $name | $what | $secs | $rate | $mib |")
}

measure "tusk → embedded store (SQLite file)" "parse, decode 1252, normalise names/addresses/phones, keep verbatim row, 40 typed columns, households, keys and indexes, one transaction" \
  $TUSK --database "$WORK/tusk.db" --rejects-dir "$WORK/rejects" import ncvoter "$FILE" --json
grep -q "\"accepted\":$ROWS" "$WORK/out" || { log "tusk did not accept every row: $(cat "$WORK/out")"; exit 1; }
measure "tusk → PostgreSQL 15 (same machine)" "same work; COPY into staging + set-based merge, one transaction" \
  $TUSK --database "${PG_URL%/postgres}/tusk_bench" --rejects-dir "$WORK/rejects" import ncvoter "$FILE" --json
grep -q "\"accepted\":$ROWS" "$WORK/out" || { log "tusk (pg) did not accept every row: $(cat "$WORK/out")"; exit 1; }
measure "sqlite3 .import (SQLite $(sqlite3 --version | cut -d' ' -f1))" "raw text into one 67-column table, no decoding, no index" \
  sqlite3 "$WORK/plain.db" -cmd ".mode csv" -cmd ".separator \"\t\"" ".import $FILE voters"
measure "DuckDB read_csv ($("$VENV/bin/python" -c 'import duckdb; print(duckdb.__version__)'))" "CREATE TABLE AS read_csv(all_varchar, latin-1), no index" \
  "$VENV/bin/python" -c "import duckdb; c = duckdb.connect('$WORK/d.duckdb'); c.execute(\"CREATE TABLE v AS SELECT * FROM read_csv('$FILE', delim='\t', header=true, all_varchar=true, encoding='latin-1')\"); print(c.execute('select count(*) from v').fetchone())"

echo
echo "Command: ROWS=$ROWS scripts/bench-import.sh ($(date -u +%Y-%m-%d), git $(git rev-parse --short HEAD))"
echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/{print $2}') GiB RAM, $(df -h /tmp | awk 'NR==2{print $1}')"
echo "File: $ROWS rows, $(du -m "$FILE" | cut -f1) MB"
echo
echo "| tool | what it does | seconds | rows/s | peak RSS (MiB) |"
echo "|---|---|---|---|---|"
printf '%s\n' "${RESULTS[@]}"
