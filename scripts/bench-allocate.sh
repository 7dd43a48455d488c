#!/usr/bin/env bash
# Allocation time at state scale (docs/benchmarks.md): a synthetic campaign of VOTERS voters is
# loaded with its donations, volunteers and contacts, resolved, scored (support, turnout,
# persuasion, donor: approved and applied), and its people repeated to PEOPLE rows; then the
# four goals are allocated over four channels. No peer: no open tool does this allocation.
#
#   scripts/bench-allocate.sh                  # 1,000,000 voters repeated to 7,500,000 people
#   VOTERS=100000 PEOPLE=1000000 scripts/bench-allocate.sh
set -euo pipefail
cd "$(dirname "$0")/.."
VOTERS=${VOTERS:-1000000}
PEOPLE=${PEOPLE:-7500000}
WORK=$(mktemp -d /tmp/tusk-allocate.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
log() { printf '[bench] %s\n' "$*" >&2; }

cargo build --release -p cli >&2
T=target/release/tusk
DB="$WORK/tusk.db"
log "synthetic campaign: $VOTERS voters"
$T synth --state NC --voters "$VOTERS" --seed 1 --out "$WORK/c" >&2
for k in "ncvoter ncvoter_Statewide.txt" "ncvhis ncvhis_Statewide.txt" "nc-absentee absentee_20261028.csv" "geocodes geocodes.csv" \
         "canvass canvass.csv" "experiment persuasion_experiment.csv" "fec itcont.txt"; do
  set -- $k
  $T --database "$DB" import "$1" "$WORK/c/$2" >&2
done
$T --database "$DB" import csv "$WORK/c/volunteers.csv" --mapping "$WORK/c/volunteers.mapping.toml" >&2
$T --database "$DB" import csv "$WORK/c/contacts.csv" --mapping "$WORK/c/contacts.mapping.toml" >&2
log "resolve"
$T --database "$DB" resolve >&2
for target in support turnout persuasion donor; do
  $T --database "$DB" model train "$target" >"$WORK/m.out" 2>/dev/null
  id=$(sed -n 's/^model \([0-9]*\).*/\1/p' "$WORK/m.out" | head -1)
  $T --database "$DB" model approve "$id" >&2
  $T --database "$DB" score apply "$id" >&2 2>/dev/null
done
echo "Command: scripts/bench-allocate.sh (VOTERS=$VOTERS, PEOPLE=$PEOPLE; $(date -u +%Y-%m-%d), git $(git rev-parse --short HEAD)); $(nproc) cores"
echo
echo '```'
$T --database "$DB" bench allocate --people "$PEOPLE"
echo '```'
