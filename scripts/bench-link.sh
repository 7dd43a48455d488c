#!/usr/bin/env bash
# Identity-resolution benchmark (docs/benchmarks.md): FEBRL4 (5,000 x 5,000, no labels used),
# Tusk's `tusk link` side by side with Splink (DuckDB backend, tutorial-style model) in the
# same run. Splink is installed here for the benchmark only (PyPI, target/bench-venv).
#
#   scripts/bench-link.sh
set -euo pipefail
cd "$(dirname "$0")/.."
FEBRL=${FEBRL:-../shared/data/febrl}
VENV=target/bench-venv
WORK=$(mktemp -d /tmp/tusk-link.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
log() { printf '[bench] %s\n' "$*" >&2; }

[ -f "$FEBRL/febrl4a.csv" ] || { log "FEBRL data not found in $FEBRL (set FEBRL=...)"; exit 1; }
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -c 'import splink, pandas' 2>/dev/null || { log "installing splink + pandas into $VENV"; "$VENV/bin/pip" -q install splink pandas; }
cargo build --release -p cli >&2

score() { # truth pairs
  python3 - "$1" "$2" <<'PY'
import csv, json, sys
truth = set((r[0], r[1]) for r in list(csv.reader(open(sys.argv[1])))[1:])
found = set((r[0], r[1]) for r in list(csv.reader(open(sys.argv[2])))[1:])
tp = len(truth & found); p = tp / max(len(found), 1); r = tp / max(len(truth), 1)
print(json.dumps({"pairs": len(found), "precision": p, "recall": r, "f1": 2 * p * r / max(p + r, 1e-12)}))
PY
}

/usr/bin/time -f "%e %M" -o "$WORK/t" target/release/tusk link "$FEBRL/febrl4a.csv" "$FEBRL/febrl4b.csv" --out "$WORK/tusk.csv" 2>"$WORK/err"
read -r tsecs tkib <"$WORK/t"
tusk=$(score "$FEBRL/febrl4_truth.csv" "$WORK/tusk.csv")
/usr/bin/time -f "%e %M" -o "$WORK/s" "$VENV/bin/python" scripts/bench/splink_febrl4.py "$FEBRL/febrl4a.csv" "$FEBRL/febrl4b.csv" "$FEBRL/febrl4_truth.csv" "$WORK/splink.csv" >"$WORK/splink.json" 2>"$WORK/splink.err"
read -r ssecs skib <"$WORK/s"
splink=$(tail -n 1 "$WORK/splink.json")

row() { python3 -c "
import json, sys
d = json.loads(sys.argv[1])
print(f\"| {sys.argv[2]} | {d['precision']:.4f} | {d['recall']:.4f} | {d['f1']:.4f} | {sys.argv[3]} | {float(sys.argv[4])/1024:.0f} |\")
" "$1" "$2" "$3" "$4"; }
echo "Command: scripts/bench-link.sh ($(date -u +%Y-%m-%d), git $(git rev-parse --short HEAD)); $(nproc) cores"
echo
echo "| FEBRL4, no labels | precision | recall | F1 | seconds (wall) | peak RSS (MiB) |"
echo "|---|---|---|---|---|---|"
row "$tusk" "tusk link" "$tsecs" "$tkib"
row "$splink" "Splink $("$VENV/bin/python" -c 'import splink; print(splink.__version__)') (DuckDB), $(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['seconds'])" "$WORK/splink.json") s train+predict" "$ssecs" "$skib"
