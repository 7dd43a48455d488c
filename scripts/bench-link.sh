#!/usr/bin/env bash
# Identity-resolution benchmark (docs/benchmarks.md), Tusk side by side with Splink (DuckDB
# backend, tutorial-style model, no labels) in the same run:
#  1. FEBRL4 (5,000 x 5,000);
#  2. a synthetic campaign (`tusk synth`, VOTERS voters, default 1,000,000): its volunteers,
#     contacts and donors linked to its voters, scored against the generator's truth.
# Splink is installed here for the benchmark only (PyPI, target/bench-venv).
#
#   scripts/bench-link.sh
#   VOTERS=100000 scripts/bench-link.sh
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

# 1b. FEBRL1-3: dedupe inside one file, pairwise precision/recall of clusters; Splink's
# dedupe_only with the same model beside it.
echo
echo "| FEBRL dedupe, no labels | records | true pairs | precision | recall | F1 | seconds (wall) |"
echo "|---|---|---|---|---|---|---|"
for d in 1 2 3; do
  /usr/bin/time -f "%e" -o "$WORK/sd" "$VENV/bin/python" scripts/bench/splink_febrl_dedupe.py "$FEBRL/febrl$d.csv" "$FEBRL/febrl${d}_truth.csv" >"$WORK/sd$d.json" 2>/dev/null
  python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print(f\"| febrl{sys.argv[2]}, Splink (DuckDB) | | | {j['precision']:.4f} | {j['recall']:.4f} | {j['f1']:.4f} | {sys.argv[3]} |\")" "$WORK/sd$d.json" "$d" "$(cat "$WORK/sd")"
done
for d in 1 2 3; do
  /usr/bin/time -f "%e" -o "$WORK/td" target/release/tusk dedupe "$FEBRL/febrl$d.csv" --out "$WORK/c$d.csv" 2>/dev/null
  python3 - "$FEBRL/febrl${d}_truth.csv" "$WORK/c$d.csv" "$d" "$(cat "$WORK/td")" <<'PY'
import csv, itertools, sys, collections
truth = set(tuple(sorted(r)) for r in list(csv.reader(open(sys.argv[1])))[1:])
rows = list(csv.reader(open(sys.argv[2])))[1:]
cl = collections.defaultdict(list)
for i, c in rows:
    cl[c].append(i)
found = set(p for m in cl.values() for p in itertools.combinations(sorted(m), 2))
tp = len(truth & found); p = tp / max(len(found), 1); r = tp / len(truth)
print(f"| febrl{sys.argv[3]} | {len(rows)} | {len(truth)} | {p:.4f} | {r:.4f} | {2*p*r/(p+r):.4f} | {sys.argv[4]} |")
PY
done

# 2. The synthetic campaign.
VOTERS=${VOTERS:-1000000}
target/release/tusk synth --voters "$VOTERS" --seed 1 --out "$WORK/campaign" 2>/dev/null
/usr/bin/time -f "%e %M" -o "$WORK/t2" target/release/tusk bench link-synth "$WORK/campaign" --export "$WORK/export" >"$WORK/tusk2.txt"
read -r t2secs t2kib <"$WORK/t2"
/usr/bin/time -f "%e %M" -o "$WORK/s2" "$VENV/bin/python" scripts/bench/splink_synth.py "$WORK/export" >"$WORK/splink2.json" 2>"$WORK/splink2.err" || { tail -5 "$WORK/splink2.err" >&2; exit 1; }
read -r s2secs s2kib <"$WORK/s2"
echo
echo "Synthetic campaign, $VOTERS voters (seed 1): $(grep -o '[0-9]* voters x [0-9]* others ([0-9]* with a voter registration in the file)' "$WORK/tusk2.txt")"
echo
echo "| best voter for each volunteer, contact and donor | precision | recall | F1 | seconds (wall) | peak RSS (MiB) |"
echo "|---|---|---|---|---|---|"
python3 - "$WORK/splink2.json" "$t2secs" "$t2kib" "$s2secs" "$s2kib" "$(grep -o 'read [0-9.]* s, linked in [0-9.]* s' "$WORK/tusk2.txt")" <<'PY'
import json, sys
d = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
t, s = d["tusk"], d["splink"]
print(f"| tusk bench link-synth ({sys.argv[6]}) | {t['precision']:.4f} | {t['recall']:.4f} | {t['f1']:.4f} | {sys.argv[2]} | {float(sys.argv[3])/1024:.0f} |")
print(f"| Splink (DuckDB), {s['seconds']} s train+predict, on the same normalised records | {s['precision']:.4f} | {s['recall']:.4f} | {s['f1']:.4f} | {sys.argv[4]} | {float(sys.argv[5])/1024:.0f} |")
PY
sed -n 's/^  \(.*\)$/- tusk by source: \1/p' "$WORK/tusk2.txt"
